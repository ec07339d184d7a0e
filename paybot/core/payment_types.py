"""Which kind of payment a transfer is, for the bank: domestic, SEPA or other cross-border.

Domestic: NOK to a Norwegian account. SEPA credit transfer: EUR to an IBAN of a country in the
SEPA zone (schwifty's registry). Everything else is a cross-border payment (SWIFT): another
currency, an account outside the SEPA zone, or an account that is not an IBAN abroad.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from paybot.core.company import REPORTING_THRESHOLD_NOK
from paybot.core.identifiers import compact_account, is_iban_like


class PaymentType(StrEnum):
    DOMESTIC = "domestic"
    SEPA = "sepa"
    CROSS_BORDER = "cross_border"


class ChargeBearer(StrEnum):
    """Who pays the banks' charges (ChrgBr)."""

    DEBT = "DEBT"  # the payer pays all
    CRED = "CRED"  # the payee pays all
    SHAR = "SHAR"  # each pays its own bank
    SLEV = "SLEV"  # as the scheme (SEPA) says


def payment_type(account: str | None, currency: str, country: str | None = None) -> PaymentType:
    """The kind of payment a transfer of `currency` to `account` is; `country` is the payee's
    (ISO 3166 alpha-2), where known: a non-IBAN account with a country other than NO is abroad."""
    compact = compact_account(account or "")
    if is_iban_like(compact):
        norwegian = compact.startswith("NO")
    else:
        norwegian = not country or country == "NO"
    if currency == "NOK" and norwegian:
        return PaymentType.DOMESTIC
    if currency == "EUR" and is_iban_like(compact) and in_sepa_zone(compact):
        return PaymentType.SEPA
    return PaymentType.CROSS_BORDER


def is_abroad(account: str | None, country: str | None = None) -> bool:
    """The payee's account is held outside Norway: an IBAN of another country, or, with the
    payee's `country` known and not NO, an account number that is not an IBAN. A payment in
    another currency to a Norwegian account is not domestic, but it is not abroad: its payee
    needs no address of its own (Norway) and no purpose (the Currency Register counts transfers
    across the border)."""
    compact = compact_account(account or "")
    if is_iban_like(compact):
        return not compact.startswith("NO")
    return bool(country) and country != "NO"


@lru_cache(maxsize=4096)
def in_sepa_zone(iban: str) -> bool:
    """The IBAN's country is in the SEPA zone (a broken IBAN is not)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return bool(IBAN(iban).in_sepa_zone)
    except SchwiftyException:
        return False


def needs_purpose(
    kind: PaymentType, amount_nok: Decimal | None, threshold: Decimal = REPORTING_THRESHOLD_NOK
) -> bool:
    """A payment abroad (not domestic, and `is_abroad`: the caller asks) needs its purpose above
    the threshold; one whose NOK value is unknown (no rate for its currency) needs it too, since
    nobody can tell it is below."""
    if kind is PaymentType.DOMESTIC:
        return False
    return amount_nok is None or amount_nok > threshold
