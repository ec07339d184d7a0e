"""Unit of work: one session, one transaction; rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from paybot.store.alarms import AlarmRepository
from paybot.store.alert_queries import AlertQueries
from paybot.store.audit_log import LoggedAuditRepository
from paybot.store.banking import BankRepository
from paybot.store.companies import CompanyRepository
from paybot.store.ledger import LedgerRepository
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


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self._factory = sessionmaker(engine, expire_on_commit=False)
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        session = self._factory()
        self._session = session
        self.companies = CompanyRepository(session)
        self.users = UserRepository(session)
        self.ledger = LedgerRepository(session)
        self.payments = PaymentRepository(session)
        self.audit = LoggedAuditRepository(session)
        self.limits = LimitRepository(session)
        self.rates = RateRepository(session)
        self.otp = OtpRepository(session)
        self.signatures = SignatureRepository(session)
        self.bank = BankRepository(session)
        self.slack = SlackRepository(session)
        self.alerts = AlertQueries(session)
        self.sends = SendRepository(session)
        self.alarms = AlarmRepository(session)
        self.polls = PollRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def commit(self) -> None:
        assert self._session is not None
        self.audit.flush()
        self._session.commit()
