"""The common currencies money.py answers for without pycountry and babel answer as they do."""

from __future__ import annotations

import pycountry
import pytest
from babel.numbers import get_currency_precision

from paybot.core import money


@pytest.mark.parametrize("code", sorted(money.COMMON_EXPONENTS))
def test_a_common_currency_is_what_pycountry_and_babel_say(code: str) -> None:
    assert pycountry.currencies.get(alpha_3=code) is not None
    assert money.COMMON_EXPONENTS[code] == int(get_currency_precision(code))
    assert money.is_iso_currency(code)
    assert money.currency_exponent(code) == money.COMMON_EXPONENTS[code]


def test_other_currencies_still_ask_the_libraries() -> None:
    assert money.currency_exponent("BHD") == 3
    assert money.is_iso_currency("XAU") == (pycountry.currencies.get(alpha_3="XAU") is not None)
    assert not money.is_iso_currency("NOKK")
    assert not money.is_iso_currency("nok")
    assert money.currency_exponent("ZZZ") == 2
