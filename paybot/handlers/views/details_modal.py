"""The Details modal: the voucher's fields, the payee's details abroad, why its flag, the
supplier's other open items, who signed, and the history. Pure builder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.company import Language
from paybot.core.formatting import reference_text
from paybot.core.identifiers import format_account
from paybot.core.money import format_money
from paybot.core.payments import Flag
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import View
from paybot.handlers.views.blocks import Block, escape, section
from paybot.handlers.views.cards import STEPS, is_overdue
from paybot.handlers.views.ehf import ehf_lines
from paybot.handlers.views.i18n import (
    FLAGS,
    INVOICE_NO,
    LOOKS_LIKE,
    PAID_ON,
    POSTED_PAID_ON,
    REASONS,
    STATUSES,
    Phrase,
    at_moment,
    day,
    moment,
)
from paybot.handlers.views.modal_parts import (
    AND_MORE,
    CLOSE,
    NOTHING,
    REFERENCE_LABEL,
    REFERENCE_TYPE_LABEL,
    REFERENCE_TYPES,
    listed,
    payee_values,
    sections,
    short,
)
from paybot.services.payments import DuplicateOf, PaymentDetails

HISTORY = 12  # newest events shown in Details
LOOK_ALIKES = 5  # payments a possible duplicate names; the rest are counted
DETAILS_TITLE = Phrase("Payment details", "Betalingsdetaljer")
FIELDS = {
    "voucher_no": Phrase("Voucher no.", "Bilagsnr."),
    "invoice_no": Phrase("Invoice no.", "Fakturanr."),
    "amount": Phrase("Amount", "Beløp"),
    "currency": Phrase("Currency", "Valuta"),
    "reference_type": REFERENCE_TYPE_LABEL,
    "reference": REFERENCE_LABEL,
    "due_date": Phrase("Due date", "Forfallsdato"),
    "account": Phrase("Account", "Konto"),
    "status": Phrase("Status", "Status"),
    "flag": Phrase("Flag", "Flagg"),
}
OVERDUE_NOW = Phrase("overdue", "forfalt")
WHY_FLAG = Phrase("*Why {flag}:*", "*Hvorfor {flag}:*")
OPEN_ITEMS = Phrase(
    "*The supplier's other open items* (settle them before paying):",
    "*Leverandørens andre åpne poster* (gjør opp før betaling):",
)
NO_OPEN_ITEMS = Phrase(
    "The supplier has no other open items.", "Leverandøren har ingen andre åpne poster."
)
FAILURE = Phrase("*Why it failed:* {reason}", "*Hvorfor den feilet:* {reason}")
SIGNED_BY = Phrase("*Signed by:* {names}", "*Signert av:* {names}")
HISTORY_TITLE = Phrase("*History*", "*Historikk*")
# `at`: the date and time with the words before it (i18n.at_moment), as in cards.STEPS.
PROPOSED = Phrase("Proposed from the ledger {at}", "Foreslått fra reskontro {at}")
CAME_AS_EHF = Phrase(
    "Came in as an electronic invoice (EHF) {at}", "Kom inn som elektronisk faktura (EHF) {at}"
)


def details_modal(
    details: PaymentDetails, language: Language, zone: ZoneInfo, today: date | None = None
) -> dict[str, Any]:
    """The voucher's fields, the payee's details abroad where it has any, the flag with its
    reasons, the supplier's other open items (for orange), who signed, and briefly who did what
    when; whether it is overdue on `today`."""
    p = details.payment
    reference_type = REFERENCE_TYPES[p.reference_type](language)
    due = day(p.due_date, language)
    if is_overdue(p, today):
        due = f"{due} · *{OVERDUE_NOW(language)}*"
    values = {
        "voucher_no": p.voucher_no,
        "invoice_no": p.invoice_no or NOTHING,
        "amount": format_money(p.amount, p.currency, language),
        "currency": p.currency,
        "reference_type": reference_type,
        "reference": p.reference or NOTHING,
        "due_date": due,
        "account": format_account(p.account) if p.account else NOTHING,
        "status": STATUSES[p.status](language),
        "flag": FLAGS[p.flag](language),
    }
    fields = [
        {"type": "mrkdwn", "text": f"*{FIELDS[key](language)}*\n{escape(value)[:1900]}"}
        for key, value in values.items()
    ]
    blocks: list[Block] = [
        section(f"*{escape(p.payee)}* · #{p.id}"),
        {"type": "section", "fields": fields},
    ]
    abroad = [
        {"type": "mrkdwn", "text": f"*{label}*\n{value[:1900]}"}
        for label, value in payee_values(p, language)
    ]
    if abroad:  # at most 5 of a section's 10 fields
        blocks.append({"type": "section", "fields": abroad})
    lines: list[str] = []
    if p.flag is not Flag.BLUE:
        lines.append(WHY_FLAG(language, flag=FLAGS[p.flag](language)))
        lines += [f"• {REASONS[reason](language)}" for reason in p.reasons]
    if details.duplicates_of:
        lines += duplicate_lines(details.duplicates_of, language, zone)
    if p.flag is Flag.ORANGE or details.open_credit_items:
        lines.append(OPEN_ITEMS(language) if details.open_credit_items else NO_OPEN_ITEMS(language))
        lines += listed(
            [_open_item(item, language) for item in details.open_credit_items], language
        )
    if p.status is PaymentStatus.FAILED and p.failure_reason:
        lines.append(FAILURE(language, reason=escape(p.failure_reason)))
    if details.signed_by:
        lines.append(SIGNED_BY(language, names=escape(", ".join(details.signed_by))))
    if details.ehf is not None:
        lines += ehf_lines(details.ehf, language)
    history = history_lines(details.history, language, zone)
    if history:
        lines += [HISTORY_TITLE(language), *history]
    blocks += sections(lines)
    return {
        "type": "modal",
        "callback_id": View.DETAILS.value,
        "title": short(DETAILS_TITLE(language)),
        "close": short(CLOSE(language)),
        "blocks": blocks[:100],
    }


def history_lines(
    events: Iterable[dict[str, Any]], language: Language, zone: ZoneInfo
) -> list[str]:
    """The newest steps, oldest first: "Approved by Anders Approver on 23 Nov 2026 at 10:12"."""
    lines = []
    for event in events:
        action, at = str(event.get("action") or ""), event.get("at")
        if not isinstance(at, datetime) or action == "payment.refused":
            continue  # a refusal changed nothing; the audit trail keeps it
        who = escape(str(event.get("actor") or "paybot").rsplit(" (", 1)[0])
        when = at_moment(at, language, zone)
        if action in STEPS:
            said = STEPS[action](language, who=who, at=when)
        elif action == "payment.propose":
            said = PROPOSED(language, at=when)
        elif action == "import.ehf":
            said = CAME_AS_EHF(language, at=when)
        else:
            said = f"{escape(action)} · {who} · {moment(at, language, zone)}"
        lines.append(f"• {said}")
    return lines[-HISTORY:]


def duplicate_lines(twins: Sequence[DuplicateOf], language: Language, zone: ZoneInfo) -> list[str]:
    """The payments a possible duplicate looks like, the first few:
    "• #6 · Paid 2 Dec 2026 · NOK 2,219.00 · invoice F-100 / KID 1234567897"."""
    lines = [LOOKS_LIKE(language)]
    lines += [f"• {_twin(twin, language, zone)}" for twin in twins[:LOOK_ALIKES]]
    if len(twins) > LOOK_ALIKES:
        lines.append(AND_MORE(language, count=len(twins) - LOOK_ALIKES))
    return lines


def _twin(twin: DuplicateOf, language: Language, zone: ZoneInfo) -> str:
    p = twin.payment
    status = STATUSES[p.status](language)
    if twin.money_left and twin.paid_at is not None:
        paid = day(twin.paid_at.astimezone(zone).date(), language)
        status = (PAID_ON if p.status is PaymentStatus.PAID else POSTED_PAID_ON)(language, day=paid)
    said = [f"#{p.id}", status, format_money(p.amount, p.currency, language)]
    invoice = INVOICE_NO(language, no=p.invoice_no[:60]) if p.invoice_no else None
    reference = reference_text(p.reference_type, (p.reference or "")[:60], language)
    named = " / ".join(part for part in (invoice, reference) if part)
    if named:
        said.append(named)
    return escape(" · ".join(said))


def _open_item(item: dict[str, Any], language: Language) -> str:
    amount = format_money(Decimal(item["amount"]), str(item["currency"]), language)
    invoice = f" · {escape(str(item['invoice_no']))}" if item.get("invoice_no") else ""
    dated = f" · {day(item['invoice_date'], language)}" if item.get("invoice_date") else ""
    return f"• {escape(str(item['voucher_no']))}{invoice} · {amount}{dated}"
