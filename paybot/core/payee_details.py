"""Checking the payee's details a person types for a payment abroad: postal address, country,
the payee's bank's BIC, who bears the charges, and the purpose reported to the Currency Register.

Each field may be given or not; an empty (or blank) one clears what the payment had. What is
stored is what was typed without its surrounding blanks; the codes (country, BIC, charge bearer)
in upper case, the BIC without inner spaces. Every refusal names its field and says why, in
English (`FieldProblem.message`), with its kind and values for a view to say it in another
language.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from paybot.core.errors import ValidationFailed
from paybot.core.payment_types import ChargeBearer, PaymentType
from paybot.core.payments import PayeeDetails
from paybot.core.purpose_codes import is_purpose_code
from paybot.core.text import REFUSED_CATEGORIES, text_problem, too_long

__all__ = [
    "CHARGE_BEARERS",
    "LIMITS",
    "PAYEE_FIELDS",
    "FieldProblem",
    "PayeeDetailsInvalid",
    "Problem",
    "check_payee_details",
    "payee_problems",
    "urgent_problem",
    "with_changes",
]

# The nine fields, as PayeeDetails (and store.tables.PAYEE_DETAILS) name them.
PAYEE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(PayeeDetails))

# The columns' lengths (migration 0011), in characters (code points, as varchar(N) counts).
LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "street": 70,
        "building_no": 16,
        "post_code": 16,
        "town": 35,
        "country": 2,
        "bic": 11,
        "charge_bearer": 4,
        "purpose_code": 10,
        "purpose_text": 35,
    }
)

# Who bears the charges, as a person may choose it (SLEV is the SEPA scheme's, never chosen).
CHARGE_BEARERS = (ChargeBearer.DEBT, ChargeBearer.CRED, ChargeBearer.SHAR)

# pain.001.001.03's BICIdentifier (.09's BICFIDec2014Identifier admits more): ASCII only.
_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?", re.ASCII)

_TEXT_FIELDS = frozenset({"street", "building_no", "post_code", "town", "purpose_text"})


class Problem(StrEnum):
    """What can be wrong with one field."""

    TOO_LONG = "too_long"  # limit, got
    CHARACTER = "character"  # code (hex), position
    COUNTRY = "country"  # typed
    COUNTRY_NAME = "country_name"  # typed, code: a name or alpha-3 code of a country
    BIC = "bic"  # typed
    BIC_COUNTRY = "bic_country"  # code: the BIC's 5th and 6th characters
    CHARGE_BEARER = "charge_bearer"  # typed
    PURPOSE_CODE = "purpose_code"  # typed
    URGENT = "urgent"  # kind: the payment type (not cross-border)


@dataclass(frozen=True)
class FieldProblem:
    """Why one field was refused: `message` in English, `kind` and `values` for other languages."""

    kind: Problem
    message: str
    values: Mapping[str, str | int] = field(default_factory=dict)


class PayeeDetailsInvalid(ValidationFailed):
    """ValidationFailed whose payee-detail fields also say why as `problems` (by field name)."""

    def __init__(
        self,
        errors: Mapping[str, str],
        problems: Mapping[str, FieldProblem],
        user_message: str | None = None,
    ) -> None:
        super().__init__(errors, user_message)
        self.problems = dict(problems)


def check_payee_details(given: Mapping[str, str | None]) -> dict[str, str | None]:
    """The given fields in stored form (None: cleared), or PayeeDetailsInvalid naming each field
    that is wrong. A field that is None in `given`, or not in it, is left as it is (not returned).

    Raises:
        ValueError: `given` names a field that is not one of PAYEE_FIELDS (a programming error).
    """
    stored, problems = payee_problems(given)
    if problems:
        raise PayeeDetailsInvalid(_messages(problems), problems)
    return stored


def payee_problems(
    given: Mapping[str, str | None],
) -> tuple[dict[str, str | None], dict[str, FieldProblem]]:
    """The fields that hold, in stored form, and why each other field does not."""
    unknown = set(given) - set(PAYEE_FIELDS)
    if unknown:
        raise ValueError(f"not payee details: {', '.join(sorted(unknown))}")
    stored: dict[str, str | None] = {}
    problems: dict[str, FieldProblem] = {}
    for name in PAYEE_FIELDS:
        typed = given.get(name)
        if typed is None:
            continue
        value, problem = _check(name, typed)
        if problem is None:
            stored[name] = value
        else:
            problems[name] = problem
    return stored, problems


def urgent_problem(kind: PaymentType) -> FieldProblem | None:
    """Why a payment of `kind` cannot be sent as urgent (SvcLvl URGP): only cross-border can."""
    if kind is PaymentType.CROSS_BORDER:
        return None
    said = "domestic" if kind is PaymentType.DOMESTIC else "SEPA"
    return FieldProblem(
        Problem.URGENT,
        f"only a cross-border payment can be sent as urgent; this is a {said} payment",
        {"kind": kind.value},
    )


def with_changes(details: PayeeDetails, changes: Mapping[str, Any]) -> PayeeDetails:
    """`details` with the payee-detail fields among `changes` replaced."""
    replaced = {name: changes[name] for name in PAYEE_FIELDS if name in changes}
    return dataclasses.replace(details, **replaced) if replaced else details


def _messages(problems: Mapping[str, FieldProblem]) -> dict[str, str]:
    return {name: problem.message for name, problem in problems.items()}


def _check(name: str, typed: str) -> tuple[str | None, FieldProblem | None]:
    text = typed.strip()
    if problem := _character(typed, text):
        return None, problem
    if not text:
        return None, None  # cleared
    if name in _TEXT_FIELDS:
        return text, _length(text, LIMITS[name])
    if name == "country":
        return _country(text)
    if name == "bic":
        return _bic(text)
    if name == "charge_bearer":
        code = text.upper()  # ASCII only: "ſhar".upper() is SHAR too
        if text.isascii() and code in {bearer.value for bearer in CHARGE_BEARERS}:
            return code, None
        return None, FieldProblem(
            Problem.CHARGE_BEARER,
            f"{text} is no charge bearer: give DEBT (the company pays all charges), CRED (the "
            "payee pays them) or SHAR (each pays their own bank's)",
            {"typed": text},
        )
    # purpose_code: as written in the payment file, from Norges Bank's list
    if problem := _length(text, LIMITS[name]):
        return None, problem
    if is_purpose_code(text):
        return text, None
    return None, FieldProblem(
        Problem.PURPOSE_CODE,
        f"{text} is not a purpose code of Norges Bank's list",
        {"typed": text},
    )


def _character(typed: str, text: str) -> FieldProblem | None:
    """A refused character (core.text) in what was typed, counted from where the text starts."""
    offset = len(typed) - len(typed.lstrip())
    said = text_problem(text, offset=offset)
    if said is None:
        return None
    index = next(i for i, c in enumerate(text) if unicodedata.category(c) in REFUSED_CATEGORIES)
    values: dict[str, str | int] = {
        "code": f"{ord(text[index]):04X}",
        "position": offset + index + 1,
    }
    return FieldProblem(Problem.CHARACTER, said, values)


def _length(text: str, limit: int) -> FieldProblem | None:
    if len(text) <= limit:
        return None
    return FieldProblem(Problem.TOO_LONG, too_long(text, limit), {"limit": limit, "got": len(text)})


def _country(text: str) -> tuple[str | None, FieldProblem | None]:
    """An ISO 3166-1 alpha-2 code of a country (pycountry's list), in upper case."""
    import pycountry  # loads its data on first use: not for every command

    code = text.upper()
    if len(code) == 2 and text.isascii() and code.isalpha():
        if pycountry.countries.get(alpha_2=code) is not None:
            return code, None
    try:
        found = pycountry.countries.lookup(text)  # a name or alpha-3 code: say its code
    except LookupError:
        found = None
    if found is not None:
        return None, FieldProblem(
            Problem.COUNTRY_NAME,
            f"give the country's two-letter ISO 3166 code: {text} is {found.alpha_2}",
            {"typed": text, "code": found.alpha_2},
        )
    return None, FieldProblem(
        Problem.COUNTRY,
        f"{text} is not a country code: give the two-letter ISO 3166 code, such as DE, SE or US",
        {"typed": text},
    )


def _bic(text: str) -> tuple[str | None, FieldProblem | None]:
    """A BIC (ISO 9362) in its compact form, as both pain.001 versions take it: the stricter
    BICIdentifier of .03 (4 letters for the bank, 2 for the country, a location whose first
    character is not 0 or 1 and whose second is not O, perhaps a branch of 3), with a country
    schwifty knows. The bank registry is not asked: it does not know every bank in the world."""
    from schwifty import BIC
    from schwifty.exceptions import InvalidCountryCode, SchwiftyException

    compact = "".join(text.split())
    wrong = FieldProblem(
        Problem.BIC,
        f"{text} is not a BIC: 4 letters for the bank, 2 for the country, 2 letters or digits "
        "for the place and perhaps 3 for the branch, such as DNBANOKK or DEUTDEFF500",
        {"typed": text},
    )
    if not compact.isascii():  # "ı".upper() is I: only what was typed in ASCII
        return None, wrong
    compact = compact.upper()
    if not _BIC.fullmatch(compact):
        return None, wrong
    try:
        BIC(compact, enforce_swift_compliance=True)
    except InvalidCountryCode:
        country = compact[4:6]
        return None, FieldProblem(
            Problem.BIC_COUNTRY,
            f"{text} is not a BIC: {country} (its 5th and 6th characters) is no country's code",
            {"typed": text, "code": country},
        )
    except SchwiftyException:
        return None, wrong
    return compact, None
