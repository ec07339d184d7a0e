"""Checking the payee's details a person types for a payment abroad: postal address, country,
the payee's bank's BIC, who bears the charges, and the purpose reported to the Currency Register.

Each field may be given or not; an empty (or blank) one clears what the payment had. What is
stored is what was typed without its surrounding blanks; the codes (country, BIC, charge bearer)
in upper case, the BIC without inner spaces. The texts (address, purpose text) are written in a
payment abroad as the pain.001 writer writes them (core.bankfiles.pain001.as_written): a text
with no letter or digit the file keeps, or with a character the file would leave out (rather
than spell out, as æ → ae, or write without its accent, as é → e), is refused, so that what a
signer sees is what is sent. Every refusal names its field and says why, in
English (`FieldProblem.message`), with its kind and values for a view to say it in another
language.

These are paybot's one set of rules for the nine fields, wherever they come from: `payments fix`
and the Fix modal (`check_payee_details`), a supplier file (core.ledger_file, per column with
`check_field`), an EHF invoice.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import BIC_PATTERN, is_country
from paybot.core.payment_types import ChargeBearer, PaymentType
from paybot.core.payments import PayeeDetails
from paybot.core.purpose_codes import is_purpose_code
from paybot.core.text import REFUSED_CATEGORIES, text_problem, too_long

if TYPE_CHECKING:
    from paybot.core.bankfiles.pain001 import WrittenText

__all__ = [
    "CHARGE_BEARERS",
    "LIMITS",
    "NAME_LIMIT",
    "PAYEE_FIELDS",
    "FieldProblem",
    "PayeeDetailsInvalid",
    "Problem",
    "check_field",
    "check_name",
    "check_payee_details",
    "payee_problems",
    "purpose_problems",
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

_CHARGE_BEARER_CODES = frozenset(bearer.value for bearer in CHARGE_BEARERS)
_TEXT_FIELDS = frozenset({"street", "building_no", "post_code", "town", "purpose_text"})
_PURPOSE_FIELDS = ("purpose_code", "purpose_text")
# What the basic set (SEPA's and SWIFT's, in which payments abroad are written) takes.
_BASIC_SAID = "Latin letters, digits and / - ? : ( ) . , ' +"
_SHOWN = 40  # characters of a refused value a message repeats
# The payee's name: payments.payee holds 200 characters (a payment file takes 140 of them, and
# cuts the rest as the supplier's name from the ledger is cut).
NAME_LIMIT = 200


class Problem(StrEnum):
    """What can be wrong with one field."""

    TOO_LONG = "too_long"  # limit, got
    WRITTEN_TOO_LONG = "written_too_long"  # limit, got: its length once spelled out (å → aa)
    CHARACTER = "character"  # code (hex), position
    COUNTRY = "country"  # typed
    COUNTRY_NAME = "country_name"  # typed, code: a name or alpha-3 code of a country
    BIC = "bic"  # typed
    BIC_COUNTRY = "bic_country"  # code: the BIC's 5th and 6th characters
    CHARGE_BEARER = "charge_bearer"  # typed
    PURPOSE_CODE = "purpose_code"  # typed
    URGENT = "urgent"  # kind: the payment type (not cross-border)
    NO_WORDS = "no_words"  # a text with no letter or digit a payment file keeps
    NOT_SENT = "not_sent"  # char, code (hex), position: a character the file would leave out
    PURPOSE_HALF = "purpose_half"  # missing: purpose_code or purpose_text, the one not given
    DOMESTIC_PURPOSE = "domestic_purpose"  # a purpose set on a domestic payment


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
        value, problem = check_field(name, typed)
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


def check_field(name: str, typed: str) -> tuple[str | None, FieldProblem | None]:
    """One field as typed: (its stored form, None), (None, None) when it is blank (cleared), or
    (None, why it is refused).

    Raises:
        ValueError: `name` is not one of PAYEE_FIELDS (a programming error).
    """
    if name not in LIMITS:
        raise ValueError(f"not payee details: {name}")
    text = typed.strip()
    if problem := _character(typed, text):
        return None, problem
    if not text:
        return None, None  # cleared
    if name in _TEXT_FIELDS:
        problem = _length(text, LIMITS[name]) or _unwritten(typed, text, limit=LIMITS[name])
        return (None, problem) if problem else (text, None)
    if name == "country":
        return _country(text)
    if name == "bic":
        return _bic(text)
    if name == "charge_bearer":
        return _charge_bearer(text)
    return _purpose_code(text)


def check_name(typed: str, kind: PaymentType | None) -> tuple[str | None, FieldProblem | None]:
    """The payee's name as typed for a fix: (its stored form, None) or (None, why it is refused).

    The rule the flags apply (core.flags, Reason.INVALID_NAME) and more: the name is judged as
    the payment file of its type writes it (core.bankfiles.pain001.as_written; None, a type not
    told, as abroad, the smaller set), and it must keep a letter or digit and leave out nothing
    typed, so that the name a signer sees is the name sent. At most NAME_LIMIT characters, and
    none that core.text refuses (control characters, bidirectional overrides). A blank name is
    refused too: a payment always names its payee.
    """
    text = typed.strip()
    if problem := _character(typed, text):
        return None, problem
    if problem := _length(text, NAME_LIMIT) or _unwritten(
        typed, text, kind or PaymentType.CROSS_BORDER
    ):
        return None, problem
    return text, None


def purpose_problems(
    current: PayeeDetails, stored: Mapping[str, str | None], kind: PaymentType | None
) -> dict[str, FieldProblem]:
    """Why the purpose a fix gives cannot stand beside the payment's: a code without its text
    (or a text without its code), which the payment file cannot carry, or a purpose set on a
    domestic payment, which carries none.

    Args:
        current: The payment's details before the fix.
        stored: The fields the fix gives, checked (`payee_problems`' first result).
        kind: The payment's type after the fix; None where it cannot be told (a wrong account).

    Only a purpose field the fix changes is judged: a payment keeps what it had (a supplier paid
    both ways may hold a default purpose, copied to its domestic payments), and clearing is
    always possible.
    """
    changed = {
        name: stored[name]
        for name in _PURPOSE_FIELDS
        if name in stored and stored[name] != getattr(current, name)
    }
    if not changed:
        return {}
    if kind is PaymentType.DOMESTIC:
        return {
            name: FieldProblem(
                Problem.DOMESTIC_PURPOSE,
                "a domestic payment carries no purpose: only payments abroad report one",
            )
            for name, value in changed.items()
            if value is not None
        }
    after = with_changes(current, stored)
    if (after.purpose_code is None) == (after.purpose_text is None):
        return {}
    if after.purpose_text is None:
        missing, message = "purpose_text", "give the purpose text too: a code is sent with its text"
    else:
        missing, message = "purpose_code", "give the purpose code too: a text is sent with its code"
    return {missing: FieldProblem(Problem.PURPOSE_HALF, message, {"missing": missing})}


def _messages(problems: Mapping[str, FieldProblem]) -> dict[str, str]:
    return {name: problem.message for name, problem in problems.items()}


def _charge_bearer(text: str) -> tuple[str | None, FieldProblem | None]:
    code = text.upper()  # ASCII only: "ſhar".upper() is SHAR too
    if text.isascii() and code in _CHARGE_BEARER_CODES:
        return code, None
    said = _said(text)
    return None, FieldProblem(
        Problem.CHARGE_BEARER,
        f"{said} is no charge bearer: give DEBT (the company pays all charges), CRED (the "
        "payee pays them) or SHAR (each pays their own bank's)",
        {"typed": said},
    )


def _purpose_code(text: str) -> tuple[str | None, FieldProblem | None]:
    """A code of Norges Bank's list, as written in the payment file."""
    if problem := _length(text, LIMITS["purpose_code"]):
        return None, problem
    if is_purpose_code(text):
        return text, None
    return None, FieldProblem(
        Problem.PURPOSE_CODE,
        f"{text} is not a purpose code of Norges Bank's list",
        {"typed": text},
    )


def _said(text: str) -> str:
    """A refused value as a message repeats it: cut short when long."""
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


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


def _unwritten(
    typed: str, text: str, kind: PaymentType = PaymentType.CROSS_BORDER, *, limit: int | None = None
) -> FieldProblem | None:
    """A text a payment of `kind` (by default abroad, where the payee's details are written)
    would not carry as typed: nothing in it the file keeps, a character it would leave out
    (named, counted from where the typed text starts), or (with the field's `limit`) more
    characters once spelled out (å → aa) than the field holds: the file would cut it."""
    written = _as_written()(text, kind)
    if not written.has_words:
        return FieldProblem(Problem.NO_WORDS, "has no letters or digits a bank takes")
    if not written.dropped:
        if limit is not None and len(written.text) > limit:
            got = len(written.text)
            return FieldProblem(
                Problem.WRITTEN_TOO_LONG,
                f"is written as {got} characters in the payment file (æ → ae, å → aa): at most "
                f"{limit}",
                {"limit": limit, "got": got},
            )
        return None
    position, char = written.dropped[0]
    position += len(typed) - len(typed.lstrip())
    code = f"{ord(char):04X}"
    return FieldProblem(
        Problem.NOT_SENT,
        f'"{char}" (U+{code}) at position {position} cannot go in a payment file: use '
        f"{_BASIC_SAID}",
        {"char": char, "code": code, "position": position},
    )


@cache
def _as_written() -> Callable[[str, PaymentType], WrittenText]:
    """The pain.001 writer's rule for a payment of a type (for the generic profile: its set at
    home is the smallest any profile has, as the flags judge a name), loaded
    on first use: the writer loads lxml, which most commands importing this module never need."""
    from paybot.core.bankfiles.pain001 import as_written

    return as_written


def _length(text: str, limit: int) -> FieldProblem | None:
    if len(text) <= limit:
        return None
    return FieldProblem(Problem.TOO_LONG, too_long(text, limit), {"limit": limit, "got": len(text)})


def _country(text: str) -> tuple[str | None, FieldProblem | None]:
    """A country's code in upper case (identifiers.is_country: ISO 3166-1 alpha-2, or XK)."""
    code = text.upper()
    if text.isascii() and is_country(code):
        return code, None
    import pycountry  # loads its data on first use: not for every command

    try:
        found = pycountry.countries.lookup(text)  # a name or alpha-3 code: say its code
    except LookupError:
        found = None
    said = _said(text)
    if found is not None:
        return None, FieldProblem(
            Problem.COUNTRY_NAME,
            f"give the country's two-letter ISO 3166 code: {said} is {found.alpha_2}",
            {"typed": said, "code": found.alpha_2},
        )
    return None, FieldProblem(
        Problem.COUNTRY,
        f"{said} is not a country code: give the two-letter ISO 3166 code, such as DE, SE or US",
        {"typed": said},
    )


def _bic(text: str) -> tuple[str | None, FieldProblem | None]:
    """A BIC in its compact form, as both pain.001 versions take it (identifiers.is_bic): the
    form of BIC_PATTERN, and a country's code (identifiers.is_country) as its country."""
    compact = "".join(text.split())
    compact = compact.upper() if compact.isascii() else ""  # "ı".upper() is I: ASCII as typed
    said = _said(text)
    if not BIC_PATTERN.fullmatch(compact):
        return None, FieldProblem(
            Problem.BIC,
            f"{said} is not a BIC: 4 letters for the bank, 2 for the country, 2 letters or digits "
            "for the place and perhaps 3 for the branch, such as DNBANOKK or DEUTDEFF500",
            {"typed": said},
        )
    country = compact[4:6]
    if not is_country(country):
        return None, FieldProblem(
            Problem.BIC_COUNTRY,
            f"{said} is not a BIC: {country} (its 5th and 6th characters) is no country's code",
            {"typed": said, "code": country},
        )
    return compact, None
