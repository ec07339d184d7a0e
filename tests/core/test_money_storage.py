"""Storage units by integer arithmetic give what Decimal arithmetic gave, amount for amount."""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paybot.core.money import AmountError, check_size, to_storage_units

_EXACT = Context(prec=40)


def decimal_storage_units(amount: Decimal) -> int:
    """The conversion as Decimal arithmetic wrote it: exact while the amount has at most 36
    significant digits (the product then fits the 40 digits of the context)."""
    check_size(amount)
    with localcontext(_EXACT):
        scaled = amount * Decimal(10000)
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{amount} has more than 4 decimals")
    return int(scaled)


def outcome(convert: object, amount: Decimal) -> tuple[str, object]:
    try:
        return ("units", convert(amount))  # type: ignore[operator]
    except (AmountError, InvalidOperation, OverflowError) as exc:
        return (type(exc).__name__, str(exc))


# Amounts as the store meets them, and far beyond: any sign, scale and exponent.
amounts = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(map(int, str(digits))), exponent)),
    st.integers(0, 1),
    st.integers(0, 10**36 - 1),
    st.integers(-40, 30),
)


@given(amounts)
@example(Decimal("0E-50"))
@example(Decimal("-0"))
@example(Decimal("-0.0001"))
@example(Decimal("99999999999999.9999"))
@example(Decimal("-99999999999999.9999"))
@example(Decimal("100000000000000"))
@example(Decimal("1E+14"))
@example(Decimal("9.99999999999999999999E+13"))
@example(Decimal("1.00000000000000000000000000000000000"))
@example(Decimal("1.00001"))
@example(Decimal("0.00005"))
@example(Decimal("1E-5"))
def test_storage_units_equal_the_decimal_arithmetic(amount: Decimal) -> None:
    assert outcome(to_storage_units, amount) == outcome(decimal_storage_units, amount)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_storage_units_equal_the_decimal_arithmetic_for_any_decimal(amount: Decimal) -> None:
    if len(amount.as_tuple().digits) <= 36:
        assert outcome(to_storage_units, amount) == outcome(decimal_storage_units, amount)


@given(amounts, st.integers(1, 40))
def test_storage_units_are_exact_or_refused_however_many_digits(
    amount: Decimal, zeros: int
) -> None:
    """Past what Decimal arithmetic held exactly (it rounded 1.000…0001 to 1): exact or refused."""
    with localcontext(Context(prec=200)):
        long = amount + Decimal(1).scaleb(-40 - zeros)
    for value in (amount, long, -long):
        try:
            check_size(value)
        except AmountError:
            continue
        exact = Fraction(value) * 10000
        if exact.denominator == 1:
            assert to_storage_units(value) == exact.numerator
        else:
            with pytest.raises(AmountError, match="more than 4 decimals"):
                to_storage_units(value)


@pytest.mark.parametrize("text", ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"])
def test_specials_are_refused_as_before(text: str) -> None:
    assert outcome(to_storage_units, Decimal(text)) == outcome(decimal_storage_units, Decimal(text))


def test_a_tiny_amount_is_refused_not_rounded_to_zero() -> None:
    with pytest.raises(AmountError, match="more than 4 decimals"):
        to_storage_units(Decimal("1E-1000050"))
