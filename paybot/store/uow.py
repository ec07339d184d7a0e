"""Unit of work: one transaction; rolls back unless committed.

Its repositories are made on first use in each `with` block: a repository module is imported
only by a use case that needs it, so a command that reads companies does not load the XML,
IBAN and one-time-code libraries the payment and signing repositories bring.

Most repositories work on an ORM session; a few read and write plain rows in SQLAlchemy Core on
the tables (store/tables.py): companies, their charts of accounts, and the payment lists of
`paybot proposals list`. A unit
of work whose repositories are all of those few runs on a connection of its own and never loads
the ORM (sqlalchemy.orm and the mapped classes cost an everyday command more than its queries).
The first repository that needs the session gets one on that same connection and transaction,
which the session then commits or rolls back; Core statements go through the session from then
on, so they see what it has not flushed yet.

`rehearsal` gives a unit of work on a private, empty copy of the schema that is thrown away
afterwards: a server runs its use cases there once before it answers anyone, so the statements
they send are compiled (and cached) before the first request needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sqlalchemy import Connection, Engine
from sqlalchemy.schema import CreateIndex, CreateTable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from paybot.store.alarms import AlarmRepository
    from paybot.store.alert_queries import AlertQueries
    from paybot.store.audit_log import LoggedAuditRepository
    from paybot.store.banking import BankRepository
    from paybot.store.chart_of_accounts import ChartRepository
    from paybot.store.companies import CompanyRepository
    from paybot.store.ehf import EhfRepository
    from paybot.store.incoming import IncomingRepository
    from paybot.store.ledger import LedgerRepository
    from paybot.store.ledger_posting import PostingRepository
    from paybot.store.payment_search import PaymentLists
    from paybot.store.payments import PaymentRepository
    from paybot.store.people import UserRepository
    from paybot.store.polls import PollRepository
    from paybot.store.sends import SendRepository
    from paybot.store.signing import (
        LimitRepository,
        OtpRepository,
        RateRepository,
        SignatureRepository,
    )
    from paybot.store.slack import SlackRepository

R = TypeVar("R")

# Where a Core repository sends a statement: the unit of work's connection, or its session once
# it has one (both execute a statement with its parameters, and give a scalar).
Statements = Callable[[], "Connection | Session"]


class _repository(Generic[R]):  # noqa: N801 - a decorator, like `property`
    """A repository of the unit of work, made on first use (like `functools.cached_property`,
    without its lock) and kept in the instance's `__dict__`, a plain attribute from then on,
    until the next `with` opens a new session."""

    def __init__(self, build: Callable[[UnitOfWork], R]) -> None:
        self._build = build
        self._name = build.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _repository[R]: ...

    @overload
    def __get__(self, uow: UnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: UnitOfWork | None, owner: type) -> _repository[R] | R:
        if uow is None:
            return self
        made = self._build(uow)
        uow.__dict__[self._name] = made
        return made


class UnitOfWork:
    def __init__(self, engine: Engine | Connection) -> None:
        # Per `with`: a session (made directly: a sessionmaker would make a new class each time)
        # when a repository needs one, else a connection of its own for Core statements alone.
        # On a connection (a rehearsal), `commit` commits a savepoint of the connection's
        # transaction, which the session keeps.
        self._bind = engine
        self._inside = False
        self._session: Session | None = None
        self._connection: Connection | None = None
        # The session the repositories are made on outside `with`: the last one opened, as they
        # were before repositories were made lazily (a repository used after `with` keeps its
        # session).
        self._bound: Session | None = None

    def _opened(self) -> Session:
        """The session of this `with`, made on first use."""
        if not self._inside:
            if self._bound is None:
                raise AttributeError("a unit of work's repositories are used inside `with` it")
            return self._bound
        if self._session is None:
            self._session = self._bound = self._new_session()
        return self._session

    def _new_session(self) -> Session:
        from sqlalchemy.orm import Session

        if self._connection is not None:
            # Core statements came first: the session carries on in their connection and
            # transaction, and commits or rolls it back from now on.
            return Session(
                self._connection, expire_on_commit=False, join_transaction_mode="control_fully"
            )
        return Session(self._bind, expire_on_commit=False, join_transaction_mode="create_savepoint")

    def _core(self) -> Statements:
        """What a Core repository is made on: `_statements`, asked for each statement."""
        if not self._inside:
            self._opened()  # refused before the first `with`, as for the session's repositories
        return self._statements

    def _statements(self) -> Connection | Session:
        """Where a Core repository's statement goes: the session once there is one (it flushes
        what it holds first), else this unit of work's own connection (opened on first use; its
        transaction begins with the first statement)."""
        if self._session is not None or not self._inside or isinstance(self._bind, Connection):
            # (A rehearsal's savepoints are the session's to keep.)
            return self._opened()
        if self._connection is None:
            self._connection = self._bind.connect()
        return self._connection

    @_repository
    def companies(self) -> CompanyRepository:
        from paybot.store.companies import CompanyRepository

        return CompanyRepository(self._core())

    @_repository
    def chart(self) -> ChartRepository:
        from paybot.store.chart_of_accounts import ChartRepository

        return ChartRepository(self._core())

    @_repository
    def users(self) -> UserRepository:
        from paybot.store.people import UserRepository

        return UserRepository(self._opened())

    @_repository
    def ledger(self) -> LedgerRepository:
        from paybot.store.ledger import LedgerRepository

        return LedgerRepository(self._opened())

    @_repository
    def ehf(self) -> EhfRepository:
        from paybot.store.ehf import EhfRepository

        return EhfRepository(self._opened())

    @_repository
    def postings(self) -> PostingRepository:
        from paybot.store.ledger_posting import PostingRepository

        return PostingRepository(self._opened())

    @_repository
    def incoming(self) -> IncomingRepository:
        from paybot.store.incoming import IncomingRepository

        return IncomingRepository(self._opened())

    @_repository
    def payments(self) -> PaymentRepository:
        from paybot.store.payments import PaymentRepository

        return PaymentRepository(self._opened())

    @_repository
    def payment_lists(self) -> PaymentLists:
        from paybot.store.payment_search import PaymentLists

        return PaymentLists(self._core())

    @_repository
    def audit(self) -> LoggedAuditRepository:
        from paybot.store.audit_log import LoggedAuditRepository

        return LoggedAuditRepository(self._opened())

    @_repository
    def limits(self) -> LimitRepository:
        from paybot.store.signing import LimitRepository

        return LimitRepository(self._opened())

    @_repository
    def rates(self) -> RateRepository:
        from paybot.store.signing import RateRepository

        return RateRepository(self._opened())

    @_repository
    def otp(self) -> OtpRepository:
        from paybot.store.signing import OtpRepository

        return OtpRepository(self._opened())

    @_repository
    def signatures(self) -> SignatureRepository:
        from paybot.store.signing import SignatureRepository

        return SignatureRepository(self._opened())

    @_repository
    def bank(self) -> BankRepository:
        from paybot.store.banking import BankRepository

        return BankRepository(self._opened())

    @_repository
    def slack(self) -> SlackRepository:
        from paybot.store.slack import SlackRepository

        return SlackRepository(self._opened())

    @_repository
    def alerts(self) -> AlertQueries:
        from paybot.store.alert_queries import AlertQueries

        return AlertQueries(self._opened())

    @_repository
    def sends(self) -> SendRepository:
        from paybot.store.sends import SendRepository

        return SendRepository(self._opened())

    @_repository
    def alarms(self) -> AlarmRepository:
        from paybot.store.alarms import AlarmRepository

        return AlarmRepository(self._opened())

    @_repository
    def polls(self) -> PollRepository:
        from paybot.store.polls import PollRepository

        return PollRepository(self._opened())

    def __enter__(self) -> UnitOfWork:
        self._inside = True
        self._session = None
        self._connection = None
        # Fresh repositories for the new transaction (each holds its session, audit its pending).
        for name in _REPOSITORIES:
            self.__dict__.pop(name, None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, connection = self._session, self._connection
        self._inside = False
        self._session = self._connection = None
        try:
            if session is not None:
                session.rollback()
            elif connection is not None:
                connection.rollback()
        finally:
            if session is not None:
                session.close()
            if connection is not None:
                connection.close()

    def commit(self) -> None:
        assert self._inside
        # An audit repository nobody asked for holds no events: nothing to append.
        audit: LoggedAuditRepository | None = self.__dict__.get("audit")
        if audit is not None:
            audit.flush()
        if self._session is not None:
            self._session.commit()
        elif self._connection is not None:
            self._connection.commit()


_REPOSITORIES: frozenset[str] = frozenset(
    name for name, value in vars(UnitOfWork).items() if isinstance(value, _repository)
)


def load_repositories() -> None:
    """Imports every repository's module now, as importing the unit of work used to: a server
    does so before it forks its workers (the modules' pages then stay shared) and before its
    first request (which then does not wait for them)."""
    for module in _REPOSITORY_MODULES:
        import_module(module)


# The schema a connection's temporary tables are made in, per database: such a table hides a
# table of the same name from that connection (and from no other).
_TEMPORARY_SCHEMA = {"postgresql": "pg_temp", "sqlite": "temp"}


@contextmanager
def rehearsal(engine: Engine) -> Iterator[UnitOfWork]:
    """A unit of work on an empty copy of paybot's tables that only it sees, thrown away at the
    end: the tables made again as temporary tables of one connection (which hide the real ones
    from it), in a transaction that is always rolled back; each `commit` of the unit of work
    commits a savepoint of it.

    A use case run in it reads, locks and writes no real row, yet sends the statements it sends
    for real (a statement names its tables, not their schema), so they are compiled into the
    engine's statement cache. Its audit events are chained in the copy, though under the real
    chain's lock (PostgreSQL), held until the end: keep a rehearsal short."""
    from paybot.store.tables import metadata

    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            # The schema named on the DDL only: the statements rehearsed must be compiled as
            # they are for real, without a schema to translate (a part of the cache's key).
            schema = _TEMPORARY_SCHEMA[connection.dialect.name]
            copy: Any = {"schema_translate_map": {None: schema}}
            for table in metadata.sorted_tables:
                connection.execute(CreateTable(table), execution_options=copy)
                for index in table.indexes:
                    connection.execute(CreateIndex(index), execution_options=copy)
            yield UnitOfWork(connection)
        finally:
            transaction.rollback()


# Where the repositories above are (tests/store/test_uow.py holds the two lists together).
_REPOSITORY_MODULES = (
    "paybot.store.alarms",
    "paybot.store.alert_queries",
    "paybot.store.audit_log",
    "paybot.store.banking",
    "paybot.store.chart_of_accounts",
    "paybot.store.companies",
    "paybot.store.ehf",
    "paybot.store.incoming",
    "paybot.store.ledger",
    "paybot.store.ledger_posting",
    "paybot.store.payment_search",
    "paybot.store.payments",
    "paybot.store.people",
    "paybot.store.polls",
    "paybot.store.sends",
    "paybot.store.signing",
    "paybot.store.slack",
)
