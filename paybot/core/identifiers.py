"""Identifiers of payments: account numbers (BBAN, IBAN, foreign), KID, organisation numbers,
and a payee's country code and bank's BIC as payments abroad carry them."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.no import kontonr, orgnr

from paybot.core.errors import Fault, FieldFault

# schwifty (with pycountry) is imported by the two functions that check IBANs, and pycountry by
# is_country: they take longer to load than a quick command takes to run, and each IBAN or country
# is checked once (account_fault's and is_country's caches).

_SEPARATORS = re.compile(r"[\s.\-]")


def compact_account(text: str) -> str:
    """Account number without dots, spaces or dashes, upper case: the form we store and compare."""
    return _SEPARATORS.sub("", text).upper()


def is_iban_like(account: str) -> bool:
    return len(account) >= 2 and account[:2].isalpha()


def domestic_account(text: str) -> str:
    """The account compacted; a Norwegian IBAN whose mod-97 check holds as its 11-digit BBAN.

    A Norwegian IBAN is the BBAN with `NO` and two check digits in front: the same account. Kept
    as a BBAN it compares equal with the supplier's registered account, and it is paid as every
    other Norwegian account is. Anything else (a foreign IBAN, a broken one) stays as it is, for
    the usual checks to judge.
    """
    account = compact_account(text)
    if len(account) == 15 and account.startswith("NO") and account[2:].isdigit():
        rearranged = account[4:] + "2324" + account[2:4]  # N=23, O=24 (ISO 13616)
        if int(rearranged) % 97 == 1:
            return account[4:]
    return account


_FOREIGN_ACCOUNT = re.compile(r"[A-Z0-9]{1,34}")


def is_foreign_account(account: str, country: str | None) -> bool:
    """An account abroad that is not an IBAN (a US or Canadian account number, say): the payee's
    country is known and not Norway, and the account does not start with two letters."""
    return bool(country) and country != "NO" and not is_iban_like(compact_account(account))


# A BIC (ISO 9362) as both pain.001 versions take it: .03's BICIdentifier is the stricter (.09's
# BICFIDec2014Identifier admits more): 4 letters for the bank, 2 for the country, a location whose
# first character is not 0 or 1 and whose second is not the letter O, perhaps a branch of 3.
BIC_PATTERN = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?")
# Kosovo's code: not (yet) assigned by ISO 3166, but the one banks, IBANs and BICs use.
_USER_ASSIGNED_COUNTRIES = frozenset({"XK"})


@lru_cache(maxsize=512)
def is_country(code: str) -> bool:
    """`code` is a country's code as paybot stores and writes it: two upper-case ASCII letters,
    ISO 3166-1 alpha-2 (pycountry's list) or XK (Kosovo, as banks and IBANs have it)."""
    if len(code) != 2 or not (code.isascii() and code.isalpha() and code.isupper()):
        return False
    import pycountry  # loads its tables on first use: only a payment abroad pays for it

    return code in _USER_ASSIGNED_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None


def is_bic(code: str) -> bool:
    """`code` is a BIC as paybot stores and writes it: compact and upper-case, of the form both
    pain.001 versions take (BIC_PATTERN), its 5th and 6th characters a country's code
    (is_country). The bank registry is not asked: it does not know every bank in the world."""
    return BIC_PATTERN.fullmatch(code) is not None and is_country(code[4:6])


# A ledger has far fewer distinct accounts than items; checking each once keeps refresh linear.
@lru_cache(maxsize=65536)
def account_fault(text: str, country: str | None = None) -> FieldFault | None:
    """None for a valid account; otherwise why not, in English and as a kind with values.

    A Norwegian account is 11 digits with a MOD11 check digit; anything starting with two letters
    is an IBAN, checked with its national check digit too (so a Norwegian IBAN is checked
    like its BBAN). With the payee's `country` (ISO 3166 alpha-2) known and not NO, an account
    that is not an IBAN is a foreign account number: 1-34 letters and digits, paid with the
    bank's BIC (its format is the payee's bank's business).
    """
    account = compact_account(text)
    typed = text.strip()
    if not account:
        return FieldFault(Fault.ACCOUNT_REQUIRED, "no account number")
    if is_iban_like(account):
        return _iban_fault(account, text)
    if country and country != "NO":
        if _FOREIGN_ACCOUNT.fullmatch(account):
            return None
        return FieldFault(
            Fault.FOREIGN_ACCOUNT,
            f"{typed} is not an account number (1-34 letters and digits)",
            {"typed": typed},
        )
    if not account.isdigit() or len(account) != 11:
        return FieldFault(
            Fault.ACCOUNT_DIGITS,
            f"{typed} is not an 11-digit Norwegian account number",
            {"typed": typed},
        )
    try:
        kontonr.validate(account)
    except ValidationError:
        return FieldFault(
            Fault.ACCOUNT_CHECK_DIGIT, f"{typed} has a wrong check digit", {"typed": typed}
        )
    return None


def account_problem(text: str, country: str | None = None) -> str | None:
    """None for a valid account; otherwise why not (account_fault's English)."""
    fault = account_fault(text, country)
    return None if fault is None else fault.message


def _iban_fault(account: str, text: str) -> FieldFault | None:
    """What schwifty finds wrong with an IBAN (schwifty 2026.10), with its one warning handled.

    What schwifty checks, and where it stops:
    - always: the characters, the length for the country, the BBAN's structure (the IBAN
      registry's format) and the two ISO 7064 MOD 97-10 check digits, which catch any one wrong
      character and nearly every swap of two neighbours: the check that matters for typos;
    - the national check digits inside the BBAN only where it has that country's algorithm
      (NO, BE, CZ, EE, ES, FI, FR, IS, IT, PL, PT, SI, SK and a few more; DE per bank, and only
      for the methods it implements);
    - a country whose format has a national check-digit field but no algorithm in schwifty (SE,
      HU, AL, the Åland, Faroe and Greenland IBANs, France's overseas ones, BI, DJ): the digits
      are accepted unchecked and schwifty warns NationalChecksumNotVerified. Python prints such a
      warning on stderr, where it leaked into paybot's normal output;
    - a country whose check digit sits inside the account number, or a German bank whose method
      schwifty lacks: nothing is checked there and nothing is said.
    "National checksum not verified" is therefore not an error: the IBAN is as valid as schwifty
    can tell, the same as a British or Danish one, and the bank checks the rest. The warning is
    ignored here, deliberately and only here. (catch_warnings swaps the process's filters and is
    not thread-safe before Python 3.14; the worst a race does is leave this same filter in place,
    and account_fault's cache brings each account here once per process.)
    """
    from schwifty import IBAN
    from schwifty.exceptions import NationalChecksumNotVerified, SchwiftyException

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NationalChecksumNotVerified)
        try:
            IBAN(account, validate_bban=True)
        except SchwiftyException as exc:
            typed = text.strip()
            return FieldFault(
                Fault.IBAN,
                f"{typed} is not a valid IBAN ({exc})",
                {"typed": typed, "why": str(exc), "cause": type(exc).__name__},
            )
    return None


def bic_for_iban(iban: str | None) -> str | None:
    """The BIC of an IBAN's bank, where the bank registry knows it (payments abroad need it)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        bic = IBAN(compact_account(iban or "")).bic
    except SchwiftyException:
        return None
    return None if bic is None else str(bic)


def format_account(account: str) -> str:
    """Human form: 1234.56.78903 for a BBAN, groups of four for an IBAN."""
    compact = compact_account(account)
    if len(compact) == 11 and compact.isdigit():
        return kontonr.format(compact)
    if is_iban_like(compact):
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return account


def _kid_mod11_check_digit(body: str) -> str:
    total = sum(int(digit) * (2 + i % 6) for i, digit in enumerate(reversed(body)))
    remainder = 11 - total % 11
    return {11: "0", 10: "-"}.get(remainder, str(remainder))


def kid_fault(text: str) -> FieldFault | None:
    """None for a valid KID: 2-25 digits whose last is a MOD10 or MOD11 check digit ('-' for 10);
    otherwise why not, in English and as a kind with values."""
    kid = text.strip()
    if not 2 <= len(kid) <= 25:
        return FieldFault(Fault.KID_LENGTH, f"KID {kid!r} must be 2 to 25 digits", {"kid": kid})
    body, check = kid[:-1], kid[-1]
    # ASCII digits only: str.isdigit takes "²" and other scripts' digits, which int() refuses.
    if not (body.isascii() and body.isdigit()) or check not in "0123456789-":
        return FieldFault(
            Fault.KID_CHARACTERS,
            f"KID {kid!r} may hold only digits (and '-' as a MOD11 check digit)",
            {"kid": kid},
        )
    if check != "-" and luhn.is_valid(kid):
        return None
    if _kid_mod11_check_digit(body) == check:
        return None
    return FieldFault(
        Fault.KID_CHECK_DIGIT,
        f"KID {kid!r} has a wrong check digit (neither MOD10 nor MOD11)",
        {"kid": kid},
    )


def kid_problem(text: str) -> str | None:
    """None for a valid KID; otherwise why not (kid_fault's English)."""
    fault = kid_fault(text)
    return None if fault is None else fault.message


def normalize_org_no(text: str) -> str:
    """A valid Norwegian organisation number, compact; raises ValueError saying why not."""
    try:
        return str(orgnr.validate(text))
    except ValidationError as exc:
        raise ValueError(f"{text!r} is not a valid organisation number ({exc})") from exc
