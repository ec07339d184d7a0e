"""The audit trail: an append-only hash chain of events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from paybot.core.audit_chain import GENESIS, HASHED_FIELDS, event_hash, plain
from paybot.store.bulk import insert_rows
from paybot.store.models import AuditEvent

_AUDIT_EVENTS = cast(Table, AuditEvent.__table__)

# Key of the PostgreSQL advisory lock that serializes appends to the audit chain.
AUDIT_CHAIN_LOCK = 0x70617962  # 'payb'


# Up to this many events go in one cached INSERT statement; more (an import's thousands) through
# insert_rows, which converts a repeated value once but compiles its statement on every call.
_FEW = 32

_SCALARS = frozenset({str, int, bool, type(None)})
_JSON_FIELDS = ("before", "after", "details")
_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")


def _plain(value: Any) -> Any:
    """`plain(value)`, without its JSON round trip when the value is JSON already (most are:
    a use case may write thousands of events of a few small fields)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or type(item) not in _SCALARS:
                return plain(value)
        return value  # not copied: it is read only until the insert, and never kept
    return plain(value)


class AuditRepository:
    """Append-only: events are added, read and verified; no method changes or removes one.

    Added events are appended to the chain when the unit of work commits, so the chain's lock
    is held for the insert and the commit only, not for the whole use case.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._pending: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        self.add_many([values])

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        self._pending.extend(rows)

    def flush(self) -> None:
        """Appends the added events to the chain, each holding the hash of the one before it."""
        rows, self._pending = self._pending, []
        if not rows:
            return
        previous = self._last_hash()
        columns = [*_COLUMNS, *sorted({key for row in rows for key in row} - set(_COLUMNS))]
        chained = []
        for row in rows:
            event = dict.fromkeys(columns)  # a column some events leave out is NULL in them
            event.update(row)
            for key in _JSON_FIELDS:
                event[key] = _plain(event[key])
            event["prev_hash"] = previous
            event["hash"] = previous = event_hash(previous, event)
            chained.append(event)
        if len(chained) <= _FEW:
            self._session.connection().execute(_INSERT_EVENT, chained)
        else:
            insert_rows(self._session, _AUDIT_EVENTS, columns, chained)

    def _last_hash(self) -> str:
        """The chain's newest hash, read once this transaction holds the chain's lock (until
        its commit): one writer at a time appends. On SQLite the write lock ensures it."""
        connection = self._session.connection()
        if connection.dialect.name != "postgresql":
            return self._session.scalar(_LAST_HASH) or GENESIS
        driver: Any = connection.connection.dbapi_connection
        if not hasattr(driver, "pipeline"):  # a driver other than psycopg 3
            self._session.execute(_LOCK_CHAIN)
            return self._session.scalar(_LAST_HASH) or GENESIS
        # Both statements in one round trip: every round trip while the lock is held is paid by
        # every writer queued behind it (and, in a busy process, waits for the interpreter). Two
        # statements, not one: the hash must be read with a snapshot taken after the lock is
        # granted, and a statement's snapshot is taken before it starts waiting.
        with driver.pipeline():
            driver.execute(_LOCK_CHAIN_SQL, (AUDIT_CHAIN_LOCK,))
            newest = driver.execute(_LAST_HASH_SQL)
        row = newest.fetchone()
        return str(row[0]) if row else GENESIS

    def for_payment(self, payment_id: int) -> list[dict[str, Any]]:
        return self._events(AuditEvent.payment_id == payment_id)

    def latest(self, limit: int, action_prefix: str | None = None) -> list[dict[str, Any]]:
        """The newest events (oldest first), optionally of actions starting with a prefix."""
        newest = select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(limit)
        if action_prefix:
            newest = newest.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
        return self._events(AuditEvent.id.in_(newest.scalar_subquery()))

    def _events(self, condition: ColumnElement[bool]) -> list[dict[str, Any]]:
        query = select(AuditEvent).where(condition).order_by(AuditEvent.id)
        return [
            {
                "id": event.id,
                "at": event.at,
                "actor": event.actor_label,
                "action": event.action,
                "before": event.before,
                "after": event.after,
                "details": event.details,
                "payment_id": event.payment_id,
            }
            for event in self._session.scalars(query)
        ]

    def first_broken_link(self) -> tuple[int, str] | None:
        """(event id, what is wrong) for the first event whose hash does not hold, or None."""
        ids = list(self._session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        previous = GENESIS
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            rows = self._readable(chunk)
            if isinstance(rows, int):
                return rows, "its stored content cannot even be read (it was changed)"
            for event in rows:
                if event["prev_hash"] != previous:
                    return event["id"], (
                        "it does not follow the event before it (one was removed or changed)"
                    )
                if event_hash(previous, event) != event["hash"]:
                    return event["id"], "its content does not match its hash (it was changed)"
                previous = event["hash"]
        return None

    def head(self) -> str:
        """The newest event's hash: kept elsewhere, it also reveals events removed at the end."""
        query = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        return self._session.scalar(query) or GENESIS

    def _readable(self, ids: list[int]) -> list[dict[str, Any]] | int:
        """The events with these ids, or the id of the first one whose stored data is garbled."""
        columns = [getattr(AuditEvent, name) for name in HASHED_FIELDS]
        query = select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash, *columns)
        try:
            rows = self._session.execute(
                query.where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id)
            )
            return [row._asdict() for row in rows]
        except (ValueError, TypeError, LookupError):
            for one in ids:
                try:
                    self._session.execute(query.where(AuditEvent.id == one)).all()
                except (ValueError, TypeError, LookupError):
                    return one
            raise

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


_LOCK_CHAIN = select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK))
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
# The same two for psycopg's pipeline, which takes the driver's own SQL.
_LOCK_CHAIN_SQL = "SELECT pg_advisory_xact_lock(%s)"
_LAST_HASH_SQL = "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1"
_INSERT_EVENT = insert(_AUDIT_EVENTS)
