"""Sends: each line of a batch is one send of one payment; the bank's answers are kept on it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paybot.core.sends import LIVE, Send, SendState
from paybot.store.models import Batch, BatchPayment, CompanyBankAccount, Payment

_CHUNK = 2000
# A batch in these states has not begun to upload: its lines can still be taken out.
_NOT_STARTED = "prepared"


@dataclass(frozen=True)
class SendLine:
    """One send as the answers see it: which payment, batch, company and paying account."""

    id: int
    batch_id: int
    payment_id: int
    end_to_end_id: str
    payment_info_id: str
    amount: Decimal
    currency: str
    state: SendState
    company_id: int
    message_id: str  # the batch's MsgId
    batch_status: str
    account: str  # the paying account, as stored for the company (compact)

    @property
    def cancellable(self) -> bool:
        return self.state is SendState.PREPARED and self.batch_status == _NOT_STARTED

    def as_send(self) -> Send:
        return Send(self.id, self.batch_id, self.state, self.cancellable)


@dataclass(frozen=True)
class PaymentState:
    status: str
    version: int
    failure_kind: str | None
    batch_id: int | None
    supplier_id: int
    company_id: int


_COLUMNS = (
    BatchPayment.id,
    BatchPayment.batch_id,
    BatchPayment.payment_id,
    BatchPayment.end_to_end_id,
    BatchPayment.payment_info_id,
    BatchPayment.amount,
    BatchPayment.currency,
    BatchPayment.status,
    Batch.company_id,
    Batch.message_id,
    Batch.status,
    CompanyBankAccount.account,
)


class SendRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_end_to_end(self, ids: Iterable[str]) -> dict[str, SendLine]:
        return {s.end_to_end_id: s for s in self._where(BatchPayment.end_to_end_id, ids)}

    def by_payment_info(self, ids: Iterable[str]) -> dict[str, list[SendLine]]:
        found: dict[str, list[SendLine]] = {}
        for send in self._where(BatchPayment.payment_info_id, ids):
            found.setdefault(send.payment_info_id, []).append(send)
        return found

    def by_message(self, ids: Iterable[str]) -> dict[str, list[SendLine]]:
        """The sends of each batch, by the batch's MsgId."""
        found: dict[str, list[SendLine]] = {}
        for send in self._where(Batch.message_id, ids):
            found.setdefault(send.message_id, []).append(send)
        return found

    def of_payments(self, payment_ids: Iterable[int]) -> dict[int, list[SendLine]]:
        """Every send of each payment, oldest first."""
        found: dict[int, list[SendLine]] = {}
        for send in sorted(self._where(BatchPayment.payment_id, payment_ids), key=_by_id):
            found.setdefault(send.payment_id, []).append(send)
        return found

    def lock_payments(self, payment_ids: Iterable[int]) -> dict[int, PaymentState]:
        """The payments' states, locked until commit in id order (no two lockers wait in a ring)."""
        wanted = sorted(set(payment_ids))
        found: dict[int, PaymentState] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = (
                select(
                    Payment.id,
                    Payment.status,
                    Payment.version,
                    Payment.failure_kind,
                    Payment.batch_id,
                    Payment.supplier_id,
                    Payment.company_id,
                )
                .where(Payment.id.in_(wanted[start : start + _CHUNK]))
                .order_by(Payment.id)
                .with_for_update(key_share=True)
            )
            for row in self._session.execute(query):
                found[row[0]] = PaymentState(row[1], row[2], row[3], row[4], row[5], row[6])
        return found

    def set_state(self, send_id: int, state: SendState, values: dict[str, Any]) -> None:
        self.set_states([send_id], state, values)

    def set_states(self, send_ids: Sequence[int], state: SendState, values: dict[str, Any]) -> None:
        for start in range(0, len(send_ids), _CHUNK):
            self._session.execute(
                update(BatchPayment)
                .where(BatchPayment.id.in_(list(send_ids[start : start + _CHUNK])))
                .values(status=state.value, **values)
                .execution_options(synchronize_session=False)
            )

    def cancel(self, send_ids: Sequence[int], values: dict[str, Any]) -> list[int]:
        """Takes sends out of batches that have not begun to upload; returns those taken out.

        The caller holds the company's lock, which every dispatcher takes before it claims a
        batch for upload: a batch cannot start uploading between the check and the change.
        """
        if not send_ids:
            return []
        query = (
            select(BatchPayment.id)
            .join(Batch, Batch.id == BatchPayment.batch_id)
            .where(
                BatchPayment.id.in_(list(send_ids)),
                BatchPayment.status == SendState.PREPARED.value,
                Batch.status == _NOT_STARTED,
            )
        )
        taken = list(self._session.scalars(query))
        self.set_states(taken, SendState.CANCELLED, values)
        return taken

    def live_of(self, payment_id: int) -> list[SendLine]:
        return [s for s in self.of_payments([payment_id]).get(payment_id, []) if s.state in LIVE]

    def _where(self, column: Any, values: Iterable[Any]) -> list[SendLine]:
        wanted = list(dict.fromkeys(v for v in values if v not in (None, "")))
        result: list[SendLine] = []
        for start in range(0, len(wanted), _CHUNK):
            query = (
                select(*_COLUMNS)
                .join(Batch, Batch.id == BatchPayment.batch_id)
                .join(CompanyBankAccount, CompanyBankAccount.id == Batch.bank_account_id)
                .where(column.in_(wanted[start : start + _CHUNK]))
            )
            result.extend(_send(row) for row in self._session.execute(query))
        return result


def _by_id(send: SendLine) -> int:
    return send.id


def _send(row: Any) -> SendLine:
    return SendLine(
        id=row[0],
        batch_id=row[1],
        payment_id=row[2],
        end_to_end_id=row[3],
        payment_info_id=row[4],
        amount=row[5],
        currency=row[6],
        state=SendState(row[7]),
        company_id=row[8],
        message_id=row[9],
        batch_status=row[10],
        account=row[11],
    )
