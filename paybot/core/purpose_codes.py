"""The purpose of a payment abroad, as the Currency Register (Valutaregisteret) asks for it.

Norwegian banks report every cross-border payment to the Currency Register. Above NOK 100,000
(or its equivalent) the payment file must carry the payment's purpose: a payment-type code from
the list Norges Bank kept and the Tax Administration (Skatteetaten) now publishes ("koder for
betalingsart", "14 Kjøp/salg av varer"), and a short text of at most 35 characters (pain.001
`RgltryRptg/Dtls/Cd` and `Inf`). Without them the bank rejects the payment or calls the customer.

The list ships as data (`core/data/purpose_codes.csv`, with its sources in its header), read
once on first use: importing this module reads nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from paybot.core.text import text_problem

__all__ = [
    "PURPOSE_TEXT_MAX",
    "PurposeCode",
    "is_purpose_code",
    "name",
    "purpose_code",
    "purpose_codes",
    "purpose_problem",
]

# The purpose text's room in the payment file (RgltryRptg/Dtls/Inf is Max35Text).
PURPOSE_TEXT_MAX = 35

_DATA = ("data", "purpose_codes.csv")


@dataclass(frozen=True)
class PurposeCode:
    """One payment-type code of the Currency Register's list, with its names."""

    code: str  # two digits, as written in the payment file: "14"
    name_nb: str  # Norwegian bokmål: "Kjøp/salg av varer"
    name_en: str  # English: "Purchase/sale of goods"

    def name(self, language: str) -> str:
        """The code's name in `language`: "en" or "nb" (a `company.Language` will do).

        Raises:
            ValueError: `language` is neither "en" nor "nb".
        """
        _check_language(language)
        return self.name_nb if language == "nb" else self.name_en


def purpose_codes() -> tuple[PurposeCode, ...]:
    """Every code of the list, in the list's order (goods, services, capital, other)."""
    return _load()[0]


def purpose_code(code: str | None) -> PurposeCode | None:
    """The list's entry for `code` ("14"), or None when the list has no such code."""
    if code is None:
        return None
    return _load()[1].get(code)


def is_purpose_code(code: str | None) -> bool:
    """True if `code` is in the list, exactly as written in the payment file ("14", not " 14")."""
    return purpose_code(code) is not None


def name(code: str | None, language: str) -> str | None:
    """The name of `code` in `language` ("en" or "nb"); None when the code is not in the list.

    Raises:
        ValueError: `language` is neither "en" nor "nb".
    """
    _check_language(language)
    found = purpose_code(code)
    return None if found is None else found.name(language)


def purpose_problem(code: str | None, text: str | None) -> str | None:
    """What is wrong with a payment's purpose, as a sentence; None when nothing is.

    A purpose is right when `code` is in the list and `text` is not blank, holds no control
    character and is at most 35 characters long without its surrounding blanks (the payment file
    carries the stripped text). The code is checked first: one sentence, about the first problem.

    Args:
        code: The payment-type code, e.g. "14".
        text: The short description of the payment, e.g. "Machine parts, invoice 2024-117".

    Returns:
        For example "99 is not a purpose code of Norges Bank's list." or "The purpose text is
        missing."
    """
    if code is None or not code.strip():
        return "The purpose code is missing."
    if not is_purpose_code(code):
        shown = code if code == code.strip() else f'"{code}"'
        return f"{shown} is not a purpose code of Norges Bank's list."
    text = text or ""
    words = text.strip()
    if not words:
        return "The purpose text is missing."
    if len(words) > PURPOSE_TEXT_MAX:
        return (
            f"The purpose text has {len(words)} characters; "
            f"at most {PURPOSE_TEXT_MAX} fit in the payment file."
        )
    refused = text_problem(words, offset=len(text) - len(text.lstrip()))
    if refused is not None:
        return f"The purpose text has a character it may not have: {refused}."
    return None


def _check_language(language: str) -> None:
    if language not in ("en", "nb"):
        raise ValueError(f"no purpose-code names in language {language!r} (only 'en' and 'nb')")


@cache
def _load() -> tuple[tuple[PurposeCode, ...], MappingProxyType[str, PurposeCode]]:
    resource = files("paybot.core").joinpath(*_DATA)
    rows = [
        line
        for line in resource.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    codes = tuple(_entry(row, number) for number, row in enumerate(csv.DictReader(rows), start=1))
    by_code = {entry.code: entry for entry in codes}
    if len(by_code) != len(codes):
        raise ValueError(f"{'/'.join(_DATA)}: a purpose code appears twice")
    return codes, MappingProxyType(by_code)


def _entry(row: dict[str | None, str | None], number: int) -> PurposeCode:
    """One row of the list; a row with a missing or extra field is a broken list."""
    fields = (row.get("code"), row.get("name_nb"), row.get("name_en"))
    if None in row or not all(value and value.strip() for value in fields):
        raise ValueError(f"{'/'.join(_DATA)}: data row {number} is incomplete: {row}")
    code, name_nb, name_en = (str(value).strip() for value in fields)
    return PurposeCode(code=code, name_nb=name_nb, name_en=name_en)
