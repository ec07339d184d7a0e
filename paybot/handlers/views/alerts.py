"""Alerts in a company's alerts channel: a sentence saying what happened and, for a payment, its
card, whose buttons (Fix, Sign again; The money left / did not leave; Details) act on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.bankfiles.pain002 import reason_text
from paybot.core.company import Language
from paybot.core.money import format_money
from paybot.core.posting import VoucherRef
from paybot.core.sends import AlarmKind
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.handlers.views.blocks import Block, context, escape, section
from paybot.handlers.views.cards import POST, button, payment_entries
from paybot.handlers.views.i18n import Phrase, clock, moment
from paybot.handlers.views.i18n_bank import failure_words, reason_words
from paybot.services.alerts import Alert, AlertKind

FAILED = Phrase(
    "❌ Payment #{id} to {payee}, {amount}, failed: {reason}",
    "❌ Betaling #{id} til {payee}, {amount}, feilet: {reason}",
)
BANK_WROTE = Phrase(" (bank: {text})", " (banken: {text})")
REJECTED = Phrase("the bank rejected it", "banken avviste den")
NO_RETURN = Phrase(
    "❓ Payment #{id} to {payee}, {amount}, sent {sent}: no answer from the bank. "
    "Did the money leave? Check the netbank, then say so below.",
    "❓ Betaling #{id} til {payee}, {amount}, sendt {sent}: intet svar fra banken. "
    "Gikk pengene? Sjekk nettbanken, og svar under.",
)
STUCK = Phrase(
    "⏳ Payment #{id} to {payee}, {amount}, sent {sent}, has had no answer from the bank "
    "for {hours} banking hours.",
    "⏳ Betaling #{id} til {payee}, {amount}, sendt {sent}, har ikke fått svar fra banken "
    "på {hours} banktimer.",
)
PAID_ONE = Phrase(
    "✅ Batch {number} paid: 1 payment, {totals}", "✅ Bunt {number} betalt: 1 betaling, {totals}"
)
PAID = Phrase(
    "✅ Batch {number} paid: {count} payments, {totals}",
    "✅ Bunt {number} betalt: {count} betalinger, {totals}",
)
ALARMS: dict[AlarmKind, Phrase] = {
    AlarmKind.TWICE: Phrase(
        "🛑 Payment #{id} to {payee}, {amount}: the bank booked {send} while {live} may still "
        "leave. Stop {live} in the netbank now, then say below what the netbank shows. Nothing "
        "more is sent for it.",
        "🛑 Betaling #{id} til {payee}, {amount}: banken bokførte {send} mens {live} fortsatt "
        "kan gå. Stopp {live} i nettbanken nå, og svar under hva nettbanken viser. Ingenting mer "
        "sendes for den.",
    ),
    AlarmKind.AMOUNT: Phrase(
        "🛑 Payment #{id} to {payee}: the bank booked {booked} for {send}, which was sent for "
        "{amount}. It is on hold, not paid: check the netbank, then say below what it shows.",
        "🛑 Betaling #{id} til {payee}: banken bokførte {booked} for {send}, som ble sendt for "
        "{amount}. Den er stoppet, ikke betalt: sjekk nettbanken, og svar under hva den viser.",
    ),
    AlarmKind.BOOKED_TWICE: Phrase(
        "🚨 Payment #{id} to {payee}, {amount}, was booked again ({send}) though it was paid "
        "already: the money has left twice. Check the netbank and ask the payee to pay one back.",
        "🚨 Betaling #{id} til {payee}, {amount}, ble bokført igjen ({send}) selv om den var "
        "betalt: pengene har gått to ganger. Sjekk nettbanken og be mottakeren betale én tilbake.",
    ),
    AlarmKind.RETURNED: Phrase(
        "↩️ The money of payment #{id} to {payee}, {amount}, came back ({send}): {reason}. {then}",
        "↩️ Pengene for betaling #{id} til {payee}, {amount}, kom tilbake ({send}): {reason}. "
        "{then}",
    ),
    AlarmKind.PAID_AFTER_ALL: Phrase(
        "✅ Payment #{id} to {payee}, {amount}, was booked by the bank after all ({send}): it is "
        "paid, and it is not sent again.",
        "✅ Betaling #{id} til {payee}, {amount}, ble bokført av banken likevel ({send}): den er "
        "betalt, og sendes ikke igjen.",
    ),
    AlarmKind.UPLOAD_FAILING: Phrase(
        "⚠️ Batch {batch} could not be delivered to the bank ({attempts} attempts; last: "
        "{error}). Nothing reached the bank; paybot keeps trying. Check the bank connection.",
        "⚠️ Bunt {batch} kom ikke frem til banken ({attempts} forsøk; sist: {error}). Ingenting "
        "nådde banken; paybot prøver igjen. Sjekk forbindelsen til banken.",
    ),
    AlarmKind.UPLOAD_UNKNOWN: Phrase(
        "❓ The upload of batch {batch} broke off ({error}): the bank may or may not have it. "
        "It is not sent again; its payments wait for a signer to check the netbank.",
        "❓ Opplastingen av bunt {batch} brøt av ({error}): banken kan ha fått den eller ikke. "
        "Den sendes ikke igjen; betalingene venter på at en signatar sjekker nettbanken.",
    ),
    AlarmKind.UNWRITABLE: Phrase(
        "⛔ Payment #{id} to {payee}, {amount}, could not be written into a file the bank takes "
        "({error}). It was taken out of batch {batch} and is failed: fix it and sign again. The "
        "other payments went on.",
        "⛔ Betaling #{id} til {payee}, {amount}, kunne ikke skrives i en fil banken tar imot "
        "({error}). Den ble tatt ut av bunt {batch} og er feilet: rett den og signer på nytt. De "
        "andre betalingene gikk videre.",
    ),
    AlarmKind.FILE_REFUSED: Phrase(
        "⛔ No payment file could be written for the bank ({error}). That is a setting of the "
        "company's, not a payment's: {waiting} signed payment(s) wait, and nothing is sent until "
        "it is fixed (`paybot bank show`). paybot tries again every minute.",
        "⛔ Ingen betalingsfil kunne skrives til banken ({error}). Det er en innstilling for "
        "selskapet, ikke en betaling: {waiting} signerte betaling(er) venter, og ingenting sendes "
        "før den er rettet (`paybot bank show`). paybot prøver igjen hvert minutt.",
    ),
    AlarmKind.FOREIGN: Phrase(
        "⚠️ The bank file {file} names payments it cannot speak for ({why}): {references}. "
        "Nothing was applied for them.",
        "⚠️ Bankfilen {file} nevner betalinger den ikke kan svare for ({why}): {references}. "
        "Ingenting ble gjort med dem.",
    ),
    AlarmKind.EHF_REFUSED: Phrase(
        "🧾 The EHF file {file} (supplier: {supplier}; invoice: {invoice}) was refused: {error}. "
        "It lies in rejected/ as {rejected_as}, and nothing is paid for it until a corrected file "
        "is dropped into the inbox or the invoice is entered otherwise.",
        "🧾 EHF-filen {file} (leverandør: {supplier}; faktura: {invoice}) ble avvist: {error}. "
        "Den ligger i rejected/ som {rejected_as}, og ingenting betales for den før en rettet fil "
        "legges i innboksen eller fakturaen føres inn på annen måte.",
    ),
}
RETURNED_REOPENED = Phrase(
    "It is failed again: fix it if needed and sign again if it is still to be paid.",
    "Den er feilet igjen: rett den om nødvendig og signer på nytt hvis den fortsatt skal betales.",
)
RETURNED_CHECK = Phrase("Check the netbank.", "Sjekk nettbanken.")
NO_REASON = Phrase("no reason given", "ingen grunn oppgitt")
UNKNOWN = Phrase("unknown", "ukjent")
POSTED_BY = Phrase(
    "📒 Posted as {vouchers} by {who} at {at}", "📒 Bokført som {vouchers} av {who} kl. {at}"
)
POSTED = Phrase("📒 Posted as {vouchers}", "📒 Bokført som {vouchers}")
VOUCHER = Phrase("voucher {numbers}", "bilag {numbers}")
VOUCHERS = Phrase("vouchers {numbers}", "bilag {numbers}")
# The block that says a batch's alert was posted (replaced, never doubled, by a later click).
POSTED_BLOCK = "posted"

MORE: dict[AlertKind, tuple[Phrase, Phrase]] = {
    AlertKind.ALARM: (
        Phrase(
            "…and 1 more alarm — `paybot audit log --action alarm.` lists them",
            "…og 1 alarm til — `paybot audit log --action alarm.` viser dem",
        ),
        Phrase(
            "…and {n} more alarms — `paybot audit log --action alarm.` lists them",
            "…og {n} alarmer til — `paybot audit log --action alarm.` viser dem",
        ),
    ),
    AlertKind.FAILED: (
        Phrase(
            "…and 1 more failed payment — `/bank search status:failed`",
            "…og 1 feilet betaling til — `/bank search status:failed`",
        ),
        Phrase(
            "…and {n} more failed payments — `/bank search status:failed`",
            "…og {n} feilede betalinger til — `/bank search status:failed`",
        ),
    ),
    AlertKind.STUCK: (
        Phrase(
            "…and 1 more payment with no answer from the bank — `/bank search status:processing`",
            "…og 1 betaling til uten svar fra banken — `/bank search status:processing`",
        ),
        Phrase(
            "…and {n} more payments with no answer from the bank — "
            "`/bank search status:processing`",
            "…og {n} betalinger til uten svar fra banken — `/bank search status:processing`",
        ),
    ),
    AlertKind.PAID: (
        Phrase(
            "…and 1 more batch paid — `/bank search status:paid`",
            "…og 1 bunt til er betalt — `/bank search status:paid`",
        ),
        Phrase(
            "…and {n} more batches paid — `/bank search status:paid`",
            "…og {n} bunter til er betalt — `/bank search status:paid`",
        ),
    ),
}
# Both kinds of failure are found by one search.
_SUMMARISED_AS = {AlertKind.NO_RETURN: AlertKind.FAILED}


def sentence(alert: Alert, zone: ZoneInfo, language: Language | None = None) -> str:
    """What happened, in one sentence (mrkdwn, escaped), times in `zone`."""
    language = language or alert.language
    if alert.kind is AlertKind.ALARM and alert.alarm is not None:
        return alarm_sentence(alert, language)
    if alert.kind is AlertKind.PAID and alert.batch is not None:
        batch = alert.batch
        totals = ", ".join(
            format_money(total, currency, language) for currency, total in batch.totals
        )
        phrase = PAID_ONE if batch.payments == 1 else PAID
        return phrase(language, number=batch.number, count=batch.payments, totals=totals)
    payment = alert.payment
    if payment is None:
        return ""
    fields: dict[str, Any] = {
        "id": payment.id,
        "payee": escape(payment.payee),
        "amount": format_money(payment.amount, payment.currency, language),
        "sent": moment(alert.sent_at, language, zone) if alert.sent_at else "–",
    }
    if alert.kind is AlertKind.NO_RETURN:
        return NO_RETURN(language, **fields)
    if alert.kind is AlertKind.STUCK:
        hours = int((alert.waited.total_seconds() if alert.waited else 0) // 3600)
        return STUCK(language, hours=hours, **fields)
    reason = failure_words(payment.failure_kind, payment.failure_reason, language)
    reason = reason or REJECTED(language)
    said = BANK_WROTE(language, text=escape(payment.bank_text)) if payment.bank_text else ""
    return FAILED(language, reason=escape(reason) + said, **fields)


def alarm_sentence(alert: Alert, language: Language) -> str:
    """An alarm in the company's language, from its kind and details (mrkdwn, escaped)."""
    assert alert.alarm is not None
    alarm, payment = alert.alarm, alert.payment
    details = alarm.details
    fields: dict[str, Any] = {
        "send": escape(str(details.get("end_to_end_id", ""))),
        "live": escape(", ".join(map(str, details.get("live") or []))),
        "batch": details.get("batch", ""),
        "attempts": details.get("attempts", ""),
        "waiting": details.get("waiting", ""),
        "error": escape(str(details.get("error") or details.get("why") or "")),
        "file": escape(str(details.get("file", ""))),
        "why": escape(str(details.get("why", ""))),
        "references": escape(", ".join(map(str, (details.get("references") or [])[:10]))),
        "rejected_as": escape(str(details.get("rejected_as") or details.get("file", ""))),
        "supplier": escape(str(details.get("supplier") or "")) or UNKNOWN(language),
        "invoice": escape(str(details.get("invoice_no") or "")) or UNKNOWN(language),
        "id": alarm.payment_id or "",
        "payee": "",
        "amount": "",
    }
    if payment is not None:
        fields |= {
            "payee": escape(payment.payee),
            "amount": format_money(payment.amount, payment.currency, language),
        }
    if "booked_amount" in details:
        fields["booked"] = format_money(
            Decimal(str(details["booked_amount"])), str(details["booked_currency"]), language
        )
    else:
        fields["booked"] = fields["amount"]
    words = "; ".join(reason_text(str(code)) for code in details.get("reasons") or [])
    fields["reason"] = escape(reason_words(words, language) or "") or NO_REASON(language)
    reopened = payment is not None and payment.status is PaymentStatus.FAILED
    fields["then"] = (RETURNED_REOPENED if reopened else RETURNED_CHECK)(language)
    return ALARMS[alarm.kind](language, **fields)


def intro(alert: Alert, zone: ZoneInfo) -> list[Block]:
    """The blocks above the payment's card; kept, so updates of the card keep them too."""
    return [section(sentence(alert, zone))]


def message(alert: Alert, zone: ZoneInfo) -> dict[str, Any]:
    """chat.postMessage arguments: text (the notification) and blocks, times in `zone`. A paid
    batch's alert offers Post (the service says who may)."""
    blocks = intro(alert, zone)
    if alert.payment is not None:
        steps = {alert.payment.id: alert.step} if alert.step else {}
        blocks += payment_entries([alert.payment], steps, alert.language, zone=zone)
    if alert.kind is AlertKind.PAID and alert.batch is not None:
        value = f"{alert.company_org_no}:{alert.batch.number}"
        post = button(POST(alert.language), Act.POST_BATCH, value, style="primary")
        blocks.append(
            {"type": "actions", "block_id": f"batch:{alert.batch.id}", "elements": [post]}
        )
    return {"text": sentence(alert, zone), "blocks": blocks}


def voucher_numbers(refs: Iterable[VoucherRef], language: Language) -> str:
    """ "voucher 5", "vouchers 5–7", "vouchers 5, 9" (a series' numbers, the year left out)."""
    numbers = sorted({ref.number for ref in refs})
    if len(numbers) == 1:
        return VOUCHER(language, numbers=numbers[0])
    contiguous = len(numbers) > 2 and numbers[-1] - numbers[0] == len(numbers) - 1
    listed = f"{numbers[0]}–{numbers[-1]}" if contiguous else ", ".join(map(str, numbers))
    return VOUCHERS(language, numbers=listed)


def posted(
    blocks: Sequence[Block],
    refs: Iterable[VoucherRef],
    language: Language,
    *,
    zone: ZoneInfo,
    who: str | None = None,
    at: datetime | None = None,
) -> list[Block]:
    """A paid batch's alert once posted: its blocks without the Post button, and a line saying
    as which vouchers (by whom and when, when the click was the one that posted it)."""
    kept = [
        block
        for block in blocks
        if block.get("type") != "actions" and block.get("block_id") != POSTED_BLOCK
    ]
    vouchers = voucher_numbers(refs, language)
    if who is not None and at is not None:
        said = POSTED_BY(language, vouchers=vouchers, who=f"<@{who}>", at=clock(at, language, zone))
    else:
        said = POSTED(language, vouchers=vouchers)
    note = context(said)
    return [*kept, {**note, "block_id": POSTED_BLOCK}]


def summary(counts: Mapping[AlertKind, int], language: Language) -> dict[str, Any]:
    """One message for the alerts left out of this run, counted per kind."""
    merged: dict[AlertKind, int] = {}
    for kind, count in counts.items():
        shown_as = _SUMMARISED_AS.get(kind, kind)
        merged[shown_as] = merged.get(shown_as, 0) + count
    lines = []
    for kind, (one, many) in MORE.items():
        count = merged.get(kind, 0)
        if count:
            lines.append(one(language) if count == 1 else many(language, n=count))
    text = "\n".join(lines)
    return {"text": text, "blocks": [section(text)]}
