"""insert_rows binds amounts as the Money type does, each distinct amount converted once."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.orm import Session

from paybot.core.money import AmountError
from paybot.store import bulk
from paybot.store.types import Money

metadata = MetaData()
probe = Table(
    "bulk_amount_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("debit", Money()),
    Column("credit", Money()),
    Column("amount_currency", Money()),
    prefixes=["TEMPORARY"],
)
raw = Table(
    "bulk_amount_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("debit", Integer),
    Column("credit", Integer),
    Column("amount_currency", Integer),
)

ZERO = Decimal(0)
AMOUNTS = [
    Decimal("1234.5"),
    Decimal("1234.50"),
    Decimal("1234.5000"),
    Decimal("-1234.50"),
    Decimal("0.00"),
    Decimal("-0"),
    Decimal("0E-9"),
    Decimal("99999999999999.9999"),
    Decimal("12.3400000000"),
    Decimal("0.0001"),
]


def rows_of(amounts: list[Any]) -> list[dict[str, Any]]:
    """Voucher-like rows: an amount and zero alternating, the amount again in currency."""
    rows = []
    for number, amount in enumerate(amounts, start=1):
        debit, credit = (amount, ZERO) if number % 2 else (ZERO, amount)
        rows.append({"id": number, "debit": debit, "credit": credit, "amount_currency": amount})
    return rows


def stored(session: Session) -> list[tuple[Any, ...]]:
    result = session.execute(select(raw).order_by(raw.c.id))
    return [tuple(row) for row in result]


@pytest.fixture
def session(engine: Engine) -> Any:
    with Session(engine) as session:
        metadata.create_all(session.connection())
        yield session
        session.rollback()


def test_insert_rows_binds_amounts_as_the_orm_does(session: Session, monkeypatch: Any) -> None:
    amounts = AMOUNTS * 3 + [None, 5, "7.25", Decimal("3.10")] + AMOUNTS[::-1]
    rows = rows_of(amounts)
    monkeypatch.setattr(bulk, "CHUNK", 7)
    bulk.insert_rows(session, probe, ["id", "debit", "credit", "amount_currency"], rows)
    through_bulk = stored(session)
    session.execute(raw.delete())
    session.execute(insert(probe), rows)
    assert through_bulk == stored(session)
    assert through_bulk[0] == (1, 12345000, 0, 12345000)
    assert through_bulk[1] == (2, 0, 12345000, 12345000)


def test_insert_rows_refuses_an_amount_finer_than_storage(session: Session) -> None:
    rows = rows_of([Decimal("1.5"), Decimal("1.5"), Decimal("1.00001")])
    with pytest.raises(AmountError, match="more than 4 decimals"):
        bulk.insert_rows(session, probe, ["id", "debit", "credit", "amount_currency"], rows)


def test_insert_rows_refuses_nan_each_time(session: Session) -> None:
    rows = rows_of([Decimal("NaN")])
    with pytest.raises(AmountError, match="NaN"):
        bulk.insert_rows(session, probe, ["id", "debit", "credit", "amount_currency"], rows)


def test_converted_amounts_are_remembered_by_value() -> None:
    calls: list[Any] = []

    def process(value: Any) -> Any:
        calls.append(value)
        return Money().process_bind_param(value, None)  # type: ignore[arg-type]

    seen: dict[Decimal, Any] = {}
    convert = bulk._converter(process)
    values = [Decimal("1.5"), Decimal("1.50"), ZERO, Decimal("0.00"), Decimal("-1.5"), None, 2]
    expected = [15000, 15000, 0, 0, -15000, None, 20000]
    assert bulk._converted_amounts(values, convert, seen) == expected
    assert bulk._converted_amounts(values[::-1], convert, seen) == expected[::-1]
    assert calls == [Decimal("1.5"), ZERO, Decimal("-1.5"), None, 2]


@pytest.mark.parametrize(("text", "error"), [("NaN", AmountError), ("sNaN", InvalidOperation)])
def test_a_nan_amount_is_refused_every_time(text: str, error: type[Exception]) -> None:
    seen: dict[Decimal, Any] = {}
    convert = bulk._converter(lambda value: Money().process_bind_param(value, None))  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(error):
            bulk._converted_amounts([Decimal(1), Decimal(text)], convert, seen)
    assert list(seen) == [Decimal(1)]
