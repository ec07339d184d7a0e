"""Bulk statements in chunks: memory stays flat and drivers stay under their parameter limits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

CHUNK = 2000

# Values whose bound form depends on the value alone: each distinct one is converted once.
_REPEATABLE = frozenset({str, int, date, datetime, type(None)})
_REMEMBERED = 1024
_AMOUNTS_REMEMBERED = 8192  # the distinct amounts of a few chunks of rows


def chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def id_chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    """Ids for `IN (...)` lists, a chunk at a time (SQLite allows 32,766 parameters)."""
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def insert_rows(session: Session, table: Table, keys: Sequence[str], rows: Sequence[Any]) -> None:
    """INSERT of many rows (mappings holding every one of `keys`), as an executemany.

    The same statement and the same column types' conversions as `session.execute(insert(table),
    rows)`, but a value repeated down a column (a time, an actor, an action) is converted once,
    and the rows go to the driver without SQLAlchemy's per-row parameter handling, which
    otherwise costs more than the database's own work.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    positional = bool(compiled.positional and compiled.positiontup)
    names = list(compiled.positiontup or ()) if positional else list(keys)
    values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    # Only the columns whose type converts a value cost a call per row.
    converting: list[tuple[int, Callable[[Any], Any], dict[Decimal, Any] | None]] = []
    # Amounts, shared by the columns of a type that binds equal amounts alike (Money): a voucher
    # line's amount in its currency is its debit or its credit again.
    amounts: dict[type, dict[Decimal, Any]] = {}
    for index, name in enumerate(names):
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue
        by_value = getattr(column_type, "binds_by_value", False)
        seen = amounts.setdefault(type(column_type), {}) if by_value else None
        converting.append((index, _converter(process), seen))
    sql = str(compiled)
    for chunk in chunks(rows):
        # Column by column: the value of the row before again (the same object: a time, a JSON
        # value shared by every row) reuses its conversion without a call; zip transposes, in C.
        columns: list[Sequence[Any]] = list(zip(*map(values, chunk), strict=True))
        for index, convert, seen in converting:
            if seen is None:
                columns[index] = _converted(columns[index], convert)
            else:
                columns[index] = _converted_amounts(columns[index], convert, seen)
        lines = zip(*columns, strict=True)
        if positional:
            params: list[Any] = list(lines)
        else:
            params = [dict(zip(names, line, strict=True)) for line in lines]
        connection.exec_driver_sql(sql, params)


def _converted(column: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """`convert` of each value; called once for a run of the very same object."""
    result: list[Any] = []
    previous: Any = result  # no value is this list
    done: Any = None
    for value in column:
        if value is not previous:
            previous, done = value, convert(value)
        result.append(done)
    return result


def _converted_amounts(
    column: Sequence[Any], convert: Callable[[Any], Any], seen: dict[Decimal, Any]
) -> list[Any]:
    """`convert` of each value, remembered in `seen` for each finite Decimal by value: for a type
    whose bound form depends on the amount alone (1.5 and 1.50 alike). Voucher lines alternate an
    amount and zero down the debit and credit columns, and repeat them in the amount in currency.
    """
    result: list[Any] = []
    append, get = result.append, seen.get
    for value in column:
        if type(value) is not Decimal:
            append(convert(value))
            continue
        try:
            done = get(value, seen)
        except TypeError:  # a signalling NaN has no hash
            done = seen
        if done is seen:
            done = convert(value)
            if value.is_finite():  # NaN equals nothing: never found again
                if len(seen) >= _AMOUNTS_REMEMBERED:
                    seen.clear()
                seen[value] = done
        append(done)
    return result


def _converter(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The column type's bind conversion, remembering its result for repeatable values."""
    seen: dict[tuple[Any, ...], Any] = {}

    def convert(value: Any) -> Any:
        kind = type(value)
        if kind not in _REPEATABLE:
            return process(value)
        # A time's zone is part of what is bound, though equal instants compare equal.
        key = (kind, value, value.tzinfo) if kind is datetime else (kind, value)
        found = seen.get(key, seen)
        if found is seen:
            if len(seen) >= _REMEMBERED:  # a column of distinct values: keep memory bounded
                seen.clear()
            found = seen[key] = process(value)
        return found

    return convert
