"""A payment as an entry in a Slack message: what it is, who did what last, and the buttons that
still apply to its state now. Button values carry only the payment id (Post: its company's
organisation number too, which the posting service takes).

A red proposal cannot be approved or signed: its entry offers Fix and Details instead. Where the
company approves before signing, a proposal offers Approve and no Sign until it is approved. One
still to be paid whose due date has passed says since when it is overdue (given the business
`today`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.company import Language
from paybot.core.formatting import reference_text
from paybot.core.identifiers import format_account
from paybot.core.money import format_money
from paybot.core.payments import Flag, LastStep, PaymentView
from paybot.core.posting import VoucherRef
from paybot.core.signing import SecondSigner, WhySecond, waits_for_approval
from paybot.core.states import Action, PaymentStatus, allowed_actions
from paybot.handlers.ids import Act, Overflow
from paybot.handlers.views.blocks import Block, escape, section
from paybot.handlers.views.i18n import (
    FLAG_EMOJI,
    REASONS,
    STATUSES,
    Phrase,
    at_clock,
    day,
    why_second,
)
from paybot.handlers.views.i18n_bank import failure_words

BLOCKS_PER_ENTRY = 3  # section, context, actions

APPROVE = Phrase("Approve", "Godkjenn")
SIGN = Phrase("Sign", "Signer")
SIGN_AGAIN = Phrase("Sign again", "Signer på nytt")
FIX = Phrase("Fix", "Rett")
DETAILS = Phrase("Details", "Detaljer")
DELETE = Phrase("Delete", "Slett")
RESTORE = Phrase("Add to bank", "Legg til i Bank")
POST = Phrase("Post", "Bokfør")
POSTED_AS = Phrase("Posted as voucher {number}", "Bokført som bilag {number}")
DUE_ON = Phrase("due {date}", "forfall {date}")
OVERDUE = Phrase("overdue since {date}", "forfalt siden {date}")
NO_ACCOUNT = Phrase("no account", "mangler konto")
NO_REFERENCE = Phrase("no reference", "mangler referanse")
CONFIRM_DELETE_TITLE = Phrase("Delete payment?", "Slette betalingen?")
CONFIRM_DELETE = Phrase(
    "{payee}, {amount}, leaves the bank module. You can add it back later.",
    "{payee}, {amount}, fjernes fra Bank. Du kan legge den til igjen senere.",
)
CANCEL = Phrase("Cancel", "Avbryt")
MONEY_LEFT = Phrase("The money left", "Pengene gikk")
MONEY_NOT_LEFT = Phrase("The money did not leave", "Pengene gikk ikke")
HOLD_PAID = Phrase("Paid once, other send stopped", "Betalt én gang, annen sending stoppet")
HOLD_NOT_PAID = Phrase("Not paid", "Ikke betalt")
PAID_ONCE = Phrase("Paid once", "Betalt én gang")  # a confirm button holds 30 characters

# `at` is when, with the words before it: the time on a card ("at 09:12", "kl. 09:12";
# i18n.at_clock), the date too in the Details modal's history ("on 1 Dec 2026 at 09:12",
# "1. des. 2026 kl. 09:12"; i18n.at_moment).
STEPS: dict[str, Phrase] = {
    "payment.approve": Phrase("Approved by {who} {at}", "Godkjent av {who} {at}"),
    "payment.sign": Phrase("Signed by {who} {at}", "Signert av {who} {at}"),
    "payment.first_signature": Phrase(
        "Signed by {who} {at}; waits for a second signer",
        "Signert av {who} {at}; venter på en signatar til",
    ),
    "payment.unsign": Phrase(
        "Signature taken back by {who} {at}", "Signatur trukket av {who} {at}"
    ),
    "payment.delete": Phrase("Deleted by {who} {at}", "Slettet av {who} {at}"),
    "payment.restore": Phrase("Added back by {who} {at}", "Lagt til igjen av {who} {at}"),
    "payment.fix": Phrase("Fixed by {who} {at}", "Rettet av {who} {at}"),
    # An import (supplier file, EHF invoice) filled the payee's empty details from its supplier.
    "payment.fill_details": Phrase(
        "Payee's details filled in from the supplier {at}",
        "Mottakerens opplysninger fylt inn fra leverandøren {at}",
    ),
    "payment.send": Phrase("Sent to the bank {at}", "Sendt til banken {at}"),
    "payment.paid": Phrase("Paid (bank confirmed {at})", "Betalt (banken bekreftet {at})"),
    "payment.failed": Phrase("Failed {at}", "Feilet {at}"),
    "payment.no_return": Phrase(
        "No answer from the bank (noticed {at})", "Intet svar fra banken (sett {at})"
    ),
    "payment.resolve_missing": Phrase("Checked by {who} {at}", "Sjekket av {who} {at}"),
    "payment.on_hold": Phrase("On hold {at}: check the netbank", "Stoppet {at}: sjekk nettbanken"),
    "payment.returned": Phrase(
        "The money came back (noticed {at})", "Pengene kom tilbake (sett {at})"
    ),
    "payment.processing": Phrase(
        "The bank has it after all ({at})", "Banken har den likevel ({at})"
    ),
    "payment.resolve_paid": Phrase(
        "Recorded as paid by {who} {at}", "Registrert som betalt av {who} {at}"
    ),
    "payment.resolve_not_paid": Phrase(
        "Recorded as not paid by {who} {at}", "Registrert som ikke betalt av {who} {at}"
    ),
    "payment.post": Phrase("Posted by {who} {at}", "Bokført av {who} {at}"),
}
# A first signature that recorded why it waits.
WAITS_BECAUSE = Phrase(
    "Signed by {who} {at}: 1 of 2 signatures — a second signer is needed because {why}.",
    "Signert av {who} {at}: 1 av 2 signaturer — det trengs en signatar til fordi {why}.",
)
# Every reason at once, above the largest threshold a company can store (2^63 - 1 ten-thousandths):
# the longest the line gets (the daily post sizes its messages by it).
LONGEST_WHY = WhySecond(tuple(SecondSigner), Decimal("922337203685477.58"), "NOK")


def payment_summary(payment: PaymentView, language: Language, today: date | None = None) -> str:
    """One line: flag, payee, amount, due date (or since when it is overdue), reference, number."""
    reference = reference_text(payment.reference_type, payment.reference, language)
    return (
        f"{FLAG_EMOJI[payment.flag]} *{escape(payment.payee)}* · "
        f"{format_money(payment.amount, payment.currency, language)} · "
        f"{due_text(payment, language, today)} · "
        f"{escape(reference or NO_REFERENCE(language))} · #{payment.id}"
    )


def due_text(payment: PaymentView, language: Language, today: date | None) -> str:
    """ "due 1 Dec 2026"; "*overdue since 1 Dec 2026*" when it is still to be paid and its due
    date is before `today` (the business day; None: not known, nothing said of overdue)."""
    shown = day(payment.due_date, language)
    if is_overdue(payment, today):
        return f"*{OVERDUE(language, date=shown)}*"
    return DUE_ON(language, date=shown)


def is_overdue(payment: PaymentView, today: date | None) -> bool:
    """Still to be paid (a proposal, approved, or failed) and due before `today`."""
    due = payment.due_date
    return today is not None and due is not None and due < today and payment.status in _TO_BE_PAID


def payment_line(payment: PaymentView, language: Language) -> str:
    """One line of a search answer: flag, payee, amount, due date, status, account, reference."""
    account = format_account(payment.account) if payment.account else NO_ACCOUNT(language)
    reference = reference_text(payment.reference_type, payment.reference, language) or "–"
    reason = failure_words(payment.failure_kind, payment.failure_reason, language)
    why = f" — {reason}" if reason else ""
    return (
        f"{FLAG_EMOJI[payment.flag]} *{escape(payment.payee)}* "
        f"{format_money(payment.amount, payment.currency, language)}, "
        f"{DUE_ON(language, date=day(payment.due_date, language))} · "
        f"{STATUSES[payment.status](language)} · {account} · {escape(reference)} · "
        f"#{payment.id}{escape(why)}"
    )


def payment_text(
    payment: PaymentView,
    language: Language,
    today: date | None = None,
    voucher: VoucherRef | None = None,
) -> str:
    """The summary, the state when it is not a proposal (a posted one's voucher number, when
    known), and the flag's reasons in words."""
    lines = [payment_summary(payment, language, today)]
    if payment.status is PaymentStatus.POSTED and voucher is not None:
        lines.append(f"*{POSTED_AS(language, number=voucher.number)}*")
    elif payment.status is not PaymentStatus.PROPOSED:
        lines.append(f"*{STATUSES[payment.status](language)}*")
    if payment.flag is not Flag.BLUE and payment.status in _OPEN:
        lines += [f"• {REASONS[reason](language)}" for reason in payment.reasons]
    if payment.status is PaymentStatus.FAILED and payment.failure_reason:
        reason = failure_words(payment.failure_kind, payment.failure_reason, language)
        lines.append(f"• {escape(reason or payment.failure_reason)}")
    return "\n".join(lines)


def step_text(step: LastStep | None, language: Language, zone: ZoneInfo) -> str | None:
    if step is None or step.action not in STEPS:
        return None
    who = f"<@{step.slack_user_id}>" if step.slack_user_id else escape(step.label)
    at = at_clock(step.at, language, zone)
    if step.action == "payment.first_signature" and step.why:
        why = why_second(step.why, language, to_signer=False)
        return WAITS_BECAUSE(language, who=who, at=at, why=escape(why))
    return STEPS[step.action](language, who=who, at=at)


def longest_step(language: Language, user_id: str) -> LastStep:
    """The step whose line is the longest, done by `user_id` (for sizing messages)."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    steps = [LastStep(action, user_id, "", at, why=LONGEST_WHY) for action in STEPS]
    # "HH:mm" is as long in every zone: UTC measures it.
    return max(steps, key=lambda step: len(step_text(step, language, ZoneInfo("UTC")) or ""))


def payment_entry(
    payment: PaymentView,
    step: LastStep | None,
    language: Language,
    *,
    zone: ZoneInfo,
    follow_up: bool = True,
    today: date | None = None,
    may_post: bool = False,
    voucher: VoucherRef | None = None,
    approval_required: bool = False,
) -> list[Block]:
    """Section, who did what last (if anyone), and the buttons for the state it is in now.

    `follow_up=False` is for the daily proposals post: once a payment is signed, what follows
    (Fix, Sign again, the netbank check) happens on its alert and on the Home tab, so the
    post's entry keeps only Details and stays small enough for many entries per message.
    `today` (the business day) lets the entry say that the payment is overdue. `may_post`:
    a paid payment offers Post (to one who may post: the Home tab knows). `voucher`: the one a
    posted payment was posted as. `approval_required`: the company's setting; a proposal then
    offers Approve and no Sign.
    """
    blocks: list[Block] = [section(payment_text(payment, language, today, voucher))]
    said = step_text(step, language, zone)
    if said:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": said}]},
        )
    elements = buttons(
        payment,
        language,
        follow_up=follow_up,
        may_post=may_post,
        approval_required=approval_required,
    )
    if elements:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"p:{payment.id}:v{payment.version}",
                "elements": elements,
            }
        )
    return blocks


def payment_entries(
    payments: Sequence[PaymentView],
    steps: dict[int, LastStep],
    language: Language,
    *,
    zone: ZoneInfo,
    follow_up: bool = True,
    today: date | None = None,
    may_post: bool = False,
    vouchers: Mapping[int, VoucherRef] | None = None,
    approval_required: bool = False,
) -> list[Block]:
    vouchers = vouchers or {}
    return [
        block
        for p in payments
        for block in payment_entry(
            p,
            steps.get(p.id),
            language,
            zone=zone,
            follow_up=follow_up,
            today=today,
            may_post=may_post,
            voucher=vouchers.get(p.id),
            approval_required=approval_required,
        )
    ]


def buttons(
    payment: PaymentView,
    language: Language,
    *,
    follow_up: bool = True,
    may_post: bool = False,
    approval_required: bool = False,
) -> list[dict[str, Any]]:
    """The buttons that apply to the payment's state and the company's settings
    (`approval_required`: a proposal is approved before it is signed); the server re-checks
    every click."""
    value = str(payment.id)
    if may_post and payment.status is PaymentStatus.PAID:
        return [
            post_button(payment, language),
            _overflow([(DETAILS(language), Overflow.DETAILS)], value),
        ]
    if not follow_up and payment.status not in _BEFORE_SIGNING:
        return [_overflow([(DETAILS(language), Overflow.DETAILS)], value)]
    allowed = allowed_actions(payment.status)
    if payment.flag is Flag.RED and payment.status in _OPEN:
        return red_buttons(payment, language)
    elements: list[dict[str, Any]] = []
    if Action.APPROVE in allowed:
        elements.append(button(APPROVE(language), Act.APPROVE, value, style="primary"))
    if payment.status is PaymentStatus.FAILED and payment.failure_kind == "no_return":
        # It may have left the bank: a signer checks the netbank before anything else.
        left, not_left = money_confirms(payment, language)
        elements.append(
            button(MONEY_LEFT(language), Act.MONEY_LEFT, value, style="primary", confirm=left)
        )
        elements.append(
            button(MONEY_NOT_LEFT(language), Act.MONEY_NOT_LEFT, value, confirm=not_left)
        )
    elif payment.status is PaymentStatus.ON_HOLD:
        # Money may leave twice, or the bank booked another amount: a signer checks first.
        paid, not_paid = hold_confirms(payment, language)
        elements.append(
            button(HOLD_PAID(language), Act.HOLD_PAID, value, style="primary", confirm=paid)
        )
        elements.append(button(HOLD_NOT_PAID(language), Act.HOLD_NOT_PAID, value, confirm=not_paid))
    elif payment.status is PaymentStatus.FAILED:
        # Sent again as it is, what the bank refused (a closed account, a wrong KID) fails
        # again: fixing it is the first thing to look at.
        elements.append(button(FIX(language), Act.FIX, value, style="primary"))
        elements.append(button(SIGN_AGAIN(language), Act.SIGN_AGAIN, value))
    elif Action.SIGN in allowed and not waits_for_approval(payment.status, approval_required):
        elements.append(button(SIGN(language), Act.SIGN, value))
    if Action.RESTORE in allowed:
        elements.append(button(RESTORE(language), Act.RESTORE, value))
    options = [(DETAILS(language), Overflow.DETAILS)]
    if Action.FIX in allowed and payment.status is not PaymentStatus.FAILED:
        options.append((FIX(language), Overflow.FIX))
    if Action.DELETE in allowed:
        options.append((DELETE(language), Overflow.DELETE))
    elements.append(_overflow(options, value))
    return elements


def post_button(payment: PaymentView, language: Language) -> dict[str, Any]:
    """Post (Bokfør) a paid payment: its value names the company and the payment."""
    value = f"{payment.company_org_no}:{payment.id}"
    return button(POST(language), Act.POST, value, style="primary")


def red_buttons(payment: PaymentView, language: Language) -> list[dict[str, Any]]:
    """Something required is missing or invalid: no approval or signature can be given, so the
    entry offers what moves it on (Fix) and what says why (Details); Delete stays in the menu."""
    value = str(payment.id)
    elements = [
        button(FIX(language), Act.FIX, value, style="primary"),
        button(DETAILS(language), Act.DETAILS, value),
    ]
    if Action.DELETE in allowed_actions(payment.status):
        elements.append(_overflow([(DELETE(language), Overflow.DELETE)], value))
    return elements


def _overflow(options: list[tuple[str, Overflow]], value: str) -> dict[str, Any]:
    return {
        "type": "overflow",
        "action_id": Act.MORE.value,
        "options": [
            {"text": {"type": "plain_text", "text": text}, "value": f"{kind.value}:{value}"}
            for text, kind in options
        ],
    }


def button(
    text: str,
    action: Act,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": text[:75]},
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def delete_confirm(payment: PaymentView, language: Language) -> dict[str, Any]:
    """The confirm dialog on a Delete button."""
    amount = format_money(payment.amount, payment.currency, language)
    return {
        "title": {"type": "plain_text", "text": CONFIRM_DELETE_TITLE(language)},
        "text": {
            "type": "plain_text",
            "text": CONFIRM_DELETE(language, payee=payment.payee, amount=amount)[:300],
        },
        "confirm": {"type": "plain_text", "text": DELETE(language)},
        "deny": {"type": "plain_text", "text": CANCEL(language)},
        "style": "danger",
    }


MONEY_LEFT_TITLE = Phrase("Did the money leave?", "Gikk pengene?")
CONFIRM_MONEY_LEFT = Phrase(
    "Only if the netbank shows {amount} to {payee} left the account: #{id} becomes Paid.",
    "Bare hvis nettbanken viser at {amount} til {payee} gikk fra kontoen: #{id} blir betalt.",
)
CONFIRM_MONEY_NOT_LEFT = Phrase(
    "Only if the netbank shows no {amount} to {payee}: #{id} can then be fixed and signed again.",
    "Bare hvis nettbanken ikke viser {amount} til {payee}: #{id} kan da rettes og signeres igjen.",
)


def money_confirms(
    payment: PaymentView, language: Language
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The confirm dialogs on "The money left" and "The money did not leave"."""
    return (
        _confirm(payment, language, MONEY_LEFT_TITLE, CONFIRM_MONEY_LEFT, MONEY_LEFT),
        _confirm(payment, language, MONEY_LEFT_TITLE, CONFIRM_MONEY_NOT_LEFT, MONEY_NOT_LEFT),
    )


def _confirm(
    payment: PaymentView, language: Language, title: Phrase, text: Phrase, answer: Phrase
) -> dict[str, Any]:
    """A confirm dialog for a button where a signer says what the netbank shows."""
    fields = {
        "amount": format_money(payment.amount, payment.currency, language),
        "payee": payment.payee,
        "id": payment.id,
    }
    return {
        "title": {"type": "plain_text", "text": title(language)},
        "text": {"type": "plain_text", "text": text(language, **fields)[:300]},
        "confirm": {"type": "plain_text", "text": answer(language)},
        "deny": {"type": "plain_text", "text": CANCEL(language)},
    }


_OPEN = frozenset({PaymentStatus.PROPOSED, PaymentStatus.APPROVED})
_BEFORE_SIGNING = _OPEN | {PaymentStatus.DELETED}
# The money has not left and is still meant to: overdue once the due date has passed.
_TO_BE_PAID = _OPEN | {PaymentStatus.FAILED}


HOLD_TITLE = Phrase("What does the netbank show?", "Hva viser nettbanken?")
CONFIRM_HOLD_PAID = Phrase(
    "Only if {amount} to {payee} left once and every other send of #{id} is stopped in the "
    "netbank: #{id} becomes Paid.",
    "Bare hvis {amount} til {payee} gikk én gang og alle andre sendinger av #{id} er stoppet i "
    "nettbanken: #{id} blir betalt.",
)
CONFIRM_HOLD_NOT_PAID = Phrase(
    "Only if no {amount} to {payee} left and every send of #{id} is stopped: #{id} can then be "
    "fixed and signed again.",
    "Bare hvis ingen {amount} til {payee} gikk og alle sendinger av #{id} er stoppet: #{id} kan "
    "da rettes og signeres igjen.",
)


def hold_confirms(
    payment: PaymentView, language: Language
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The confirm dialogs on "Paid once" and "Not paid" of a payment On hold."""
    return (
        _confirm(payment, language, HOLD_TITLE, CONFIRM_HOLD_PAID, PAID_ONCE),
        _confirm(payment, language, HOLD_TITLE, CONFIRM_HOLD_NOT_PAID, HOLD_NOT_PAID),
    )
