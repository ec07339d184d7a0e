"""insert_tuples (COPY on PostgreSQL) and execute_tuples write what the ORM's own statements
write: the same amounts, dates, times, texts and nulls, whatever order the values come in, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paybot.store import bulk
from paybot.store.types import Money, UtcDateTime

metadata = MetaData()
probe = Table(
    "bulk_tuple_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Money()),
    Column("day", Date, nullable=True),
    Column("at", UtcDateTime, nullable=True),
    Column("code", String(10), nullable=True),
    Column("words", Text, nullable=True),
    prefixes=["TEMPORARY"],
)
KEYS = ("words", "id", "at", "amount", "code", "day")  # not the table's order
OSLO = timezone(timedelta(hours=1))
WORDS = [
    "plain",
    "tab\there, new\nline, back\\slash, 100%",
    "blåbær Ærlig",
    "",
    None,
    "'quoted' \"double\" ;--",
]


def rows(count: int) -> list[tuple[Any, ...]]:
    return [
        (
            WORDS[n % len(WORDS)],
            n + 1,
            None
            if n % 5 == 4
            else datetime(2026, 11, 24, 9, n % 60, tzinfo=OSLO if n % 2 else UTC),
            [Decimal("1234.50"), Decimal("-0.01"), Decimal(0), Decimal("99999999999999.9999")][
                n % 4
            ],
            None if n % 3 == 2 else f"C{n % 4}",
            None if n % 7 == 6 else date(2026, 1, 1) + timedelta(days=n),
        )
        for n in range(count)
    ]


def stored(session: Session) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in session.execute(select(probe).order_by(probe.c.id))]


@pytest.fixture
def session(engine: Engine) -> Any:
    with Session(engine) as session:
        metadata.create_all(session.connection())
        yield session
        session.rollback()


def test_insert_tuples_writes_what_the_orm_writes(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 4)
    values = rows(23)
    bulk.insert_tuples(session, probe, KEYS, values)
    through_bulk = stored(session)
    session.execute(probe.delete())
    session.execute(insert(probe), [dict(zip(KEYS, row, strict=True)) for row in values])
    assert through_bulk == stored(session)
    assert through_bulk[1][1:] == (
        Decimal("-0.0100"),
        date(2026, 1, 2),
        datetime(2026, 11, 24, 8, 1, tzinfo=UTC),
        "C1",
        WORDS[1],
    )


def test_execute_tuples_updates_as_the_orm_updates(session: Session) -> None:
    values = rows(9)
    bulk.insert_tuples(session, probe, KEYS, values)
    statement = (
        update(probe)
        .where(probe.c.id == bindparam("row"))
        .values(amount=bindparam("new"), words=bindparam("text"))
    )
    changes = [(Decimal(n) / 4, f"changed {n}\t", n) for n in range(1, 10, 2)]
    bulk.execute_tuples(session, statement, ("new", "text", "row"), changes)
    through_bulk = stored(session)
    bulk.insert_tuples(session, probe, KEYS, [])  # nothing to write: nothing happens
    session.execute(probe.delete())
    bulk.insert_tuples(session, probe, KEYS, values)
    session.execute(statement, [{"new": a, "text": t, "row": r} for a, t, r in changes])
    assert through_bulk == stored(session)
    assert through_bulk[2][1] == Decimal("0.7500") and through_bulk[2][5] == "changed 3\t"


def test_a_row_that_breaks_a_constraint_is_refused(session: Session) -> None:
    values = rows(3)
    bulk.insert_tuples(session, probe, KEYS, values)
    with pytest.raises(IntegrityError):
        bulk.insert_tuples(session, probe, KEYS, values[1:2])
