"""Money as Decimal: parsing what people type, currency exponents, exact storage units, and the
one form amounts are shown in to people."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybot.core.company import Language
from paybot.core.money import (
    AmountError,
    currency_exponent,
    format_money,
    format_plain,
    from_storage_units,
    parse_amount,
    quantize,
    to_storage_units,
)

WIDE = Decimal("99999999999999.99")  # just under 10**14: the largest amount paybot takes


def norwegian(amount: Decimal) -> str:
    """'12 345,67': a space between thousands and a decimal comma, as people type it."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,.2f}".replace(",", " ").replace(".", ",")


# --- parse_amount --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 450,75", "3450.75"),
        ("3450.75", "3450.75"),
        ("-1 000", "-1000"),
        ("1\u00a0000,5", "1000.5"),
        ("1\u202f000", "1000"),
        ("12'000.50", "12000.50"),
        ("+5", "5"),
        ("  7 ", "7"),
        ("1 000 000,00", "1000000.00"),
    ],
)
def test_parse_amount_reads_what_people_type(text: str, expected: str) -> None:
    amount = parse_amount(text)
    assert amount == Decimal(expected)
    assert str(amount) == expected  # exactly, keeping the decimals typed


@pytest.mark.parametrize(
    "text",
    ["12,3,4", "abc", "1.000,00", "1,000.00", "12 34", "1 0000", "3,", ",5", "--1", "1e3", "NaN"],
)
def test_parse_amount_refuses_text_that_is_not_an_amount(text: str) -> None:
    with pytest.raises(AmountError, match="is not an amount"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_amount_refuses_an_empty_amount(text: str) -> None:
    with pytest.raises(AmountError, match="empty amount"):
        parse_amount(text)


def test_amount_error_is_a_value_error() -> None:
    assert issubclass(AmountError, ValueError)


# --- currencies and quantize --------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "exponent"), [("NOK", 2), ("EUR", 2), ("JPY", 0), ("BHD", 3)])
def test_currency_exponent_follows_iso_4217(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize("currency", ["XYZ", "nok", "NOKK"])
def test_unknown_currency_is_given_two_decimals(currency: str) -> None:
    assert currency_exponent(currency) == 2


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.5", "NOK", "10.50"),
        ("10.50", "NOK", "10.50"),
        ("100", "NOK", "100.00"),
        ("100", "JPY", "100"),
        ("1.234", "BHD", "1.234"),
        ("1.2", "BHD", "1.200"),
    ],
)
def test_quantize_pads_to_the_currency_exponent(amount: str, currency: str, expected: str) -> None:
    assert str(quantize(Decimal(amount), currency)) == expected


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("10.505", "NOK"), ("100.5", "JPY"), ("100.0", "JPY"), ("1.2345", "BHD"), ("0.001", "EUR")],
)
def test_quantize_refuses_more_decimals_than_the_currency_has(amount: str, currency: str) -> None:
    with pytest.raises(AmountError, match=f"more decimals than {currency} allows"):
        quantize(Decimal(amount), currency)


def test_absurdly_large_amounts_are_refused_with_an_amount_error() -> None:
    with pytest.raises(AmountError, match="too large"):
        parse_amount("1" + "0" * 27)
    with pytest.raises(AmountError, match="too large"):
        quantize(Decimal("1" + "0" * 27), "NOK")


def test_trailing_zeros_beyond_the_currency_are_refused_not_read_as_thousands() -> None:
    with pytest.raises(AmountError, match="more decimals than NOK allows"):
        quantize(parse_amount("1.000"), "NOK")


# --- storage units -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "units"),
    [
        ("12.3456", 123456),
        ("3450.75", 34507500),
        ("-1000", -10000000),
        ("0", 0),
        ("99999999999999.99", 999999999999999900),
    ],
)
def test_storage_units_round_trip_exactly(amount: str, units: int) -> None:
    assert to_storage_units(Decimal(amount)) == units
    assert from_storage_units(units) == Decimal(amount)


def test_from_storage_units_always_has_four_decimals() -> None:
    assert str(from_storage_units(34507500)) == "3450.7500"


def test_to_storage_units_refuses_more_than_four_decimals() -> None:
    with pytest.raises(AmountError, match="more than 4 decimals"):
        to_storage_units(Decimal("1.00001"))


def test_to_storage_units_refuses_rather_than_rounds_what_it_cannot_hold() -> None:
    with pytest.raises(AmountError, match="too large"):
        to_storage_units(Decimal("12345678901234567890123456.7891"))


@given(
    amount=st.decimals(
        min_value=-WIDE, max_value=WIDE, places=4, allow_nan=False, allow_infinity=False
    )
)
def test_any_amount_with_up_to_four_decimals_round_trips_through_storage_units(
    amount: Decimal,
) -> None:
    units = to_storage_units(amount)
    assert isinstance(units, int)
    assert from_storage_units(units) == amount


@given(
    amount=st.decimals(
        min_value=-WIDE, max_value=WIDE, places=2, allow_nan=False, allow_infinity=False
    )
)
def test_any_amount_formatted_norwegian_style_parses_back_exactly(amount: Decimal) -> None:
    assert parse_amount(norwegian(amount)) == amount


def test_norwegian_formatting_helper_groups_thousands() -> None:
    assert norwegian(Decimal("-12345.67")) == "-12 345,67"


# --- format_plain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.5", "NOK", "1234.50"),
        ("1000000", "NOK", "1000000.00"),
        ("1E+3", "EUR", "1000.00"),
        ("-12.3", "NOK", "-12.30"),
        ("0", "NOK", "0.00"),
    ],
)
def test_format_plain_gives_two_decimals_with_a_point_and_no_grouping(
    amount: str, currency: str, expected: str
) -> None:
    assert format_plain(Decimal(amount), currency) == expected


def test_format_plain_keeps_two_decimals_for_a_currency_without_minor_units() -> None:
    assert format_plain(Decimal("5"), "JPY") == "5.00"


def test_format_plain_gives_three_decimals_for_a_three_decimal_currency() -> None:
    assert format_plain(Decimal("1.234"), "BHD") == "1.234"


# --- format_money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "english", "norwegian"),
    [
        ("25000", "NOK", "NOK 25,000.00", "NOK 25 000,00"),
        ("4990", "NOK", "NOK 4,990.00", "NOK 4 990,00"),
        ("1200.5", "EUR", "EUR 1,200.50", "EUR 1 200,50"),
        ("1234567.89", "SEK", "SEK 1,234,567.89", "SEK 1 234 567,89"),
        ("0.5", "NOK", "NOK 0.50", "NOK 0,50"),
        ("0", "NOK", "NOK 0.00", "NOK 0,00"),
        ("-500", "NOK", "-NOK 500.00", "-NOK 500,00"),
        ("1000", "JPY", "JPY 1,000", "JPY 1 000"),
        ("1234.567", "BHD", "BHD 1,234.567", "BHD 1 234,567"),
        ("99999999999999.99", "NOK", "NOK 99,999,999,999,999.99", "NOK 99 999 999 999 999,99"),
    ],
)
def test_money_has_one_form_per_language_with_the_currency_code_first(
    amount: str, currency: str, english: str, norwegian: str
) -> None:
    assert format_money(Decimal(amount), currency, Language.EN) == english
    assert format_money(Decimal(amount), currency, Language.NB) == norwegian


def test_english_is_the_form_of_the_sentences_core_writes_in_english() -> None:
    assert format_money(Decimal("250000"), "NOK") == "NOK 250,000.00"


def test_a_negative_amount_shown_as_zero_has_no_minus() -> None:
    assert format_money(Decimal("-0.001"), "NOK", Language.EN) == "NOK 0.00"
    assert format_money(Decimal("-0.00"), "NOK", Language.NB) == "NOK 0,00"


def digits_back(text: str, currency: str, language: Language) -> Decimal:
    """The amount a person reads in `text`, taken back exactly; its thousands must be grouped in
    threes by the language's separator."""
    group, point = (",", ".") if language is Language.EN else (" ", ",")
    sign = "-" if text.startswith("-") else ""
    number = text.removeprefix("-").removeprefix(f"{currency} ")
    whole, _, decimals = number.partition(point)
    first, *thousands = whole.split(group)
    assert 1 <= len(first) <= 3 and all(len(part) == 3 for part in thousands), text
    assert (first + "".join(thousands) + decimals).isdigit(), text
    return Decimal(f"{sign}{first}{''.join(thousands)}.{decimals or 0}")


@pytest.mark.parametrize("language", list(Language))
@given(
    amount=st.decimals(
        min_value=-WIDE, max_value=WIDE, places=2, allow_nan=False, allow_infinity=False
    ),
    currency=st.sampled_from(["NOK", "EUR", "SEK", "USD"]),
)
def test_any_amount_shown_gives_back_its_digits_in_either_language(
    language: Language, amount: Decimal, currency: str
) -> None:
    shown = format_money(amount, currency, language)
    assert digits_back(shown, currency, language) == amount
    assert len(shown.rpartition("," if language is Language.NB else ".")[2]) == 2


@pytest.mark.parametrize("language", list(Language))
@given(
    units=st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1),
    currency=st.sampled_from(["JPY", "ISK", "BHD", "KWD"]),
)
def test_currencies_with_other_decimals_give_back_their_digits_too(
    language: Language, units: int, currency: str
) -> None:
    amount = Decimal(units).scaleb(-currency_exponent(currency))
    assert digits_back(format_money(amount, currency, language), currency, language) == amount
