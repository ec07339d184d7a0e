"""Bulk statements in chunks: memory stays flat and drivers stay under their parameter limits.

Rows go to the driver as tuples where it takes them (psycopg's `%s` as well as SQLite's `?`),
and rows given as values (`insert_tuples`) go by COPY on PostgreSQL.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

CHUNK = 2000
_T = TypeVar("_T")

# Values whose bound form depends on the value alone: each distinct one is converted once.
_REPEATABLE = frozenset({str, int, date, datetime, type(None)})
_REMEMBERED = 1024
_AMOUNTS_REMEMBERED = 8192  # the distinct amounts of a few chunks of rows


def chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    return _chunks(rows)


def _chunks(rows: Sequence[_T]) -> Iterable[Sequence[_T]]:
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
    if rows:
        _Many(session, insert(table), keys).run(rows, mappings=True)


def insert_tuples(
    session: Session, table: Table, keys: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """`insert_rows` of rows given as values in the order of `keys` (no mapping per row). On
    PostgreSQL they go by COPY: the same rows, values and constraints (and its foreign keys'
    checks), without a round of the protocol for each row, which an executemany takes."""
    if rows:
        many = _Many(session, insert(table), keys)
        if many.connection.dialect.driver == "psycopg":
            many.copy_into(table)
        many.run(rows, mappings=False)


def execute_tuples(
    session: Session, statement: ClauseElement, keys: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """`statement` (an UPDATE, say, with bind parameters named `keys`) run for each row of
    values in the order of `keys`, as an executemany, with `insert_rows`' conversions."""
    if rows:
        _Many(session, statement, keys).run(rows, mappings=False)


class _Many:
    """One statement compiled for the session's database, for rows of its parameters."""

    def __init__(self, session: Session, statement: ClauseElement, keys: Sequence[str]) -> None:
        self.connection: Connection = session.connection()
        dialect = self.connection.dialect
        self.keys = list(keys)
        # Compiled positionally wherever the driver takes it (PostgreSQL's psycopg takes %s as
        # well as %(name)s): the rows go to it as tuples, not a dictionary each.
        compiled = cast(
            SQLCompiler, statement.compile(dialect=_positional(dialect), column_keys=self.keys)
        )
        self.positional = bool(compiled.positional and compiled.positiontup)
        self.names = list(compiled.positiontup or ()) if self.positional else self.keys
        self.sql = str(compiled)
        self.copy_sql: str | None = None
        # Only the parameters whose type converts a value cost a call per row.
        self.converting: list[tuple[int, Callable[[Any], Any], dict[Decimal, Any] | None]] = []
        # Amounts, shared by the columns of a type that binds equal amounts alike (Money): a
        # voucher line's amount in its currency is its debit or its credit again.
        amounts: dict[type, dict[Decimal, Any]] = {}
        for index, name in enumerate(self.names):
            bound_type = compiled.binds[name].type
            process = bound_type.dialect_impl(dialect).bind_processor(dialect)
            if process is None:
                continue
            by_value = getattr(bound_type, "binds_by_value", False)
            seen = amounts.setdefault(type(bound_type), {}) if by_value else None
            self.converting.append((index, _converter(process), seen))

    def run(self, rows: Sequence[Any], *, mappings: bool) -> None:
        names = self.names
        if mappings:
            values: Callable[[Any], Any] | None = (
                itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
            )
        else:
            order = [self.keys.index(name) for name in names]
            values = None if order == list(range(len(self.keys))) else _picker(order)
        for chunk in _chunks(rows):
            # Column by column: the value of the row before again (the same object: a time, a
            # JSON value shared by every row) reuses its conversion without a call; zip
            # transposes, in C.
            lines = chunk if values is None else map(values, chunk)
            columns: list[Sequence[Any]] = list(zip(*lines, strict=True))
            for index, convert, seen in self.converting:
                if seen is None:
                    columns[index] = _converted(columns[index], convert)
                else:
                    columns[index] = _converted_amounts(columns[index], convert, seen)
            bound = zip(*columns, strict=True)
            if self.copy_sql is not None:
                self._copy(bound)
                continue
            if self.positional:
                params: list[Any] = list(bound)
            else:
                params = [dict(zip(names, line, strict=True)) for line in bound]
            self.connection.exec_driver_sql(self.sql, params)

    def copy_into(self, table: Table) -> None:
        """Rows to go by PostgreSQL's COPY into `table` (the statement's), not an INSERT each."""
        quote = self.connection.dialect.identifier_preparer
        columns = ", ".join(quote.quote(name) for name in self.names)
        self.copy_sql = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"

    def _copy(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """The rows by COPY; the driver's error raised as SQLAlchemy raises an INSERT's (an
        IntegrityError for a duplicate key, say)."""
        assert self.copy_sql is not None
        driver = self.connection.connection.driver_connection
        error: type[Exception] = self.connection.dialect.loaded_dbapi.Error
        try:
            with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        except error as exc:
            raise DBAPIError.instance(self.copy_sql, None, exc, error) from exc


def _picker(order: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    if len(order) > 1:
        return itemgetter(*order)
    [only] = order
    return lambda row: (row[only],)


_TWINS: weakref.WeakKeyDictionary[Dialect, Dialect] = weakref.WeakKeyDictionary()


def _positional(dialect: Dialect) -> Dialect:
    """A dialect that compiles as `dialect` does, with positional parameters where its driver
    takes them and `dialect`'s are named (psycopg: `%s` for `%(name)s`); else `dialect`."""
    if dialect.positional or dialect.driver != "psycopg":
        return dialect
    twin = _TWINS.get(dialect)
    if twin is None:
        twin = cast(Dialect, cast(Any, type(dialect))(paramstyle="format"))
        twin.server_version_info = dialect.server_version_info
        _TWINS[dialect] = twin
    return twin


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
    amount and zero down the debit and credit columns, and repeat them in the amount in currency;
    a run of the very same object (a zero every payment shares) is converted once without a look.
    """
    result: list[Any] = []
    append, get = result.append, seen.get
    previous: Any = result  # no value is this list
    done: Any = None
    for value in column:
        if value is previous:
            append(done)
            continue
        if type(value) is not Decimal:
            done = convert(value)
        else:
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
        previous = value
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
