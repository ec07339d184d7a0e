"""Alarms: raised once per key, read by the alerts channel (and the audit trail keeps them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paybot.core.sends import AlarmKind
from paybot.store.models import Alarm, Company


@dataclass(frozen=True)
class AlarmRecord:
    id: int
    key: str
    company_org_no: str
    payment_id: int | None
    batch_id: int | None
    kind: AlarmKind
    message: str
    details: dict[str, Any]
    raised_at: datetime


class AlarmRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def raise_once(
        self,
        *,
        key: str,
        company_id: int,
        kind: AlarmKind,
        message: str,
        details: dict[str, Any],
        now: datetime,
        payment_id: int | None = None,
        batch_id: int | None = None,
    ) -> bool:
        """Records the alarm unless one with this key was raised before; True if it is new."""
        if self._session.scalar(select(Alarm.id).where(Alarm.key == key)) is not None:
            return False
        try:
            with self._session.begin_nested():
                self._session.add(
                    Alarm(
                        key=key,
                        company_id=company_id,
                        payment_id=payment_id,
                        batch_id=batch_id,
                        kind=kind.value,
                        message=message,
                        details=details,
                        raised_at=now,
                    )
                )
                self._session.flush()
        except IntegrityError:
            return False  # raised by another process just now
        return True

    def latest(self, limit: int = 50) -> list[AlarmRecord]:
        query = (
            select(Alarm, Company.org_no)
            .join(Company, Company.id == Alarm.company_id)
            .order_by(Alarm.id.desc())
            .limit(limit)
        )
        return [_record(row, org_no) for row, org_no in self._session.execute(query)]

    def by_ids(self, ids: list[int]) -> list[AlarmRecord]:
        if not ids:
            return []
        query = (
            select(Alarm, Company.org_no)
            .join(Company, Company.id == Alarm.company_id)
            .where(Alarm.id.in_(ids))
            .order_by(Alarm.id)
        )
        return [_record(row, org_no) for row, org_no in self._session.execute(query)]


def _record(row: Alarm, org_no: str) -> AlarmRecord:
    return AlarmRecord(
        id=row.id,
        key=row.key,
        company_org_no=org_no,
        payment_id=row.payment_id,
        batch_id=row.batch_id,
        kind=AlarmKind(row.kind),
        message=row.message,
        details=dict(row.details or {}),
        raised_at=row.raised_at,
    )
