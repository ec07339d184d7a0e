"""The Sign modal (one payment, several, or every blue one): what will be signed, the code field,
and after the code what was signed. Pure builders: results in, Block Kit views out."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.company import Language
from paybot.core.identifiers import format_account
from paybot.core.money import RATE_SCALE, format_money
from paybot.core.otp import DIGITS
from paybot.core.payment_types import PaymentType
from paybot.core.payments import PaymentView
from paybot.handlers.ids import Block as BlockId
from paybot.handlers.ids import View
from paybot.handlers.views.blocks import Block, context, escape, section
from paybot.handlers.views.cards import payment_summary
from paybot.handlers.views.i18n import (
    CHARGE_BEARER_NAMES,
    PAYEE_LABELS,
    Phrase,
    day,
    moment,
    why_second,
)
from paybot.handlers.views.modal_parts import (
    AND_MORE,
    CANCEL,
    CLOSE,
    NOTHING,
    SECTION_TEXT,
    country_name,
    listed,
    notice,
    plain,
    purpose_text,
    sections,
    short,
    totals_text,
)
from paybot.services.sign_preview import MAX_AT_ONCE, Abroad, Blocker, Preview, Skip
from paybot.services.signing import Signed

SIGN_ONE = Phrase("Sign payment", "Signer betaling")
SIGN_MANY = Phrase("Sign payments", "Signer betalinger")
SIGN_BLUE = Phrase("Sign all blue", "Signer alle blå")
SIGN_BUTTON = Phrase("Sign", "Signer")
YOU_SIGN = Phrase("*You sign {count} payment(s):*", "*Du signerer {count} betaling(er):*")
TOTAL = Phrase("*Total:* {amounts}", "*Totalt:* {amounts}")
CODE_LABEL = Phrase("One-time code from your authenticator", "Engangskode fra autentiseringsappen")
CODE_HINT = Phrase(
    "The six digits your authenticator app shows now.",
    "De seks sifrene autentiseringsappen viser nå.",
)
NOTHING_TO_SIGN = Phrase(
    "There is nothing you can sign here now.", "Det er ingenting du kan signere her nå."
)
NO_BLUE = Phrase(
    "There are no blue proposals for you to sign in {company} now.",
    "Det er ingen blå betalingsforslag du kan signere i {company} nå.",
)
LEFT_OUT = Phrase("{count} left out: {why}", "{count} utelatt: {why}")
CANNOT_SIGN = Phrase("#{id} cannot be signed now: {why}", "#{id} kan ikke signeres nå: {why}")
ABOVE_DAY = Phrase(
    "⚠️ That is {total}; your daily limit leaves {left} today, so signing them all will be "
    "refused. Ask an admin to raise the limit, or sign fewer.",
    "⚠️ Det er {total}; dagsgrensen din gir {left} igjen i dag, så signering av alle vil bli "
    "avvist. Be en administrator heve grensen, eller signer færre.",
)
BLOCKERS = {
    Blocker.NO_ROLE: Phrase(
        "You may not sign payments in {company}: that needs the signer role.",
        "Du kan ikke signere betalinger i {company}: det krever signatarrollen.",
    ),
    Blocker.NOT_ENROLLED: Phrase(
        "You have no confirmed one-time-code device yet. Enroll your authenticator with "
        "`/bank enroll`, then sign.",
        "Du har ingen bekreftet engangskodeenhet ennå. Registrer autentiseringsappen med "
        "`/bank enroll`, og signer deretter.",
    ),
    Blocker.LOCKED: Phrase(
        "Signing is locked after too many wrong codes, until {until}. An admin can lift it.",
        "Signering er låst etter for mange feil koder, til {until}. En administrator kan åpne.",
    ),
}
SKIPS = {
    Skip.NOT_SIGNABLE: Phrase(
        "its state does not allow a signature", "tilstanden tillater ikke signering"
    ),
    Skip.MAY_HAVE_LEFT: Phrase(
        "the bank gave no answer and it may have been paid; check the netbank first",
        "banken svarte ikke og den kan være betalt; sjekk nettbanken først",
    ),
    Skip.INCOMPLETE: Phrase(
        "something is missing (red); fix it first", "noe mangler (rød); rett den først"
    ),
    Skip.NEEDS_APPROVAL: Phrase("it must be approved first", "den må godkjennes først"),
    Skip.SIGNED_ALREADY: Phrase(
        "you have signed it already; it waits for a second signer",
        "du har allerede signert; den venter på en signatar til",
    ),
    Skip.ONLY_EDITORS: Phrase(
        "you changed the account or reference, and so did everyone who signed it so far; it "
        "needs a signer who did not change it",
        "du endret kontonummeret eller referansen, og det gjorde alle som har signert den så "
        "langt; den trenger en signatar som ikke endret den",
    ),
    Skip.ABOVE_LIMIT: Phrase(
        "above your limit of {limit} per payment", "over grensen din på {limit} per betaling"
    ),
    Skip.NO_RATE: Phrase(
        "no exchange rate to check your limit with", "mangler valutakurs for å sjekke grensen"
    ),
    Skip.TOO_MANY: Phrase(
        "more than {max} at once; sign these, then open Sign all blue again",
        "mer enn {max} om gangen; signer disse, og åpne Signer alle blå igjen",
    ),
}
SIGNED = Phrase(
    "✅ Signed: {count} payment(s), {amounts}.", "✅ Signert: {count} betaling(er), {amounts}."
)
SIGNING = Phrase(
    "⏳ Signing {count} payments… this takes a few seconds.",
    "⏳ Signerer {count} betalinger … dette tar noen sekunder.",
)
DUE_NOW = Phrase(
    "They are due and go to the bank as the company's dispatch timing says.",
    "De står på forfallslisten og sendes til banken slik selskapet har valgt.",
)
WAITS_BECAUSE = Phrase(
    "{ids}: {count} of {required} signatures — a second signer is needed because {why}.",
    "{ids}: {count} av {required} signaturer — det trengs en signatar til fordi {why}.",
)
TO_ACCOUNT = Phrase("to {account}", "til {account}")
# A payment abroad in the Sign modal: quoted lines under its summary.
KINDS = {
    PaymentType.SEPA: Phrase("SEPA payment", "SEPA-betaling"),
    PaymentType.CROSS_BORDER: Phrase("Cross-border payment", "Utenlandsbetaling"),
}
ABROAD_TO = Phrase("🌍 {kind} to *{country}*", "🌍 {kind} til *{country}*")
NO_COUNTRY = Phrase("🌍 {kind} · country not given", "🌍 {kind} · land ikke oppgitt")
WORTH = Phrase("≈ {value} at {rate}, rate of {date}", "≈ {value} til kurs {rate}, kurs fra {date}")
NO_RATE = Phrase(
    "⚠️ No exchange rate for {currency} to {company}: its value in {company} is not known",
    "⚠️ Ingen valutakurs for {currency} til {company}: verdien i {company} er ukjent",
)
RATE_DECIMALS = 4  # a rate is shown with at least these decimals ("10.1560")


def _worth(preview: Preview) -> str:
    """ " (≈ NOK 152,340.00)" after a total in other currencies than the company's: what the
    signer's limits counted, at the rates the modal names."""
    home = preview.company.currency
    if all(currency == home for currency in preview.totals):
        return ""
    return f" (≈ {format_money(preview.total_company, home, preview.company.language)})"


def sign_modal(
    preview: Preview, *, callback: View, metadata: str, zone: ZoneInfo
) -> dict[str, Any]:
    """What will be signed (each payment and the total per currency), then the code field; or,
    when the person cannot sign, why — and no submit button. Times are in `zone`."""
    language = preview.company.language
    title = (SIGN_BLUE if callback is View.SIGN_ALL_BLUE else SIGN_ONE)(language)
    if len(preview.payments) > 1 and callback is not View.SIGN_ALL_BLUE:
        title = SIGN_MANY(language)
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback.value,
        "title": short(title),
        "close": short(CANCEL(language)),
        "private_metadata": metadata,
    }
    if preview.blocker is not None:
        until = moment(preview.locked_until, language, zone) if preview.locked_until else NOTHING
        text = BLOCKERS[preview.blocker](language, company=preview.company.name, until=until)
        return {**view, "close": short(CLOSE(language)), "blocks": [section(text)]}
    if not preview.payments:
        if callback is View.SIGN_ALL_BLUE:
            lines = [NO_BLUE(language, company=escape(preview.company.name))]
            lines += left_out_lines(preview)
        else:
            lines = [NOTHING_TO_SIGN(language)] + [
                CANNOT_SIGN(language, id=item.payment.id, why=_skip(item.why, preview))
                for item in preview.left_out
            ]
        return {**view, "close": short(CLOSE(language)), "blocks": sections(lines)}
    blocks = sections(
        [
            YOU_SIGN(language, count=len(preview.payments)),
            *listed([_to_sign(p, preview) for p in preview.payments], language),
            TOTAL(language, amounts=totals_text(preview.totals, language)) + _worth(preview),
        ]
    )
    notes = left_out_lines(preview)
    if preview.above_day_limit and preview.left_today is not None:
        currency = preview.company.currency
        notes.append(
            ABOVE_DAY(
                language,
                total=format_money(preview.total_company, currency, language),
                left=format_money(preview.left_today, currency, language),
            )
        )
    blocks += [context(note) for note in notes[:5]]
    blocks.append(code_input(language))
    return {**view, "submit": short(SIGN_BUTTON(language)), "blocks": blocks}


def signing_view(count: int, language: Language) -> dict[str, Any]:
    """Shown while a large batch is being signed after the ack; replaced by the outcome."""
    return notice(SIGN_BLUE(language), SIGNING(language, count=count), language)


def with_error(submitted: dict[str, Any], text: str) -> dict[str, Any]:
    """The submitted form again, with why it was refused just above the code field (for a
    batch signed after the ack, when a field error can no longer be returned)."""
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    view = {key: submitted[key] for key in kept if key in submitted}
    blocks = [b for b in submitted.get("blocks") or [] if b.get("block_id") != _REFUSED]
    warning = {**context(f"⚠️ {escape(text)}"), "block_id": _REFUSED}
    at = next(
        (i for i, b in enumerate(blocks) if b.get("block_id") == BlockId.CODE.value), len(blocks)
    )
    return {**view, "blocks": [*blocks[:at], warning, *blocks[at:]][:100]}


_REFUSED = "refused"


def code_input(language: Language) -> Block:
    return {
        "type": "input",
        "block_id": BlockId.CODE.value,
        "label": plain(CODE_LABEL(language)),
        "hint": plain(CODE_HINT(language)),
        "element": {
            "type": "plain_text_input",
            "action_id": BlockId.CODE.value,
            "min_length": DIGITS,
            "max_length": DIGITS + 1,  # "123 456" is taken too
            "placeholder": plain("123456"),
        },
    }


def left_out_lines(preview: Preview) -> list[str]:
    """How many were left out, and why, one line per reason."""
    language = preview.company.language
    counts: dict[Skip, int] = {}
    for item in preview.left_out:
        counts[item.why] = counts.get(item.why, 0) + 1
    return [
        LEFT_OUT(language, count=count, why=_skip(why, preview)) for why, count in counts.items()
    ]


def signed_view(
    signed: Sequence[Signed], language: Language, *, callback: View = View.SIGN
) -> dict[str, Any]:
    """After the code: what was signed, in the modal that asked for it."""
    totals: dict[str, Decimal] = {}
    for item in signed:
        currency = item.payment.currency
        totals[currency] = totals.get(currency, Decimal(0)) + item.payment.amount
    lines = [SIGNED(language, count=len(signed), amounts=totals_text(totals, language))]
    waiting = [item for item in signed if not item.complete]
    if len(waiting) < len(signed):
        lines.append(DUE_NOW(language))
    lines += _why_waiting(waiting, language)
    title = (SIGN_BLUE if callback is View.SIGN_ALL_BLUE else SIGN_ONE)(language)
    return notice(title, "\n".join(lines)[: SECTION_TEXT - 1], language)


def _why_waiting(waiting: Sequence[Signed], language: Language) -> list[str]:
    """Which payments wait for a second signer, and why: one line per reason."""
    groups: dict[tuple[str, int, int], list[str]] = {}
    for item in waiting:
        why = why_second(item.why, language) if item.why else NOTHING
        groups.setdefault((why, item.signatures, item.required), []).append(f"#{item.payment.id}")
    return [
        WAITS_BECAUSE(language, ids=_some(ids, language), count=n, required=r, why=why)
        for (why, n, r), ids in groups.items()
    ]


def _some(ids: list[str], language: Language) -> str:
    """At most 20 of them, and how many more."""
    shown = ", ".join(ids[:20])
    return shown if len(ids) <= 20 else f"{shown} {AND_MORE(language, count=len(ids) - 20)}"


def _to_sign(payment: PaymentView, preview: Preview) -> str:
    """A payment in the Sign modal: its summary and the account the money goes to; below it,
    for a payment abroad, what matters to the bank and what it is worth."""
    language = preview.company.language
    account = format_account(payment.account) if payment.account else NOTHING
    line = f"{payment_summary(payment, language)} · {TO_ACCOUNT(language, account=account)}"
    abroad = preview.abroad.get(payment.id)
    if abroad is None:
        return line
    quoted = abroad_lines(payment, abroad, preview.company.currency, language)
    return "\n".join([line, *(f"> {text}" for text in quoted)])


def abroad_lines(
    payment: PaymentView, abroad: Abroad, company_currency: str, language: Language
) -> list[str]:
    """What a signer needs of a payment abroad beyond its summary (mrkdwn lines): where it goes
    (country, the payee's bank), its value in the company's currency at the rate the limits
    use, who bears the charges, whether it is urgent, and its purpose."""
    details = payment.payee_details
    kind = KINDS[abroad.kind](language)
    if details.country:
        where = ABROAD_TO(
            language, kind=kind, country=escape(country_name(details.country, language))
        )
    else:
        where = NO_COUNTRY(language, kind=kind)
    if details.bic:
        where += f" · BIC {escape(details.bic)}"
    lines = [where]
    if payment.currency != company_currency:
        if abroad.rate is None or abroad.in_company is None:
            lines.append(NO_RATE(language, currency=payment.currency, company=company_currency))
        else:
            value = format_money(abroad.in_company, company_currency, language)
            rate = rate_text(abroad.rate.rate, language)
            lines.append(
                WORTH(language, value=value, rate=rate, date=day(abroad.rate.valid_from, language))
            )
    bearer = CHARGE_BEARER_NAMES.get(abroad.charge_bearer)
    charges = f"*{PAYEE_LABELS['charge_bearer'](language)}:* " + (
        bearer(language) if bearer else escape(abroad.charge_bearer)
    )
    if payment.urgent:
        charges += f" · *{PAYEE_LABELS['urgent'](language)}*"
    lines.append(charges)
    purpose = purpose_text(details, language)
    if purpose:
        lines.append(f"*{PAYEE_LABELS['purpose_text'](language)}:* {purpose}")
    return lines


def rate_text(rate: Decimal, language: Language) -> str:
    """ "10.1560" ("10,1560" in Norwegian): at least four decimals, all that were set."""
    exponent = rate.normalize().as_tuple().exponent
    places = max(RATE_DECIMALS, -exponent) if isinstance(exponent, int) else RATE_DECIMALS
    text = f"{rate:.{min(places, RATE_SCALE)}f}"
    return text.replace(".", ",") if language is Language.NB else text


def _skip(why: Skip, preview: Preview) -> str:
    language = preview.company.language
    limit = preview.limits.per_payment
    shown = (
        format_money(limit, preview.company.currency, language) if limit is not None else NOTHING
    )
    return SKIPS[why](language, limit=shown, max=MAX_AT_ONCE)
