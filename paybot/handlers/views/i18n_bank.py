"""The bank's answers in the company's language: a failed payment's reason (its reason codes,
FORMATS.md §5, and paybot's own words for no answer, a returned payment, a file the bank would not
take), and a refused one-time code in the Sign modal.

A failure reason is stored once, in English, when the answer comes (the payment has no reader
yet). It is said again here from what was stored with it: the failure's kind, and the bank's
reason codes in it, each recognised as exactly what `pain002.reason_text` wrote for that code. The
bank's own free text is never changed; text paybot does not recognise is shown as stored.
"""

from __future__ import annotations

from paybot.core import otp
from paybot.core.bankfiles.pain002 import reason_text
from paybot.core.company import Language
from paybot.core.errors import CodeReplayed, InvalidOtp, NotEnrolled, OtpLocked, PaybotError
from paybot.handlers.views.i18n import Phrase
from paybot.services.netbank import NOT_PAID_REASON
from paybot.services.returns import NO_RETURN_REASON

# The bank's reason codes in Norwegian (the English words are pain002's).
REASONS_NB = {
    "AC01": "Kontonummeret er feil eller mangler",
    "AC03": "Mottakerens kontonummer er feil eller mangler",
    "AC04": "Kontoen er avsluttet",
    "AC06": "Kontoen er sperret",
    "AC13": "Belastningskontoens type er feil eller mangler",
    "AG01": "Denne typen betaling er ikke tillatt på kontoen",
    "AM02": "Beløpet er over det høyeste tillatte",
    "AM04": "Ikke nok penger på kontoen",
    "AM05": "Duplikat: denne betalingen er sendt før",
    "AM09": "Beløpet er feil",
    "AM10": "Summen av betalingene stemmer ikke med filens kontrollsum",
    "BE01": "Navnet stemmer ikke med kontoen",
    "BE04": "Mottakerens adresse er feil eller mangler",
    "RC01": "Bankens identifikator (BIC) er feil",
    "RR01": "Regulatoriske opplysninger mangler: belastningskonto eller betalers ID",
    "RR02": "Regulatoriske opplysninger mangler: betalers navn eller adresse",
    "RR03": "Regulatoriske opplysninger mangler: mottakerens navn eller adresse",
    "RR04": "Stoppet av regulatoriske grunner",
    "CH03": "Betalingsdatoen er for langt frem i tid",
    "DT01": "Datoen er ugyldig",
    "TM01": "Banken mottok den etter fristen",
    "CUST": "Kansellert etter ønske fra betaler",
    "DUPL": "Dobbel betaling",
    "FF01": "Filformatet er ufullstendig eller ugyldig",
    "MS02": "Kunden oppga ingen grunn",
    "MS03": "Banken oppga ingen grunn",
    "NARR": "Se bankens forklaring",
}
UNKNOWN_CODE = Phrase("The bank rejected it with code {code}", "Banken avviste den med kode {code}")
# What answers._why stores when the bank named no reason code.
_NO_CODE_NB = {
    "The bank gave no reason": "Banken oppga ingen grunn",
    "no reason given": "ingen grunn oppgitt",
}
RETURNED_PREFIX = "The bank returned the money: "  # answers.py, a returned booking
RETURNED = Phrase("The bank returned the money: {why}", "Banken sendte pengene tilbake: {why}")
NO_ANSWER = Phrase(
    "No answer from the bank: check the netbank before paying again.",
    "Intet svar fra banken: sjekk nettbanken før du betaler på nytt.",
)
# The other no-answer failure: the upload broke off (dispatching), the file may be at the bank.
UPLOAD_BROKE_OFF = Phrase(
    "The upload broke off: the bank may or may not have it. Check the netbank before paying again.",
    "Opplastingen brøt av: banken kan ha fått den eller ikke. Sjekk nettbanken før du betaler "
    "på nytt.",
)
HOLD_NOT_PAID = Phrase(
    "On hold, then recorded as not paid: no money left and every send of it was stopped in the "
    "netbank. Fix it if needed and sign again.",
    "Stoppet, så registrert som ikke betalt: ingen penger gikk, og hver sending ble stoppet i "
    "nettbanken. Rett den om nødvendig og signer på nytt.",
)
NOT_LEFT = Phrase(
    "No answer from the bank; the netbank shows the money did not leave. Fix it if needed and "
    "sign again.",
    "Intet svar fra banken; nettbanken viser at pengene ikke gikk. Rett den om nødvendig og "
    "signer på nytt.",
)
# The writer's problem (paybot's own words about the payment's fields) is kept beside.
UNWRITABLE = Phrase(
    "It could not be written into a file the bank takes: {problem}",
    "Den kunne ikke skrives i en fil banken tar imot: {problem}",
)


def reason_words(reason: str | None, language: Language) -> str | None:
    """The stored reason, with each of the bank's reason codes in it said in the language."""
    if reason is None or language is Language.EN:
        return reason
    return "; ".join(_code_words(part, language) for part in reason.split("; "))


def _code_words(part: str, language: Language) -> str:
    if part in _NO_CODE_NB:
        return _NO_CODE_NB[part]
    words = part.rstrip(")").rsplit(" ", 1)
    code = words[-1].lstrip("(")
    if reason_text(code) != part:
        return part  # not a reason code's words: as stored
    if code in REASONS_NB:
        return f"{REASONS_NB[code]} ({code})"
    return UNKNOWN_CODE(language, code=code)


def failure_words(kind: str | None, reason: str | None, language: Language) -> str | None:
    """A failed payment's stored reason in the language, from the failure's kind.

    kind: rejected (reason codes), returned (the money came back, with the codes), no_return
    (no answer, or an upload that broke off), checked_not_left (the netbank was checked) or
    unwritable (no file could carry it).
    """
    if reason is None or language is Language.EN:
        return reason
    if kind == "no_return":
        return (NO_ANSWER if reason == NO_RETURN_REASON else UPLOAD_BROKE_OFF)(language)
    if kind == "checked_not_left":
        return (HOLD_NOT_PAID if reason == NOT_PAID_REASON else NOT_LEFT)(language)
    if kind == "unwritable":
        return UNWRITABLE(language, problem=reason)
    if kind == "returned" and reason.startswith(RETURNED_PREFIX):
        why = reason_words(reason.removeprefix(RETURNED_PREFIX), language)
        return RETURNED(language, why=why)
    return reason_words(reason, language)


# A refused one-time code, by the refusal's kind.
WRONG_CODE = Phrase(
    "That code is not right (or has expired). Enter the current code.",
    "Koden er feil (eller utløpt). Skriv inn koden som vises nå.",
)
TRIES_LEFT = Phrase(
    "{left} more wrong code(s) lock signing.",
    "{left} feil kode(r) til låser signeringen.",
)
LOCKED_NOW = Phrase(
    "That was {max} wrong codes in a row: signing is locked for {minutes} minutes (an admin can "
    "lift it with `paybot otp unlock`).",
    "Det var {max} feil koder på rad: signeringen er låst i {minutes} minutter (en administrator "
    "kan oppheve det med `paybot otp unlock`).",
)
LOCKED = Phrase(
    "Signing is locked after {max} wrong codes in a row; an admin can lift it with "
    "`paybot otp unlock`.",
    "Signeringen er låst etter {max} feil koder på rad; en administrator kan oppheve det med "
    "`paybot otp unlock`.",
)
LOCKED_FOR = Phrase(
    "Signing is locked after {max} wrong codes in a row, for {minutes} more minute(s); an admin "
    "can lift it with `paybot otp unlock`.",
    "Signeringen er låst etter {max} feil koder på rad, i {minutes} minutt(er) til; en "
    "administrator kan oppheve det med `paybot otp unlock`.",
)
REPLAYED = Phrase(
    "That code has been used already. Wait for the next code.",
    "Den koden er brukt allerede. Vent på neste kode.",
)
NOT_ENROLLED = Phrase(
    "You have no confirmed one-time-code device; enroll with `paybot otp enroll` and confirm it "
    "with a first code.",
    "Du har ingen bekreftet engangskode-enhet; registrer en med `paybot otp enroll` og bekreft "
    "den med en første kode.",
)


def code_refusal(error: PaybotError, language: Language) -> str | None:
    """A refused one-time code in the language, from the refusal's kind and values; None when
    the error is not about the code (its own message says it).

    Values are read from the error where it carries them (`left`: wrong codes left before the
    lock, 0 when this one locked it; `minutes`: how long the lock lasts); without them the
    sentence says no number.
    """
    if language is Language.EN:
        return None
    minutes = _int(getattr(error, "minutes", None))
    if isinstance(error, OtpLocked):
        if minutes is None:
            return LOCKED(language, max=otp.MAX_FAILURES)
        return LOCKED_FOR(language, max=otp.MAX_FAILURES, minutes=minutes)
    if isinstance(error, NotEnrolled):
        return NOT_ENROLLED(language)
    if isinstance(error, CodeReplayed):
        return REPLAYED(language)
    if isinstance(error, InvalidOtp):
        left = _int(getattr(error, "left", None))
        said = WRONG_CODE(language)
        if left == 0:
            lock = minutes or int(otp.LOCK_DURATION.total_seconds() // 60)
            return f"{said} {LOCKED_NOW(language, max=otp.MAX_FAILURES, minutes=lock)}"
        if left is not None:
            return f"{said} {TRIES_LEFT(language, left=left)}"
        return said
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
