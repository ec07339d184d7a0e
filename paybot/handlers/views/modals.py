"""The modals of the payment actions: Sign (one payment, or every blue one), Fix, Details and the
confirm step of Delete. Pure builders: results in, Block Kit views out, within Slack's limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale

from paybot.core import formatting
from paybot.core.company import Language
from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import format_account
from paybot.core.money import RATE_SCALE, format_money
from paybot.core.otp import DIGITS
from paybot.core.payee_details import (
    CHARGE_BEARERS,
    LIMITS,
    NAME_LIMIT,
    PAYEE_FIELDS,
    FieldProblem,
    PayeeDetailsInvalid,
    Problem,
)
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import Flag, PayeeDetails, PaymentView, Reason, ReferenceType
from paybot.core.purpose_codes import purpose_code, purpose_codes
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Block as BlockId
from paybot.handlers.ids import View
from paybot.handlers.views.blocks import Block, context, escape, section
from paybot.handlers.views.cards import STEPS, is_overdue, payment_summary
from paybot.handlers.views.ehf import ehf_lines
from paybot.handlers.views.i18n import (
    ADDRESS,
    CHARGE_BEARER_NAMES,
    FLAGS,
    LOCALES,
    PAYEE_LABELS,
    REASONS,
    STATUSES,
    Phrase,
    day,
    moment,
    why_second,
)
from paybot.services.payments import PaymentDetails
from paybot.services.sign_preview import MAX_AT_ONCE, Abroad, Blocker, Preview, Skip
from paybot.services.signing import Signed

TITLE_LIMIT = 24
SECTION_TEXT = 3000
# Lines of payments a modal lists before "and N more" (a modal holds 100 blocks, 250 kB).
LISTED = 60
HISTORY = 12  # newest events shown in Details
OPTION_TEXT = 75  # characters of a select option's text
OPTIONS = 100  # options of a static select, or option groups and options in each group

# The Fix modal's inputs of the payee's details, each block (and action) named as its field
# (core.payee_details.PAYEE_FIELDS), and the urgent checkbox.
PAYEE_BLOCKS: tuple[str, ...] = PAYEE_FIELDS
URGENT_BLOCK = "urgent"
# The payee's name (payments.payee), asked for when the payment is red for it (INVALID_NAME).
PAYEE_NAME_BLOCK = "payee"
# The value of the select option that clears its field: the charge bearer's "the payment
# type's default", and "no purpose code".
CLEAR_OPTION = "-"
# A BIC may be typed with spaces ("DEUT DE FF 500"); it is kept without them (11 at most).
BIC_TYPED = 14
# The red reasons the payee's details fix: the Fix modal asks for them even if the payment looks
# domestic now.
ABROAD_REASONS = frozenset({Reason.MISSING_ADDRESS, Reason.MISSING_BIC, Reason.MISSING_PURPOSE})

SIGN_ONE = Phrase("Sign payment", "Signer betaling")
SIGN_MANY = Phrase("Sign payments", "Signer betalinger")
SIGN_BLUE = Phrase("Sign all blue", "Signer alle blå")
SIGN_BUTTON = Phrase("Sign", "Signer")
FIX_TITLE = Phrase("Fix payment", "Rett betaling")
FIX_BUTTON = Phrase("Save", "Lagre")
DETAILS_TITLE = Phrase("Payment details", "Betalingsdetaljer")
DELETE_TITLE = Phrase("Delete payment", "Slett betaling")
DELETE_BUTTON = Phrase("Delete", "Slett")
CLOSE = Phrase("Close", "Lukk")
CANCEL = Phrase("Cancel", "Avbryt")

YOU_SIGN = Phrase("*You sign {count} payment(s):*", "*Du signerer {count} betaling(er):*")
TOTAL = Phrase("*Total:* {amounts}", "*Totalt:* {amounts}")
AND_MORE = Phrase("…and {count} more", "…og {count} til")
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
FIXED = Phrase("✅ Fixed: {summary}", "✅ Rettet: {summary}")
FIXED_NOTE = Phrase(
    "Any approval or signature given before the fix no longer counts.",
    "Godkjenning eller signaturer gitt før rettingen gjelder ikke lenger.",
)
DELETE_TEXT = Phrase(
    "Delete payment #{id}?\n{summary}\nIt leaves the bank module. You can add it back later.",
    "Slette betaling #{id}?\n{summary}\nDen fjernes fra Bank. Du kan legge den til igjen senere.",
)
ACCOUNT_LABEL = Phrase("Payee account", "Mottakers konto")
REFERENCE_TYPE_LABEL = Phrase("Reference type", "Referansetype")
REFERENCE_LABEL = Phrase("Reference", "Referanse")
REFERENCE_HINT = Phrase(
    "A KID with a valid check digit, or a message or invoice number (at most 140 characters).",
    "Et KID-nummer med gyldig kontrollsiffer, eller en melding eller et fakturanummer "
    "(høyst 140 tegn).",
)
# "KID", "Message", "Invoice no." (the command line names them the same).
REFERENCE_TYPES = {kind: Phrase(*names) for kind, names in formatting.REFERENCE_TYPES.items()}
PAYEE_TITLE = Phrase("*Payment abroad: the payee*", "*Betaling til utlandet: mottakeren*")
PAYEE_NOTE = Phrase(
    "The bank needs the payee's town and country at least; the BIC of the payee's bank where "
    "the account is not an IBAN; and a purpose code with a short text for payments above the "
    "reporting threshold (NOK 100,000 unless the company set another).",
    "Banken trenger minst mottakerens poststed og land; BIC for mottakerens bank når kontoen "
    "ikke er et IBAN; og kode for betalingsart med en kort tekst for betalinger over "
    "rapporteringsgrensen (100 000 kroner om ikke selskapet har satt en annen).",
)
COUNTRY_HINT = Phrase(
    "Two letters (ISO 3166), such as DE for Germany, SE for Sweden, US for the United States.",
    "To bokstaver (ISO 3166), som DE for Tyskland, SE for Sverige, US for USA.",
)
BIC_HINT = Phrase(
    "The SWIFT code of the payee's bank, 8 or 11 characters (such as DEUTDEFF).",
    "SWIFT-koden til mottakerens bank, 8 eller 11 tegn (som DEUTDEFF).",
)
PURPOSE_TEXT_HINT = Phrase(
    "What the payment is for, in at most 35 characters (such as “Machine parts, invoice 117”).",
    "Hva betalingen gjelder, med høyst 35 tegn (som «Maskindeler, faktura 117»).",
)
CHARGES_DEFAULT = Phrase(
    "The payment type's default ({code})", "Standard for betalingstypen ({code})"
)
NO_PURPOSE = Phrase("No purpose code", "Ingen kode for betalingsart")
NOT_IN_LIST = Phrase("{code} (not in Norges Bank's list)", "{code} (ikke i Norges Banks liste)")
URGENT_OPTION = Phrase("Send as an urgent payment", "Send som hastebetaling")
YES = Phrase("Yes", "Ja")
PAYEE_NAME_HINT = Phrase(
    "The name the payment file gives the bank, in letters a bank takes (abroad: Latin letters, "
    "such as “Dmitrij OOO”).",
    "Navnet betalingsfilen gir banken, med bokstaver en bank tar imot (til utlandet: latinske "
    "bokstaver, som «Dmitrij OOO»).",
)
# A field refused by core.payee_details, in the user's language: English as the core says it.
# Every Problem has its phrase here (views.fix_errors says them all). `label_nb`: the Norwegian
# label of the field to fill in too.
PROBLEMS = {
    Problem.TOO_LONG: Phrase("{message}", "høyst {limit} tegn (fikk {got})"),
    Problem.WRITTEN_TOO_LONG: Phrase(
        "{message}", "blir {got} tegn i betalingsfilen (æ → ae, å → aa): høyst {limit}"
    ),
    Problem.CHARACTER: Phrase(
        "{message}", "tegnet U+{code} på plass {position} er ikke tillatt (kontrolltegn)"
    ),
    Problem.COUNTRY: Phrase(
        "{message}",
        "{typed} er ikke en landkode: oppgi landets kode med to bokstaver (ISO 3166), som DE, "
        "SE eller US",
    ),
    Problem.COUNTRY_NAME: Phrase(
        "{message}", "oppgi landets kode med to bokstaver (ISO 3166): {typed} er {code}"
    ),
    Problem.BIC: Phrase(
        "{message}",
        "{typed} er ikke en BIC: 4 bokstaver for banken, 2 for landet, 2 bokstaver eller sifre "
        "for stedet og eventuelt 3 for filialen, som DNBANOKK eller DEUTDEFF500",
    ),
    Problem.BIC_COUNTRY: Phrase(
        "{message}", "{typed} er ikke en BIC: {code} (tegn 5 og 6) er ikke en landkode"
    ),
    Problem.CHARGE_BEARER: Phrase(
        "{message}",
        "{typed} er ikke et valg for gebyrer: DEBT (selskapet betaler alle), CRED (mottaker "
        "betaler dem) eller SHAR (hver betaler sin egen bank)",
    ),
    Problem.PURPOSE_CODE: Phrase(
        "{message}", "{typed} er ikke en kode for betalingsart i Norges Banks liste"
    ),
    Problem.URGENT: Phrase(
        "{message}",
        "bare en betaling til utlandet utenom SEPA kan sendes som hastebetaling; dette er en "
        "{kind_nb}",
    ),
    Problem.NO_WORDS: Phrase("{message}", "har ingen bokstaver eller sifre en bank tar imot"),
    Problem.NOT_SENT: Phrase(
        "{message}",
        "«{char}» (U+{code}) på plass {position} kan ikke stå i en betalingsfil: bruk latinske "
        "bokstaver, sifre og / - ? : ( ) . , ' +",
    ),
    Problem.PURPOSE_HALF: Phrase(
        "{message}", "fyll ut «{label_nb}» også: kode og tekst sendes sammen"
    ),
    Problem.DOMESTIC_PURPOSE: Phrase(
        "{message}",
        "en innenlandsk betaling har ingen betalingsart eller formål: det rapporteres bare for "
        "betalinger til utlandet",
    ),
}
KINDS_NB = {PaymentType.DOMESTIC: "innenlandsk betaling", PaymentType.SEPA: "SEPA-betaling"}
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
PROPOSED = Phrase("Proposed from the ledger at {at}", "Foreslått fra reskontro kl. {at}")
CAME_AS_EHF = Phrase(
    "Came in as an electronic invoice (EHF) at {at}", "Kom inn som elektronisk faktura (EHF) {at}"
)
NOTHING = "–"


def _worth(preview: Preview) -> str:
    """ " (≈ NOK 152,340.00)" after a total in other currencies than the company's: what the
    signer's limits counted, at the rates the modal names."""
    home = preview.company.currency
    if all(currency == home for currency in preview.totals):
        return ""
    return f" (≈ {format_money(preview.total_company, home, preview.company.language)})"


def loading() -> dict[str, Any]:
    """The modal opened at once with the click's trigger id (it lives 3 s), before any database
    work; the company's language is not known yet, so it speaks both."""
    return {
        "type": "modal",
        "title": _short("paybot"),
        "close": _short("Close / Lukk"),
        "blocks": [section(":hourglass_flowing_sand: Loading… / Henter…")],
    }


def notice(title: str, text: str, language: Language = Language.EN) -> dict[str, Any]:
    """A modal that only says something (a refusal, a result), with a Close button."""
    return {
        "type": "modal",
        "title": _short(title),
        "close": _short(CLOSE(language)),
        "blocks": [section(text)],
    }


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
        "title": _short(title),
        "close": _short(CANCEL(language)),
        "private_metadata": metadata,
    }
    if preview.blocker is not None:
        until = moment(preview.locked_until, language, zone) if preview.locked_until else NOTHING
        text = BLOCKERS[preview.blocker](language, company=preview.company.name, until=until)
        return {**view, "close": _short(CLOSE(language)), "blocks": [section(text)]}
    if not preview.payments:
        if callback is View.SIGN_ALL_BLUE:
            lines = [NO_BLUE(language, company=escape(preview.company.name))]
            lines += left_out_lines(preview)
        else:
            lines = [NOTHING_TO_SIGN(language)] + [
                CANNOT_SIGN(language, id=item.payment.id, why=_skip(item.why, preview))
                for item in preview.left_out
            ]
        return {**view, "close": _short(CLOSE(language)), "blocks": _sections(lines)}
    blocks = _sections(
        [
            YOU_SIGN(language, count=len(preview.payments)),
            *_listed([_to_sign(p, preview) for p in preview.payments], language),
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
    return {**view, "submit": _short(SIGN_BUTTON(language)), "blocks": blocks}


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
        "label": _text(CODE_LABEL(language)),
        "hint": _text(CODE_HINT(language)),
        "element": {
            "type": "plain_text_input",
            "action_id": BlockId.CODE.value,
            "min_length": DIGITS,
            "max_length": DIGITS + 1,  # "123 456" is taken too
            "placeholder": _text("123456"),
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


def fixed_view(payment: PaymentView, language: Language) -> dict[str, Any]:
    """After a fix: the payment as it is now, with the payee's details abroad where it has any;
    a fix voids an approval and any signatures."""
    lines = [FIXED(language, summary=payment_summary(payment, language))]
    if payment.status is not PaymentStatus.FAILED:
        lines.append(f"*{STATUSES[payment.status](language)}*")
    lines += [f"*{label}:* {value}" for label, value in payee_values(payment, language)]
    lines.append(FIXED_NOTE(language))
    return notice(FIX_TITLE(language), "\n".join(lines)[: SECTION_TEXT - 1], language)


def fix_modal(payment: PaymentView, language: Language, *, metadata: str) -> dict[str, Any]:
    """Account, reference type and reference, prefilled with what the payment has now; the
    payee's name when it is red for it (INVALID_NAME); for a payment abroad (or one red for want
    of an address, BIC or purpose) the payee's details too."""
    options = [
        _option(REFERENCE_TYPES[kind](language), kind.value)
        for kind in (ReferenceType.KID, ReferenceType.MESSAGE, ReferenceType.INVOICE)
    ]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": BlockId.REFERENCE_TYPE.value,
        "options": options,
    }
    if payment.reference_type is not ReferenceType.EMPTY:
        select["initial_option"] = options[
            [ReferenceType.KID, ReferenceType.MESSAGE, ReferenceType.INVOICE].index(
                payment.reference_type
            )
        ]
    blocks: list[Block] = [section(payment_summary(payment, language))]
    if Reason.INVALID_NAME in payment.reasons:
        blocks.append(
            {
                **_input(
                    PAYEE_NAME_BLOCK,
                    PAYEE_LABELS["payee"](language),
                    payment.payee,
                    max_length=NAME_LIMIT,
                ),
                "hint": _text(PAYEE_NAME_HINT(language)),
            }
        )
    blocks += [
        _input(BlockId.ACCOUNT, ACCOUNT_LABEL(language), payment.account, max_length=34),
        {
            "type": "input",
            "block_id": BlockId.REFERENCE_TYPE.value,
            "label": _text(REFERENCE_TYPE_LABEL(language)),
            "element": select,
        },
        {
            **_input(
                BlockId.REFERENCE, REFERENCE_LABEL(language), payment.reference, max_length=140
            ),
            "hint": _text(REFERENCE_HINT(language)),
        },
    ]
    if asks_payee_details(payment):
        blocks += payee_inputs(payment, language)
    return {
        "type": "modal",
        "callback_id": View.FIX.value,
        "title": _short(FIX_TITLE(language)),
        "submit": _short(FIX_BUTTON(language)),
        "close": _short(CANCEL(language)),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def asks_payee_details(payment: PaymentView) -> bool:
    """Whether the Fix modal asks for the payee's details: the payment is not domestic (by its
    account, currency and the payee's country), or is red for want of them."""
    kind = payment_type(payment.account, payment.currency, payment.payee_details.country)
    return kind is not PaymentType.DOMESTIC or not ABROAD_REASONS.isdisjoint(payment.reasons)


def payee_inputs(payment: PaymentView, language: Language) -> list[Block]:
    """The payee's address, country, BIC, charge bearer, purpose (and, for a cross-border
    payment, urgent), prefilled; all optional: an emptied field is cleared."""
    details = payment.payee_details
    kind = payment_type(payment.account, payment.currency, details.country)

    def text_input(name: str, limit: int, hint: Phrase | None = None) -> Block:
        block = _input(name, PAYEE_LABELS[name](language), getattr(details, name), max_length=limit)
        block["optional"] = True
        if hint is not None:
            block["hint"] = _text(hint(language))
        return block

    address = [
        text_input(name, LIMITS[name]) for name in ("street", "building_no", "post_code", "town")
    ]
    address.append(text_input("country", LIMITS["country"], COUNTRY_HINT))
    groups: dict[Reason | None, list[Block]] = {
        Reason.MISSING_PURPOSE: [
            _purpose_select(details.purpose_code, language),
            text_input("purpose_text", LIMITS["purpose_text"], PURPOSE_TEXT_HINT),
        ],
        Reason.MISSING_BIC: [text_input("bic", BIC_TYPED, BIC_HINT)],
        Reason.MISSING_ADDRESS: address,
        None: [_charges_select(details.charge_bearer, kind, language)],
    }
    # What the payment is red for comes first, then the rest, each in this order.
    usual = [Reason.MISSING_ADDRESS, Reason.MISSING_BIC, None, Reason.MISSING_PURPOSE]
    order = [reason for reason in usual if reason in payment.reasons] + usual
    blocks: list[Block] = [section(PAYEE_TITLE(language)), context(PAYEE_NOTE(language))]
    for reason in dict.fromkeys(order):
        blocks += groups[reason]
    if kind is PaymentType.CROSS_BORDER or payment.urgent:
        blocks.append(_urgent_checkbox(payment.urgent, language))
    return blocks


def _charges_select(current: str | None, kind: PaymentType, language: Language) -> Block:
    default = "SLEV" if kind is PaymentType.SEPA else "SHAR"
    options = [_option(CHARGES_DEFAULT(language, code=default), CLEAR_OPTION)]
    options += [
        _option(CHARGE_BEARER_NAMES[bearer.value](language), bearer.value)
        for bearer in CHARGE_BEARERS
    ]
    return _select("charge_bearer", options, current, language)


def _purpose_select(current: str | None, language: Language) -> Block:
    options = [_option(NO_PURPOSE(language), CLEAR_OPTION)]
    options += [
        _option(f"{entry.code} {entry.name(language.value)}", entry.code)
        for entry in purpose_codes()
    ]
    if current and purpose_code(current) is None:  # kept from elsewhere: shown, and refused
        options.append(_option(NOT_IN_LIST(language, code=current), current))
    return _select("purpose_code", options, current, language)


def _select(
    name: str, options: list[dict[str, Any]], current: str | None, language: Language
) -> Block:
    """An optional static select of `options` (the first clears the field), set to `current`;
    more than Slack's 100 options are put in groups of 100."""
    element: dict[str, Any] = {"type": "static_select", "action_id": name}
    if len(options) <= OPTIONS:
        element["options"] = options
    else:
        element["option_groups"] = [
            {
                "label": _text(f"{options[i]['text']['text'][:30]} …"),
                "options": options[i : i + OPTIONS],
            }
            for i in range(0, min(len(options), OPTIONS * OPTIONS), OPTIONS)
        ]
    element["initial_option"] = next(
        (option for option in options if option["value"] == current), options[0]
    )
    return {
        "type": "input",
        "block_id": name,
        "optional": True,
        "label": _text(PAYEE_LABELS[name](language)),
        "element": element,
    }


def _urgent_checkbox(urgent: bool, language: Language) -> Block:
    option = _option(URGENT_OPTION(language), URGENT_BLOCK)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": URGENT_BLOCK, "options": [option]}
    if urgent:
        element["initial_options"] = [option]
    return {
        "type": "input",
        "block_id": URGENT_BLOCK,
        "optional": True,
        "label": _text(PAYEE_LABELS["urgent"](language)),
        "element": element,
    }


def fix_errors(error: ValidationFailed, language: Language, shown: Iterable[str]) -> dict[str, str]:
    """A refused fix's field errors by input block: each on its own field where the modal shows
    it (the rest on the account), the payee's details in `language`. `shown`: the modal's
    input block ids."""
    shown = set(shown)
    problems: dict[str, FieldProblem] = (
        error.problems if isinstance(error, PayeeDetailsInvalid) else {}
    )
    errors: dict[str, str] = {}
    for field, text in error.errors.items():
        block = field if field in shown else BlockId.ACCOUNT.value
        problem = problems.get(field)
        said = text if problem is None else _problem_text(problem, language)
        errors[block] = "; ".join(filter(None, [errors.get(block), said[:1].upper() + said[1:]]))
    return {block: text[:2000] for block, text in errors.items()}


def _problem_text(problem: FieldProblem, language: Language) -> str:
    values = dict(problem.values)
    if problem.kind is Problem.URGENT:
        values["kind_nb"] = KINDS_NB.get(PaymentType(str(values["kind"])), "")
    if problem.kind is Problem.PURPOSE_HALF:
        values["label_nb"] = PAYEE_LABELS[str(values["missing"])](Language.NB)
    return PROBLEMS[problem.kind](language, message=problem.message, **values)


def payee_values(payment: PaymentView, language: Language) -> list[tuple[str, str]]:
    """The payee's details a payment abroad has, as (label, mrkdwn value): the address, the
    BIC, who bears the charges, the purpose, and whether it is urgent. Nothing when none."""
    details = payment.payee_details
    shown: list[tuple[str, str]] = []
    street = " ".join(filter(None, [details.street, details.building_no]))
    town = " ".join(filter(None, [details.post_code, details.town]))
    country = country_name(details.country, language) if details.country else ""
    address = [part for part in (street, town, country) if part]
    if address:
        shown.append((ADDRESS(language), escape("\n".join(address))))
    if details.bic:
        shown.append((PAYEE_LABELS["bic"](language), escape(details.bic)))
    if details.charge_bearer:
        bearer = CHARGE_BEARER_NAMES.get(details.charge_bearer)
        shown.append(
            (
                PAYEE_LABELS["charge_bearer"](language),
                bearer(language) if bearer else escape(details.charge_bearer),
            )
        )
    purpose = purpose_text(details, language)
    if purpose:
        shown.append((PAYEE_LABELS["purpose_text"](language), purpose))
    if payment.urgent:
        shown.append((PAYEE_LABELS["urgent"](language), YES(language)))
    return shown


def purpose_text(details: PayeeDetails, language: Language) -> str:
    """ "14 Purchase/sale of goods · Machine parts" (mrkdwn): the purpose code with its name in
    Norges Bank's list, and the text; empty when neither is set."""
    code = details.purpose_code
    entry = purpose_code(code)
    named = f"{code} {entry.name(language.value)}" if entry else code
    return escape(" · ".join(filter(None, [named, details.purpose_text])))


def country_name(code: str, language: Language) -> str:
    """ "Germany (DE)" in English, "Tyskland (DE)" in Norwegian; the code alone if unknown."""
    name = Locale.parse(LOCALES[language]).territories.get(code)
    return f"{name} ({code})" if name else code


def delete_modal(payment: PaymentView, language: Language, *, metadata: str) -> dict[str, Any]:
    """The confirm step of Delete from the overflow menu (its options carry no confirm)."""
    text = DELETE_TEXT(language, id=payment.id, summary=payment_summary(payment, language))
    return {
        "type": "modal",
        "callback_id": View.DELETE.value,
        "title": _short(DELETE_TITLE(language)),
        "submit": _short(DELETE_BUTTON(language)),
        "close": _short(CANCEL(language)),
        "private_metadata": metadata,
        "blocks": [section(text)],
    }


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
    if p.flag is Flag.ORANGE or details.open_credit_items:
        lines.append(OPEN_ITEMS(language) if details.open_credit_items else NO_OPEN_ITEMS(language))
        lines += _listed(
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
    blocks += _sections(lines)
    return {
        "type": "modal",
        "callback_id": View.DETAILS.value,
        "title": _short(DETAILS_TITLE(language)),
        "close": _short(CLOSE(language)),
        "blocks": blocks[:100],
    }


def history_lines(
    events: Iterable[dict[str, Any]], language: Language, zone: ZoneInfo
) -> list[str]:
    """The newest steps, oldest first: "23 Nov 2026 10:12 — Approved by Anders Approver"."""
    lines = []
    for event in events:
        action, at = str(event.get("action") or ""), event.get("at")
        if not isinstance(at, datetime) or action == "payment.refused":
            continue  # a refusal changed nothing; the audit trail keeps it
        who = escape(str(event.get("actor") or "paybot").rsplit(" (", 1)[0])
        when = moment(at, language, zone)
        if action in STEPS:
            said = STEPS[action](language, who=who, at=when)
        elif action == "payment.propose":
            said = PROPOSED(language, at=when)
        elif action == "import.ehf":
            said = CAME_AS_EHF(language, at=when)
        else:
            said = f"{escape(action)} · {who} · {when}"
        lines.append(f"• {said}")
    return lines[-HISTORY:]


def totals_text(totals: dict[str, Decimal], language: Language) -> str:
    """ "NOK 3,750.00 + EUR 200.00"."""
    return " + ".join(
        format_money(amount, currency, language) for currency, amount in sorted(totals.items())
    )


def _open_item(item: dict[str, Any], language: Language) -> str:
    amount = format_money(Decimal(item["amount"]), str(item["currency"]), language)
    invoice = f" · {escape(str(item['invoice_no']))}" if item.get("invoice_no") else ""
    dated = f" · {day(item['invoice_date'], language)}" if item.get("invoice_date") else ""
    return f"• {escape(str(item['voucher_no']))}{invoice} · {amount}{dated}"


def _skip(why: Skip, preview: Preview) -> str:
    language = preview.company.language
    limit = preview.limits.per_payment
    shown = (
        format_money(limit, preview.company.currency, language) if limit is not None else NOTHING
    )
    return SKIPS[why](language, limit=shown, max=MAX_AT_ONCE)


def _listed(lines: list[str], language: Language) -> list[str]:
    if len(lines) <= LISTED:
        return lines
    return [*lines[:LISTED], AND_MORE(language, count=len(lines) - LISTED)]


def _sections(lines: Iterable[str]) -> list[Block]:
    """Lines packed into as few sections as their 3000 characters allow."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = line[: SECTION_TEXT - 1]
        if current and len(current) + 1 + len(line) > SECTION_TEXT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def _input(block: str, label: str, initial: str | None, *, max_length: int) -> Block:
    """A plain text input whose action id is its block id (`BlockId` or a payee field)."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(block),
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    return {"type": "input", "block_id": str(block), "label": _text(label), "element": element}


def _option(text: str, value: str) -> dict[str, Any]:
    """A select option; its text cut to Slack's 75 characters, its value to 150."""
    if len(text) > OPTION_TEXT:
        text = text[: OPTION_TEXT - 1] + "…"
    return {"text": _text(text), "value": value[:150]}


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _short(text: str) -> dict[str, Any]:
    """A modal's title, submit or close text: 24 characters at most."""
    return _text(text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…")
