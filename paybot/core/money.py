"""Money as Decimal: parsing what people type, currency exponents, exact minor units, and the one
form amounts are shown in to people (the command line and Slack alike)."""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation, localcontext
from functools import lru_cache

from paybot.core.company import Language

# The store keeps amounts as integers of this many decimals: enough for every ISO 4217 exponent.
STORAGE_SCALE = 4
_STORAGE_FACTOR = Decimal(10) ** STORAGE_SCALE
_STORAGE_INT_FACTOR = 10**STORAGE_SCALE
# Integer digits an amount may have: 10^14 with 4 decimals still fits a signed 64-bit integer.
MAX_INTEGER_DIGITS = 14
# Decimals kept of an exchange rate (NOK per unit of a currency).
RATE_SCALE = 6
# Wide enough that no arithmetic on an allowed amount is ever rounded.
_EXACT = Context(prec=40)

_AMOUNT = re.compile(r"^[+-]?(\d{1,3}([ \u00a0\u202f']\d{3})+|\d+)([.,]\d+)?$")

# The minor-unit decimals of the currencies paybot meets most, as pycountry and babel give them
# (tests/core/test_money_common.py holds them equal): for these neither library is loaded, which
# takes longer than printing a thousand payments.
COMMON_EXPONENTS = {
    "NOK": 2,
    "SEK": 2,
    "DKK": 2,
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "PLN": 2,
    "ISK": 0,
    "JPY": 0,
}


class AmountError(ValueError):
    """Text that is not an amount."""


@lru_cache(maxsize=512)
def is_iso_currency(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code such as NOK or EUR."""
    if code in COMMON_EXPONENTS:
        return True
    import pycountry  # its tables load slowly: not at import, which the command line pays for

    return len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    """Decimals of a currency's minor unit (NOK 2, JPY 0, BHD 3); 2 for unknown codes."""
    common = COMMON_EXPONENTS.get(code)
    if common is not None:
        return common
    if not is_iso_currency(code):
        return 2
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(code))


def parse_amount(text: str) -> Decimal:
    """Parse "3 450,75", "3450.75", "-1 000" or "12'000.50" exactly; never through float."""
    cleaned = text.strip()
    if not cleaned:
        raise AmountError("empty amount")
    if not _AMOUNT.match(cleaned):
        raise AmountError(f"{text!r} is not an amount (expected e.g. 3 450,75 or 3450.75)")
    sign = ""
    if cleaned[0] in "+-":
        sign, cleaned = cleaned[0].replace("+", ""), cleaned[1:]
    for separator in (" ", "\u00a0", "\u202f", "'"):
        cleaned = cleaned.replace(separator, "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(sign + cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise AmountError(f"{text!r} is not an amount") from exc
    check_size(amount)
    return amount


def check_size(amount: Decimal) -> None:
    """Refuse amounts beyond any invoice, which exact storage could not hold either."""
    if amount and amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise AmountError(
            f"'{amount}' is too large (at most {MAX_INTEGER_DIGITS} digits before the decimals)"
        )


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round-free: refuse an amount written with more decimals than the currency has.

    Trailing zeros count: for NOK, "1.000" is refused rather than read as 1 (it may mean 1000).
    """
    check_size(amount)
    exponent = currency_exponent(currency)
    written = amount.as_tuple().exponent
    if isinstance(written, int) and -written > exponent:
        raise AmountError(f"{amount} has more decimals than {currency} allows ({exponent})")
    with localcontext(_EXACT):
        return amount.quantize(Decimal(1).scaleb(-exponent))


def to_storage_units(amount: Decimal) -> int:
    """Exact integer for the store; refuses anything finer than the storage scale or too large.

    Integer arithmetic on the amount's exact ratio, which no decimal context can round: called
    for every amount a bulk insert binds, it costs a third of Decimal multiplication.
    """
    if not amount.is_finite():
        return _special_storage_units(amount)
    check_size(amount)
    if not amount:
        return 0
    if amount.adjusted() < -STORAGE_SCALE:  # below the smallest unit, before a huge denominator
        raise AmountError(f"{amount} has more than {STORAGE_SCALE} decimals")
    numerator, denominator = amount.as_integer_ratio()
    units: int
    units, rest = divmod(numerator * _STORAGE_INT_FACTOR, denominator)
    if rest:
        raise AmountError(f"{amount} has more than {STORAGE_SCALE} decimals")
    return units


def _special_storage_units(amount: Decimal) -> int:
    """NaN and infinities, refused as Decimal arithmetic refuses them."""
    with localcontext(_EXACT):
        scaled = amount * _STORAGE_FACTOR
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{amount} has more than {STORAGE_SCALE} decimals")
    return int(scaled)


def from_storage_units(units: int) -> Decimal:
    return (Decimal(units) / _STORAGE_FACTOR).quantize(Decimal(1).scaleb(-STORAGE_SCALE))


def format_plain(amount: Decimal, currency: str) -> str:
    """Machine form for JSON and CSV: point, no grouping, the currency's decimals ("1234.50")."""
    exponent = max(currency_exponent(currency), 2)
    return f"{amount.quantize(Decimal(1).scaleb(-exponent)):f}"


# (thousands separator, decimal mark) of babel's en_GB and nb_NO, which tests/core/test_money.py
# holds equal for random amounts. Written out, not asked of babel: loading its locale data takes
# longer than printing a thousand payments, and a listing on the command line must not pay that.
# Norwegian groups with a no-break space, written as a plain one: it copies and searches better.
_MARKS = {Language.EN: (",", "."), Language.NB: (" ", ",")}
_DIGITS = frozenset("123456789")  # a negative amount shown as zero gets no minus


def format_money(amount: Decimal, currency: str, language: Language = Language.EN) -> str:
    """An amount as people read it in `language`: "NOK 25,000.00" in English, "NOK 25 000,00"
    in Norwegian; "-EUR 1,200.50" for a credit. The ISO code always comes first ("kr" would be
    the Swedish and Danish krone too), with the currency's decimals (JPY none, BHD three).

    English is the default for the sentences core writes in English (refusals, alarms)."""
    group, point = _MARKS[language]
    digits = f"{abs(amount):,.{currency_exponent(currency)}f}"  # half to even, as babel rounds
    if (group, point) != (",", "."):
        digits = digits.translate({ord(","): group, ord("."): point})
    sign = "-" if amount < 0 and not _DIGITS.isdisjoint(digits) else ""
    return f"{sign}{currency} {digits}"
