"""Words, amounts and dates in the company's language: English or Norwegian bokmål.

Each view module declares its own phrases as `Phrase(en, nb)`; dates are formatted by babel for
the locale. Amounts have one form per language, the command line's too:
`paybot.core.money.format_money` ("NOK 12 345,50" in Norwegian, "NOK 12,345.50" in English).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from paybot.core.company import Language
from paybot.core.money import format_money
from paybot.core.payments import Flag, Reason
from paybot.core.signing import SecondSigner, WhySecond
from paybot.core.states import PaymentStatus

LOCALES = {Language.EN: "en_GB", Language.NB: "nb_NO"}


@dataclass(frozen=True)
class Phrase:
    """One text in both languages; `{name}` fields are filled by keyword."""

    en: str
    nb: str

    def __call__(self, language: Language, **values: object) -> str:
        text = self.nb if language is Language.NB else self.en
        return text.format(**values) if values else text


def preload() -> None:
    """Loads babel's data for both languages now (tens of milliseconds, once per process), so the
    first answers after a start do not wait for it, one after another."""
    for language in Language:
        day(date(2026, 1, 1), language)
        clock(datetime(2026, 1, 1, tzinfo=UTC), language, ZoneInfo("UTC"))


def day(value: date | None, language: Language) -> str:
    if value is None:
        return "–"
    pattern = "d. MMM y" if language is Language.NB else "d MMM y"
    return format_date(value, pattern, locale=LOCALES[language])


def clock(value: datetime, language: Language, zone: ZoneInfo) -> str:
    """Hours and minutes in the business time zone `zone` (Deps.zone): "09:12"."""
    return format_datetime(value.astimezone(zone), "HH:mm", locale=LOCALES[language])


# A moment said on its own ("sent {sent}", "until {until}", "As of {at}"); and one after a verb,
# with the words each language puts before a time and a date ("Approved by Kari {at}").
MOMENT = Phrase("{day} {time}", "{day} kl. {time}")
AT_CLOCK = Phrase("at {time}", "kl. {time}")
AT_MOMENT = Phrase("on {day} at {time}", "{day} kl. {time}")


def moment(value: datetime, language: Language, zone: ZoneInfo) -> str:
    """Date and time in the business time zone `zone`: "1 Dec 2026 09:12", in Norwegian
    "1. des. 2026 kl. 09:12"."""
    return MOMENT(language, **_day_and_time(value, language, zone))


def at_clock(value: datetime, language: Language, zone: ZoneInfo) -> str:
    """The time after a verb, in `zone`: "at 09:12", "kl. 09:12" ("Approved by Kari at 09:12")."""
    return AT_CLOCK(language, time=clock(value, language, zone))


def at_moment(value: datetime, language: Language, zone: ZoneInfo) -> str:
    """The date and time after a verb, in `zone`: "on 1 Dec 2026 at 09:12", in Norwegian
    "1. des. 2026 kl. 09:12" ("Approved by Kari on 1 Dec 2026 at 09:12")."""
    return AT_MOMENT(language, **_day_and_time(value, language, zone))


def _day_and_time(value: datetime, language: Language, zone: ZoneInfo) -> dict[str, str]:
    return {
        "day": day(value.astimezone(zone).date(), language),
        "time": clock(value, language, zone),
    }


# Why a payment needs a second signer: said to the signer ("you changed ...").
SECOND_SIGNER = {
    SecondSigner.ACCOUNT_CHANGED: Phrase(
        "the account differs from the supplier's registered account or the account it was last "
        "paid to",
        "kontonummeret er et annet enn leverandørens registrerte konto eller kontoen det sist ble "
        "betalt til",
    ),
    SecondSigner.ABOVE_THRESHOLD: Phrase(
        "the amount is above the company's dual-control threshold of {threshold}",
        "beløpet er over selskapets grense for to signaturer på {threshold}",
    ),
    SecondSigner.OWN_CHANGE: Phrase(
        "you changed the account or reference", "du endret kontonummeret eller referansen"
    ),
}
# The same on a card everyone reads.
FIRST_SIGNER_CHANGED = Phrase(
    "the first signer changed the account or reference",
    "den første signataren endret kontonummeret eller referansen",
)
AND = Phrase("and", "og")


def why_second(why: WhySecond, language: Language, *, to_signer: bool = True) -> str:
    """ "the account differs ...; and you changed the account or reference"."""
    threshold = (
        "–" if why.threshold is None else format_money(why.threshold, why.currency, language)
    )
    parts = [
        FIRST_SIGNER_CHANGED(language)
        if reason is SecondSigner.OWN_CHANGE and not to_signer
        else SECOND_SIGNER[reason](language, threshold=threshold)
        for reason in why.reasons
    ]
    if len(parts) > 1:
        parts[-1] = f"{AND(language)} {parts[-1]}"
    return "; ".join(parts)


FLAG_EMOJI = {Flag.BLUE: "🔵", Flag.ORANGE: "🟠", Flag.RED: "🔴"}

FLAGS = {
    Flag.BLUE: Phrase("blue (complete)", "blå (komplett)"),
    Flag.ORANGE: Phrase("orange (check open items)", "oransje (sjekk åpne poster)"),
    Flag.RED: Phrase("red (something missing)", "rød (noe mangler)"),
}

STATUSES = {
    PaymentStatus.PROPOSED: Phrase("Proposals", "Betalingsforslag"),
    PaymentStatus.APPROVED: Phrase("Approved", "Betalingsliste"),
    PaymentStatus.DUE: Phrase("Due", "Forfallsliste"),
    PaymentStatus.PROCESSING: Phrase("Processing", "Behandler"),
    PaymentStatus.FAILED: Phrase("Failed", "Feil"),
    PaymentStatus.PAID: Phrase("Paid", "Betalte"),
    PaymentStatus.POSTED: Phrase("Posted", "Bokført"),
    PaymentStatus.DELETED: Phrase("Deleted", "Slettet"),
    PaymentStatus.ON_HOLD: Phrase("On hold", "Stoppet"),
}

# The payments a possible duplicate looks like (the Details modal): "#6 · Paid 2 Dec 2026 · ...".
LOOKS_LIKE = Phrase(
    "*It looks like these payments* (check that this one is not paid already):",
    "*Den ligner på disse betalingene* (sjekk at denne ikke alt er betalt):",
)
PAID_ON = Phrase("Paid {day}", "Betalt {day}")
POSTED_PAID_ON = Phrase("Paid {day}, posted", "Betalt {day}, bokført")
INVOICE_NO = Phrase("invoice {no}", "faktura {no}")

# The payee's details of a payment abroad (core.payee_details.PAYEE_FIELDS) and urgency, and
# the payee's name (payments.payee), which the Fix modal asks for when a bank cannot take it.
PAYEE_LABELS = {
    "payee": Phrase("Payee", "Mottaker"),
    "street": Phrase("Street", "Gate/vei"),
    "building_no": Phrase("Building no.", "Husnummer"),
    "post_code": Phrase("Post code", "Postnummer"),
    "town": Phrase("Town", "Poststed"),
    "country": Phrase("Country", "Land"),
    "bic": Phrase("Payee's bank (BIC)", "Mottakers bank (BIC)"),
    "charge_bearer": Phrase("Charges", "Gebyrer"),
    "purpose_code": Phrase("Purpose code", "Kode for betalingsart"),
    "purpose_text": Phrase("Purpose", "Formål"),
    "urgent": Phrase("Urgent", "Haster"),
}
ADDRESS = Phrase("Payee's address", "Mottakers adresse")

# Who bears the banks' charges (core.payment_types.ChargeBearer values).
CHARGE_BEARER_NAMES = {
    "DEBT": Phrase("The company pays all charges (DEBT)", "Selskapet betaler alle gebyrer (DEBT)"),
    "CRED": Phrase("The payee pays all charges (CRED)", "Mottaker betaler alle gebyrer (CRED)"),
    "SHAR": Phrase(
        "Shared: each pays their own bank (SHAR)", "Delt: hver betaler sin egen bank (SHAR)"
    ),
    "SLEV": Phrase(
        "Each pays their own bank, as the SEPA scheme says (SLEV)",
        "Hver betaler sin egen bank, etter SEPA-reglene (SLEV)",
    ),
}

REASONS = {
    Reason.MISSING_ACCOUNT: Phrase("No payee account number", "Mangler kontonummer"),
    Reason.INVALID_ACCOUNT: Phrase(
        "The payee account number is not valid", "Kontonummeret er ikke gyldig"
    ),
    Reason.NON_POSITIVE_AMOUNT: Phrase(
        "The amount is zero or negative (a credit note or earlier payment)",
        "Beløpet er null eller negativt (kreditnota eller tidligere betaling)",
    ),
    Reason.MISSING_REFERENCE: Phrase(
        "No payment reference (KID or message)", "Mangler KID eller melding"
    ),
    Reason.INVALID_KID: Phrase(
        "The KID has a wrong check digit or format", "KID-nummeret har feil kontrollsiffer"
    ),
    Reason.UNSUPPORTED_CURRENCY: Phrase(
        "The currency is not an ISO 4217 currency", "Valutaen er ikke en ISO 4217-valuta"
    ),
    Reason.TAX_ACCOUNT_UNSUPPORTED: Phrase(
        "The payee account is the company's tax-withholding account, "
        "and its bank does not support tax-withholding accounts",
        "Mottakerkontoen er selskapets skattetrekkskonto, og banken støtter ikke skattetrekkskonto",
    ),
    Reason.INVALID_NAME: Phrase(
        "The payee's name has no letters a bank takes: write it in Latin letters",
        "Mottakerens navn har ingen bokstaver en bank tar imot: skriv det med latinske bokstaver",
    ),
    Reason.MISSING_ADDRESS: Phrase(
        "Payment abroad: the payee's town and country are needed (fill in the payee's address)",
        "Betaling til utlandet: mottakerens poststed og land må fylles ut (mottakerens adresse)",
    ),
    Reason.MISSING_BIC: Phrase(
        "Payment abroad: the payee's account is not an IBAN, so a valid BIC (SWIFT code) of "
        "the payee's bank is needed",
        "Betaling til utlandet: mottakerens kontonummer er ikke et IBAN, så en gyldig BIC "
        "(SWIFT-kode) for mottakerens bank må fylles ut",
    ),
    Reason.MISSING_PURPOSE: Phrase(
        "Payment abroad above the reporting threshold (NOK 100,000 unless the company set "
        "another), or without an exchange rate to NOK: the Currency Register needs a purpose "
        "code from Norges Bank's list and a short text",
        "Betaling til utlandet over rapporteringsgrensen (100 000 kroner om ikke selskapet har "
        "satt en annen), eller uten valutakurs til NOK: Valutaregisteret krever en kode for "
        "betalingsart fra Norges Banks liste og en kort tekst",
    ),
    Reason.OPEN_CREDIT_ITEMS: Phrase(
        "The supplier has open credit notes or earlier payments",
        "Leverandøren har åpne kreditnotaer eller tidligere betalinger",
    ),
    Reason.ACCOUNT_CHANGED: Phrase(
        "The payee account differs from the supplier's known account",
        "Kontonummeret er et annet enn leverandørens kjente konto",
    ),
    Reason.POSSIBLE_DUPLICATE: Phrase(
        "Another invoice from this supplier looks the same",
        "En annen faktura fra leverandøren ser lik ut",
    ),
}
