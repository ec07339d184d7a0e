"""What a text may hold and how long it may be; and core's limits are the model's columns."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paybot.core import references
from paybot.core.ledger_file import COLUMN_LIMITS
from paybot.core.text import length_problem, text_problem
from paybot.services.ledger import MATCH_KEY_LENGTH, supplier_key
from paybot.store.models import OpenItem, Payment, Supplier

# The characters the issue names: bidi overrides, embeddings, isolates and marks.
BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


# Any character, with the unusual categories (which plain st.characters() rarely or never gives:
# it leaves surrogates out) drawn as often as the rest.
ANY_CHARACTER = st.one_of(
    st.characters(),
    st.characters(categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs", "Mn"]),
)


# Control, format, surrogate and line/paragraph separator characters: never in an accepted text.
REFUSED = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def refused(char: str) -> bool:
    return unicodedata.category(char) in REFUSED


# --- accepted ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Bjørn Ærø & Søn AS",
        "Café Müller – Grünerløkka",
        "Faktura 17 ’ok’ «ny» „x“",
        "3\u00a0450,75",  # a no-break space between thousands, as spreadsheets write them
        "Ωmega ΑΕ, Łódź sp. z o.o., Škoda a.s.",
        "Kaffe ☕ 🇳🇴 AS",
        "e\u0301",  # é written as e and a combining accent
        "",
    ],
)
def test_normal_text_passes(text: str) -> None:
    assert text_problem(text) is None


# --- refused, saying which character and where ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Acme\u202eSA", "control character U+202E at position 5 (right-to-left override)"),
        (
            "\x1b[31mRed",
            "control character U+001B at position 1 (escape, as in terminal colour codes)",
        ),
        ("a\tb", "control character U+0009 at position 2 (tab)"),
        ("a\nb", "control character U+000A at position 2 (line break)"),
        ("ab\x00", "control character U+0000 at position 3"),
        ("x\u2066y\u2069", "control character U+2066 at position 2 (left-to-right isolate)"),
        ("D\u200bNB", "control character U+200B at position 2 (zero width space)"),
        ("a\u2028b", "control character U+2028 at position 2 (line separator)"),
        ("a\ud800", "invalid character U+D800 at position 2 (half of a surrogate pair)"),
    ],
)
def test_a_refused_character_is_named_with_its_position(text: str, problem: str) -> None:
    assert text_problem(text) == problem


def test_the_position_counts_from_where_the_person_started_typing() -> None:
    assert text_problem("Acme\u202e", offset=3) == (
        "control character U+202E at position 8 (right-to-left override)"
    )


@pytest.mark.parametrize("code", BIDI_CONTROLS)
def test_every_bidirectional_control_is_refused(code: int) -> None:
    assert text_problem(f"Acme {chr(code)}AS") is not None


@given(st.text(alphabet=ANY_CHARACTER, max_size=30))
@example("Acme\u202eSA")
@example("\x1b[0m")
@example("\t")
def test_every_accepted_text_is_free_of_control_format_and_separator_characters(
    text: str,
) -> None:
    problem = text_problem(text)
    first = next((i for i, char in enumerate(text) if refused(char)), None)
    if first is None:
        assert problem is None
    else:
        assert problem is not None
        assert f"U+{ord(text[first]):04X} at position {first + 1}" in problem


@given(st.integers(min_value=0, max_value=0x10FFFF).map(chr))
def test_each_character_is_judged_by_its_category(char: str) -> None:
    category = unicodedata.category(char)
    assert (text_problem(char) is None) is (category not in REFUSED)


def test_length_is_counted_in_characters_as_postgresql_counts_them() -> None:
    assert length_problem("ø" * 200, 200) is None
    assert length_problem("ø" * 201, 200) == "at most 200 characters (got 201)"


# --- core's limits are the model's ---------------------------------------------------------------


def column_length(column: object) -> int:
    length = getattr(getattr(column, "type", None), "length", None)
    assert isinstance(length, int), column
    return length


# Every place a file's column is stored: it must fit all of them.
STORED_IN = {
    "name": [Supplier.name, Payment.payee],
    "org_no": [Supplier.org_no],
    "account": [Supplier.registered_account, OpenItem.account, Payment.account],
    "voucher_no": [OpenItem.voucher_no],
    "invoice_no": [OpenItem.invoice_no],
    "supplier_name": [Supplier.name, Payment.payee],
    "supplier_org_no": [Supplier.org_no],
    "reference": [OpenItem.reference, Payment.reference],
}


@pytest.mark.parametrize("column", sorted(STORED_IN))
def test_each_file_column_limit_is_its_shortest_stored_column(column: str) -> None:
    lengths = [column_length(stored) for stored in STORED_IN[column]]
    assert COLUMN_LIMITS[column] == min(lengths)


def test_every_limited_file_column_is_compared_with_the_model() -> None:
    assert set(COLUMN_LIMITS) == set(STORED_IN)


def test_the_details_a_fix_takes_fit_the_payment_columns() -> None:
    assert references.MAX_ACCOUNT == column_length(Payment.account)
    assert references.MAX_MESSAGE == column_length(Payment.reference)


def test_the_supplier_key_length_is_the_match_key_column() -> None:
    assert column_length(Supplier.match_key) == MATCH_KEY_LENGTH


@given(st.text(max_size=COLUMN_LIMITS["name"]).filter(lambda name: text_problem(name) is None))
@example("İ" * 200)
@example("ø" * 196)
def test_the_key_of_any_accepted_name_fits_its_column_and_ignores_spacing(name: str) -> None:
    key = supplier_key(name, None)
    assert len(key) <= MATCH_KEY_LENGTH
    assert supplier_key(f"  {name}  ", None) == key


def test_a_name_whose_key_fits_keeps_the_key_it_always_had() -> None:
    assert supplier_key("Renhold  Vest AS", None) == "name:renhold vest as"
    assert supplier_key("x" * 195, None) == "name:" + "x" * 195


def test_long_names_that_differ_only_at_the_end_get_different_keys() -> None:
    first, second = supplier_key("x" * 199 + "a", None), supplier_key("x" * 199 + "b", None)
    assert first != second
    assert len(first) == len(second) == MATCH_KEY_LENGTH
