"""The scheduler's lease: which one process runs the scheduled jobs of a database.

PostgreSQL: the holder keeps a session-level advisory lock on a connection of its own for as long
as it leads. The lock goes with its session, so a holder that dies (or whose connection breaks)
frees it at once, and TCP keepalives on both ends close the session of a holder whose machine
vanished. SQLite (one machine): an OS file lock on a file beside the database file, which goes
with the process. Either way the holder renews a row in `scheduler_leases` so that anyone can see
who leads and since when.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Protocol
from uuid import uuid4

from sqlalchemy import Connection, Engine, create_engine, delete, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from paybot.store.models import SchedulerLease

NAME = "scheduler"
# How often the holder renews its row; a row older than two of these has no live holder.
RENEW_EVERY = timedelta(seconds=15)
# pg_try_advisory_lock(int4, int4): paybot's own number ("payb") and the scheduler's lease.
ADVISORY_KEYS = (0x70617962, 1)
# The lease's connection: fail fast rather than hang, and keepalives on both ends so that a
# holder whose machine vanished loses its session (and the lock) within about half a minute.
KEEPALIVES = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
    "options": "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 "
    "-c tcp_keepalives_count=3 -c statement_timeout=5000",
}


@dataclass(frozen=True)
class Leader:
    """Who runs the scheduled jobs, and when it last said so."""

    holder: str
    renewed_at: datetime


def current_leader(
    engine: Engine, now: datetime, *, period: timedelta = RENEW_EVERY
) -> Leader | None:
    """The holder of the lease; None when there is no row or it has not been renewed for two
    periods (its holder is gone or stuck)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(SchedulerLease.holder, SchedulerLease.renewed_at).where(
                SchedulerLease.name == NAME
            )
        ).first()
    if row is None or row.renewed_at < now - 2 * period:
        return None
    return Leader(holder=row.holder, renewed_at=row.renewed_at)


def new_holder() -> str:
    """This process's name as a holder: host, pid and a random part (one per candidate)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


class Lease(Protocol):
    """One candidate for the lease."""

    holder: str

    def try_acquire(self, now: datetime) -> bool:
        """Takes the lease if nobody holds it; True when this candidate holds it now."""
        ...

    def renew(self, now: datetime) -> bool:
        """Says the holder is still there; False when the lease is lost (stop at once)."""
        ...

    def release(self) -> None:
        """Gives the lease up (nothing happens if it is not held)."""
        ...


def lease_for(engine: Engine, holder: str | None = None) -> Lease:
    """The kind of lease the database supports."""
    holder = holder or new_holder()
    if engine.url.get_backend_name() == "postgresql":
        return PostgresLease(engine, holder)
    return FileLease(engine, holder)


def _record(connection: Connection, holder: str, now: datetime) -> None:
    """Makes `holder` the one named in the lease row (called only while holding the lock)."""
    taken = connection.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == NAME)
        .values(holder=holder, acquired_at=now, renewed_at=now)
    )
    if taken.rowcount == 0:
        connection.execute(
            insert(SchedulerLease).values(name=NAME, holder=holder, acquired_at=now, renewed_at=now)
        )


def _forget(connection: Connection, holder: str) -> None:
    connection.execute(
        delete(SchedulerLease).where(SchedulerLease.name == NAME, SchedulerLease.holder == holder)
    )


class PostgresLease:
    """The advisory lock on a connection of its own (outside the engine's pool)."""

    def __init__(self, engine: Engine, holder: str) -> None:
        self.holder = holder
        # One connection, never shared with requests or jobs: the lock lives in its session.
        # Autocommit: it never sits in a transaction holding row locks between renewals.
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args=KEEPALIVES,
            isolation_level="AUTOCOMMIT",
        )
        self._connection: Connection | None = None
        self._held = False

    def try_acquire(self, now: datetime) -> bool:
        if self._held:
            return self.renew(now)
        try:
            connection = self._connect()
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"),
                {"a": ADVISORY_KEYS[0], "b": ADVISORY_KEYS[1]},
            ).scalar_one()
            if got:
                _record(connection, self.holder, now)
            connection.commit()  # autocommit: each statement stood alone; this ends the block
            if not got:
                return False
        except SQLAlchemyError:
            self._drop()
            raise
        self._held = True
        return True

    def renew(self, now: datetime) -> bool:
        if not self._held or self._connection is None:
            return False
        # On the lock's own connection, and only if its session still holds the lock: a broken
        # connection raises, a lost lock (or a row someone else took) updates nothing.
        try:
            with self._connection.begin():  # autocommit: only SQLAlchemy's bookkeeping
                renewed = self._connection.execute(
                    update(SchedulerLease)
                    .where(
                        SchedulerLease.name == NAME,
                        SchedulerLease.holder == self.holder,
                        text(
                            "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                            "AND pid = pg_backend_pid() AND granted AND classid = :a "
                            "AND objid = :b AND objsubid = 2)"
                        ).bindparams(a=ADVISORY_KEYS[0], b=ADVISORY_KEYS[1]),
                    )
                    .values(renewed_at=now)
                ).rowcount
        except SQLAlchemyError:
            renewed = 0
        if renewed != 1:
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._held and self._connection is not None:
            try:
                with self._connection.begin():  # autocommit, as above
                    _forget(self._connection, self.holder)
                    # Now, not when the server gets round to ending the session.
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:a, :b)"),
                        {"a": ADVISORY_KEYS[0], "b": ADVISORY_KEYS[1]},
                    )
            except SQLAlchemyError:
                pass  # the session's end below frees the lock anyway
        self._drop()
        self._engine.dispose()

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect()
        return self._connection

    def _drop(self) -> None:
        """Closes the lease's connection; its session's end frees the lock."""
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()  # outside any pool: this ends the session
            except SQLAlchemyError:
                pass


# Candidates of one process that share an SQLite file without a file to lock (an in-memory
# database is one process's own): a plain lock.
_IN_MEMORY = threading.Lock()


class FileLease:
    """An exclusive flock on `<database file>.scheduler-lock`, held while the process leads."""

    def __init__(self, engine: Engine, holder: str) -> None:
        self.holder = holder
        self._engine = engine
        database = engine.url.database
        self.path = (
            None
            if not database or database == ":memory:"
            else Path(f"{Path(database).resolve()}.scheduler-lock")
        )
        self._file: IO[bytes] | None = None
        self._memory_held = False

    @property
    def _held(self) -> bool:
        return self._file is not None or self._memory_held

    def try_acquire(self, now: datetime) -> bool:
        if self._held:
            return self.renew(now)
        if not self._lock():
            return False
        try:
            with self._engine.begin() as connection:
                _record(connection, self.holder, now)
        except SQLAlchemyError:
            self._unlock()
            raise
        return True

    def renew(self, now: datetime) -> bool:
        if not self._held:
            return False
        try:
            with self._engine.begin() as connection:
                renewed = connection.execute(
                    update(SchedulerLease)
                    .where(SchedulerLease.name == NAME, SchedulerLease.holder == self.holder)
                    .values(renewed_at=now)
                ).rowcount
        except SQLAlchemyError:
            renewed = 0
        if renewed != 1:
            self._unlock()
            return False
        return True

    def release(self) -> None:
        if self._held:
            try:
                with self._engine.begin() as connection:
                    _forget(connection, self.holder)
            except SQLAlchemyError:
                pass  # the row goes stale; the lock below is what counts
        self._unlock()

    def _lock(self) -> bool:
        if self.path is None:
            self._memory_held = _IN_MEMORY.acquire(blocking=False)
            return self._memory_held
        file = self.path.open("ab")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        self._file = file
        return True

    def _unlock(self) -> None:
        if self._memory_held:
            self._memory_held = False
            _IN_MEMORY.release()
        file, self._file = self._file, None
        if file is not None:
            file.close()  # closing the file frees its flock
