"""Column types that keep money exact and times timezone-aware on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from paybot.core.money import RATE_SCALE, from_storage_units, to_storage_units


class Money(TypeDecorator[Decimal]):
    """Decimal stored as an exact integer (SQLite's NUMERIC would be a float)."""

    impl = BigInteger
    cache_ok = True
    # What is bound depends on the amount's value alone (1.5 and 1.50 bind alike): a bulk insert
    # may convert each distinct finite amount once.
    binds_by_value = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_storage_units(value if type(value) is Decimal else Decimal(value))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_storage_units(int(value))


class Rate(TypeDecorator[Decimal]):
    """An exchange rate, exact to RATE_SCALE decimals, stored as an integer."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(RATE_SCALE)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"rate {value} has more than {RATE_SCALE} decimals")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(int(value)).scaleb(-RATE_SCALE)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
