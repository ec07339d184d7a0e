"""The Currency Register's payment-type codes: the shipped list, lookups by code, names in both
languages, and what is wrong with a payment's purpose."""

from __future__ import annotations

import csv
import fnmatch
import importlib.util
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from paybot.core.company import Language
from paybot.core.purpose_codes import (
    PURPOSE_TEXT_MAX,
    PurposeCode,
    is_purpose_code,
    name,
    purpose_code,
    purpose_codes,
    purpose_problem,
)

ROOT = Path(__file__).resolve().parents[2]

# The codes of Skatteetaten's table "Koder for betalingsart", in its order.
LISTED = tuple("14 26 29 31 35 38 41 43 45 51 52 53 71 79 81 82".split())


def _data_rows() -> list[dict[str, str]]:
    text = files("paybot.core").joinpath("data", "purpose_codes.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_the_shipped_list_is_found_as_package_data_and_parses() -> None:
    rows = _data_rows()

    assert rows
    assert all(set(row) == {"code", "name_nb", "name_en"} for row in rows)


def test_the_list_has_the_codes_of_the_currency_register_in_its_order() -> None:
    assert tuple(entry.code for entry in purpose_codes()) == LISTED


def test_every_code_appears_once_and_is_two_digits() -> None:
    codes = [row["code"] for row in _data_rows()]

    assert len(codes) == len(set(codes))
    assert all(len(code) == 2 and code.isdigit() for code in codes)


def test_every_code_has_a_name_in_both_languages() -> None:
    for entry in purpose_codes():
        assert entry.name_nb.strip() == entry.name_nb != ""
        assert entry.name_en.strip() == entry.name_en != ""


def test_the_sources_of_the_list_are_in_its_header() -> None:
    header = files("paybot.core").joinpath("data", "purpose_codes.csv").read_text("utf-8")

    assert "skatteetaten.no" in header
    assert "Valutaregisteret" in header


def test_a_listed_code_is_found_with_its_names() -> None:
    assert purpose_code("14") == PurposeCode("14", "Kjøp/salg av varer", "Purchase/sale of goods")
    assert purpose_code("82") == PurposeCode("82", "Arv, gave, med mer", "Inheritance, gifts, etc.")
    assert is_purpose_code("29")


@pytest.mark.parametrize("code", ["99", "", " 14", "14 ", "014", "1", "GDDS", None])
def test_anything_else_is_not_a_purpose_code(code: str | None) -> None:
    assert purpose_code(code) is None
    assert not is_purpose_code(code)


def test_the_list_is_read_once_and_shared() -> None:
    assert purpose_codes() is purpose_codes()
    assert purpose_code("31") is purpose_codes()[LISTED.index("31")]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Dividends"), ("nb", "Utbytte"), (Language.EN, "Dividends"), (Language.NB, "Utbytte")],
)
def test_a_code_is_named_in_english_or_norwegian(language: str, expected: str) -> None:
    entry = purpose_code("35")

    assert name("35", language) == expected
    assert entry is not None
    assert entry.name(language) == expected


def test_an_unknown_code_has_no_name() -> None:
    assert name("99", "en") is None
    assert name(None, Language.NB) is None


@pytest.mark.parametrize("language", ["de", "no", "nn", ""])
def test_names_come_only_in_english_and_norwegian(language: str) -> None:
    with pytest.raises(ValueError, match="only 'en' and 'nb'"):
        name("14", language)
    with pytest.raises(ValueError, match="only 'en' and 'nb'"):
        name("99", language)


@pytest.mark.parametrize(
    "text",
    ["Machine parts, invoice 2024-117", "x", "a" * PURPOSE_TEXT_MAX, "  Lisens 2025  ", "Lønn ÆØÅ"],
)
def test_a_listed_code_with_a_short_text_is_a_purpose(text: str) -> None:
    assert purpose_problem("14", text) is None


def test_an_unlisted_code_is_named_in_the_problem() -> None:
    assert purpose_problem("99", "Consulting") == "99 is not a purpose code of Norges Bank's list."


def test_a_code_with_blanks_around_it_is_shown_quoted() -> None:
    assert purpose_problem(" 14", "Goods") == '" 14" is not a purpose code of Norges Bank\'s list.'


@pytest.mark.parametrize("code", [None, "", "   "])
def test_a_missing_code_is_a_problem(code: str | None) -> None:
    assert purpose_problem(code, "Goods") == "The purpose code is missing."


@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_missing_text_is_a_problem(text: str | None) -> None:
    assert purpose_problem("14", text) == "The purpose text is missing."


def test_the_code_is_checked_before_the_text() -> None:
    assert purpose_problem("99", None) == "99 is not a purpose code of Norges Bank's list."


def test_a_text_longer_than_the_payment_file_takes_is_a_problem() -> None:
    problem = purpose_problem("29", "a" * (PURPOSE_TEXT_MAX + 1))

    assert problem == "The purpose text has 36 characters; at most 35 fit in the payment file."


def test_blanks_around_the_text_do_not_count_towards_its_length() -> None:
    assert purpose_problem("29", "  " + "a" * PURPOSE_TEXT_MAX + "  ") is None


def test_a_control_character_in_the_text_is_a_problem_at_its_position() -> None:
    problem = purpose_problem("14", " ab\u202ecd")

    assert problem is not None
    assert problem.startswith("The purpose text has a character it may not have:")
    assert "U+202E at position 4" in problem


def test_every_problem_is_one_english_sentence() -> None:
    for code, text in [(None, "x"), ("99", "x"), ("14", None), ("14", "a" * 40), ("14", "a\tb")]:
        problem = purpose_problem(code, text)
        assert problem is not None
        assert problem[0].isupper() or problem[0].isdigit() or problem[0] == '"'
        assert problem.endswith(".")


def test_the_list_is_declared_as_package_data_so_an_installed_paybot_has_it() -> None:
    """The wheel carries what `[tool.setuptools.package-data]` names; the list must be among it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["paybot"]

    assert any(fnmatch.fnmatch("core/data/purpose_codes.csv", pattern) for pattern in patterns)


def test_importing_the_module_reads_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The list is read on first use, not at import: a fresh copy of the module has read nothing."""
    import paybot.core.purpose_codes as loaded

    spec = importlib.util.spec_from_file_location("fresh_purpose_codes", loaded.__file__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, fresh)  # dataclasses look their module up there
    spec.loader.exec_module(fresh)

    assert fresh._load.cache_info().currsize == 0
    assert fresh.purpose_code("14") is not None
    assert fresh._load.cache_info().currsize == 1
