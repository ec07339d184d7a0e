"""What the alerts channel has not heard of yet: failed and silent payments, paid batches.

Each query leaves out what was alerted already: a claim under the alert's key that is done, or
taken so recently that its process may still be posting. The keys are built in SQL from the
prefix given, the same way the alerts service builds them, so nothing alerted is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from paybot.core.states import PaymentStatus
from paybot.store.models import Alarm, Batch, BatchPayment, Payment, SlackClaim

_PAID = (PaymentStatus.PAID.value, PaymentStatus.POSTED.value)


@dataclass(frozen=True)
class SentPayment:
    """A payment that went to the bank: how many times it was sent, and when last."""

    payment_id: int
    sends: int
    sent_at: datetime | None
    key: str


@dataclass(frozen=True)
class BatchTotals:
    batch_id: int
    number: int
    key: str
    payments: int = 0
    totals: tuple[tuple[str, Decimal], ...] = ()  # (currency, total), by currency


class AlertQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def failed(
        self, company_id: int, *, failure_kind: str, key_prefix: str, fresh_after: datetime
    ) -> list[SentPayment]:
        """Failed payments of this kind not alerted yet, by id."""
        return self._payments(
            key_prefix,
            fresh_after,
            Payment.company_id == company_id,
            Payment.status == PaymentStatus.FAILED.value,
            Payment.failure_kind == failure_kind,
        )

    def unanswered(
        self, company_id: int, *, sent_before: datetime, key_prefix: str, fresh_after: datetime
    ) -> list[SentPayment]:
        """Payments in Processing, sent at or before `sent_before`, with no status from the bank."""
        return self._payments(
            key_prefix,
            fresh_after,
            Payment.company_id == company_id,
            Payment.status == PaymentStatus.PROCESSING.value,
            Payment.bank_status.is_(None),
            Payment.sent_at <= sent_before,
        )

    def alarms(
        self, company_id: int, *, key_prefix: str, fresh_after: datetime
    ) -> list[tuple[int, str]]:
        """(alarm id, alert key) of the company's alarms not announced yet, oldest first."""
        key = _key(key_prefix, Alarm.id)
        query = (
            select(Alarm.id, key)
            .where(Alarm.company_id == company_id, _not_alerted(key, fresh_after))
            .order_by(Alarm.id)
        )
        return [(row[0], row[1]) for row in self._session.execute(query)]

    def paid_batches(
        self, company_id: int, *, key_prefix: str, fresh_after: datetime
    ) -> list[BatchTotals]:
        """Sent batches whose every payment is Paid (in this batch, not a later send of it)."""
        unpaid = (
            select(BatchPayment.id)
            .join(Payment, Payment.id == BatchPayment.payment_id)
            .where(
                BatchPayment.batch_id == Batch.id,
                or_(
                    Payment.status.not_in(_PAID),
                    Payment.batch_id.is_(None),
                    Payment.batch_id != Batch.id,
                ),
            )
        )
        key = _key(key_prefix, Batch.id)
        query = (
            select(Batch.id, Batch.number, key)
            .where(
                Batch.company_id == company_id,
                Batch.status == "sent",
                exists().where(BatchPayment.batch_id == Batch.id),
                ~exists(unpaid),
                _not_alerted(key, fresh_after),
            )
            .order_by(Batch.id)
        )
        return [BatchTotals(row[0], row[1], row[2]) for row in self._session.execute(query)]

    def batch_totals(self, batches: Iterable[BatchTotals]) -> list[BatchTotals]:
        """The same batches with their count of payments and total per currency."""
        wanted = {batch.batch_id: batch for batch in batches}
        if not wanted:
            return []
        query = (
            select(
                BatchPayment.batch_id,
                BatchPayment.currency,
                func.count(BatchPayment.id),
                func.sum(BatchPayment.amount),
            )
            .where(BatchPayment.batch_id.in_(list(wanted)))
            .group_by(BatchPayment.batch_id, BatchPayment.currency)
            .order_by(BatchPayment.batch_id, BatchPayment.currency)
        )
        counts: dict[int, int] = dict.fromkeys(wanted, 0)
        totals: dict[int, list[tuple[str, Decimal]]] = {batch_id: [] for batch_id in wanted}
        for batch_id, currency, number, total in self._session.execute(query):
            counts[batch_id] += number
            totals[batch_id].append((currency, Decimal(total)))
        return [
            BatchTotals(
                batch.batch_id,
                batch.number,
                batch.key,
                payments=counts[batch.batch_id],
                totals=tuple(totals[batch.batch_id]),
            )
            for batch in wanted.values()
        ]

    def _payments(
        self, key_prefix: str, fresh_after: datetime, *conditions: ColumnElement[bool]
    ) -> list[SentPayment]:
        sends = (
            select(func.count(BatchPayment.id))
            .where(BatchPayment.payment_id == Payment.id)
            .correlate(Payment)
            .scalar_subquery()
        )
        key = _key(key_prefix, Payment.id, sends)
        query = (
            select(Payment.id, sends, Payment.sent_at, key)
            .where(*conditions, _not_alerted(key, fresh_after))
            .order_by(Payment.id)
        )
        return [SentPayment(row[0], row[1], row[2], row[3]) for row in self._session.execute(query)]


def _key(prefix: str, *parts: Any) -> ColumnElement[str]:
    """`prefix:part:part`, in SQL (|| on both databases)."""
    key: ColumnElement[str] = literal(prefix, String)
    for part in parts:
        key = key + literal(":", String) + cast(part, String)
    return key


def _not_alerted(key: ColumnElement[str], fresh_after: datetime) -> ColumnElement[bool]:
    """No finished claim on the key, nor one taken after `fresh_after` (may still be posting);
    an older unfinished claim belongs to a process that died: its alert is due again."""
    return ~exists().where(
        and_(
            SlackClaim.key == key,
            or_(SlackClaim.done_at.is_not(None), SlackClaim.claimed_at >= fresh_after),
        )
    )
