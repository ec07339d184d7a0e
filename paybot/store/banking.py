"""Repositories for the bank: outgoing accounts and their gateways, batches, return files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.store.models import (
    Batch,
    BatchPayment,
    Company,
    CompanyBankAccount,
    OpenItem,
    Payment,
    ReturnFile,
    Signature,
)

_BATCH_PAYMENTS = cast(Table, BatchPayment.__table__)


@dataclass(frozen=True)
class BankAccountSettings:
    id: int
    company_id: int
    account: str
    bic: str | None
    outgoing: bool
    gateway: str
    file_format: str
    outbox: str | None
    inbox: str | None
    sftp: dict[str, Any]
    sandbox: dict[str, Any]


@dataclass(frozen=True)
class DuePayment:
    id: int
    version: int
    payee: str
    account: str | None
    amount: Decimal
    currency: str
    due_date: date
    reference_type: ReferenceType
    reference: str | None
    invoice_no: str | None
    signed_at: datetime | None


@dataclass(frozen=True)
class BatchInfo:
    id: int
    company_id: int
    bank_account_id: int
    number: int
    status: str
    message_id: str
    file_format: str
    file_name: str | None
    file_sha256: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class BatchLine:
    """A payment as it stands in a batch: what the file says, and what the bank said back."""

    id: int
    batch_id: int
    payment_id: int
    end_to_end_id: str
    payment_info_id: str
    execution_date: date
    amount: Decimal
    currency: str
    status: str
    payee: str
    account: str | None
    reference_type: ReferenceType
    reference: str | None
    invoice_no: str | None


class BankRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- accounts ------------------------------------------------------------------------------

    def accounts(self, company_id: int) -> list[BankAccountSettings]:
        rows = self._session.scalars(
            select(CompanyBankAccount)
            .where(CompanyBankAccount.company_id == company_id)
            .order_by(CompanyBankAccount.id)
        )
        return [_account(row) for row in rows]

    def account(self, account_id: int) -> BankAccountSettings:
        return _account(self._session.get_one(CompanyBankAccount, account_id))

    def update_account(self, account_id: int, values: dict[str, Any]) -> None:
        self._session.execute(
            update(CompanyBankAccount).where(CompanyBankAccount.id == account_id).values(**values)
        )

    # --- dispatch ------------------------------------------------------------------------------

    def lock_company(self, company_id: int) -> None:
        """One dispatcher per company at a time, across processes (PostgreSQL row lock)."""
        self._session.execute(select(Company.id).where(Company.id == company_id).with_for_update())

    def due_payments(self, company_id: int) -> list[DuePayment]:
        query = (
            select(Payment, OpenItem.invoice_no)
            .join(OpenItem, OpenItem.id == Payment.open_item_id)
            .where(
                Payment.company_id == company_id,
                Payment.status == PaymentStatus.DUE.value,
                Payment.batch_id.is_(None),
            )
            .order_by(Payment.due_date, Payment.id)
        )
        return [
            DuePayment(
                id=p.id,
                version=p.version,
                payee=p.payee,
                account=p.account,
                amount=p.amount,
                currency=p.currency,
                due_date=p.due_date,
                reference_type=ReferenceType(p.reference_type),
                reference=p.reference,
                invoice_no=invoice_no,
                signed_at=p.signed_at,
            )
            for p, invoice_no in self._session.execute(query)
        ]

    def new_batch(
        self, *, company_id: int, bank_account_id: int, file_format: str, now: datetime
    ) -> BatchInfo:
        number = (
            self._session.scalar(
                select(func.max(Batch.number)).where(Batch.company_id == company_id)
            )
            or 0
        ) + 1
        batch = Batch(
            company_id=company_id,
            bank_account_id=bank_account_id,
            number=number,
            status="prepared",
            message_id=f"pending-{company_id}-{number}",
            file_format=file_format,
            created_at=now,
        )
        self._session.add(batch)
        self._session.flush()
        # The message id carries paybot's own batch id: a file sent again is recognisable.
        batch.message_id = f"PAYBOT-B{batch.id}"
        self._session.flush()
        return _batch(batch)

    def claim(self, payment_id: int, version: int, batch_id: int) -> bool:
        """Puts a Due payment in a batch, unless another dispatcher got to it first."""
        result = self._session.execute(
            update(Payment)
            .where(
                Payment.id == payment_id,
                Payment.version == version,
                Payment.status == PaymentStatus.DUE.value,
                Payment.batch_id.is_(None),
            )
            .values(batch_id=batch_id, version=Payment.version + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_lines(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 2000):
            self._session.execute(insert(_BATCH_PAYMENTS), list(rows[start : start + 2000]))

    def sends_of(self, payment_ids: Iterable[int]) -> dict[int, int]:
        """How many times each payment has been put in a batch before."""
        query = (
            select(BatchPayment.payment_id, func.count())
            .where(BatchPayment.payment_id.in_(list(payment_ids)))
            .group_by(BatchPayment.payment_id)
        )
        return {payment_id: count for payment_id, count in self._session.execute(query)}

    def batch(self, batch_id: int) -> BatchInfo:
        return _batch(self._session.get_one(Batch, batch_id))

    def prepared_batches(self, company_id: int | None = None) -> list[BatchInfo]:
        query = select(Batch).where(Batch.status.in_(["prepared", "uploading"])).order_by(Batch.id)
        if company_id is not None:
            query = query.where(Batch.company_id == company_id)
        return [_batch(row) for row in self._session.scalars(query)]

    def lines(self, batch_id: int) -> list[BatchLine]:
        query = (
            select(BatchPayment, Payment, OpenItem.invoice_no)
            .join(Payment, Payment.id == BatchPayment.payment_id)
            .join(OpenItem, OpenItem.id == Payment.open_item_id)
            .where(BatchPayment.batch_id == batch_id)
            .order_by(BatchPayment.payment_info_id, BatchPayment.id)
        )
        return [
            _line(line, payment, invoice) for line, payment, invoice in self._session.execute(query)
        ]

    def mark_uploading(self, batch_id: int) -> bool:
        """From here on the bank may have the file: a recovery must not send it blindly again.
        False if the batch was no longer prepared: another dispatcher is uploading it."""
        result = self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status == "prepared")
            .values(status="uploading")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_sent(self, batch_id: int, file_name: str, sha256: str, now: datetime) -> None:
        self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id)
            .values(status="sent", file_name=file_name, file_sha256=sha256, sent_at=now)
        )

    def mark_invalid(self, batch_id: int, error: str) -> None:
        self._session.execute(
            update(Batch).where(Batch.id == batch_id).values(status="invalid", error=error)
        )
        self._session.execute(
            update(Payment)
            .where(Payment.batch_id == batch_id, Payment.status == PaymentStatus.DUE.value)
            .values(batch_id=None, version=Payment.version + 1)
        )

    def start_processing(self, batch_id: int, now: datetime) -> list[tuple[int, int]]:
        """Due payments of the batch → Processing; returns (payment id, new version) of each."""
        moved = list(
            self._session.execute(
                select(Payment.id, Payment.version).where(
                    Payment.batch_id == batch_id, Payment.status == PaymentStatus.DUE.value
                )
            )
        )
        self._session.execute(
            update(Payment)
            .where(Payment.batch_id == batch_id, Payment.status == PaymentStatus.DUE.value)
            .values(
                status=PaymentStatus.PROCESSING.value,
                version=Payment.version + 1,
                sent_at=now,
                updated_at=now,
                bank_status=None,
            )
            .execution_options(synchronize_session=False)
        )
        return [(payment_id, version + 1) for payment_id, version in moved]

    # --- returns -------------------------------------------------------------------------------

    def return_file_seen(self, sha256: str) -> bool:
        query = select(ReturnFile.id).where(ReturnFile.sha256 == sha256)
        return self._session.scalar(query) is not None

    def claim_return_file(self, *, sha256: str, name: str, kind: str, now: datetime) -> int | None:
        """Records a file as being applied; None if it was (or is being) applied already.

        The unique hash makes a second process wait here for the first, then back off.
        """
        try:
            with self._session.begin_nested():
                row = ReturnFile(sha256=sha256, name=name, kind=kind, received_at=now, summary={})
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def set_return_summary(self, file_id: int, summary: dict[str, Any]) -> None:
        self._session.execute(
            update(ReturnFile).where(ReturnFile.id == file_id).values(summary=summary)
        )

    def lines_by_end_to_end(self, ids: Iterable[str]) -> dict[str, BatchLine]:
        return {
            line.end_to_end_id: line for line in self._lines_where(BatchPayment.end_to_end_id, ids)
        }

    def lines_by_payment_info(self, ids: Iterable[str]) -> dict[str, list[BatchLine]]:
        found: dict[str, list[BatchLine]] = {}
        for line in self._lines_where(BatchPayment.payment_info_id, ids):
            found.setdefault(line.payment_info_id, []).append(line)
        return found

    def batches_by_message(self, ids: Iterable[str]) -> dict[str, BatchInfo]:
        query = select(Batch).where(Batch.message_id.in_(list(ids)))
        return {row.message_id: _batch(row) for row in self._session.scalars(query)}

    def _lines_where(self, column: Any, values: Iterable[str]) -> list[BatchLine]:
        wanted = list(dict.fromkeys(values))
        result: list[BatchLine] = []
        for start in range(0, len(wanted), 2000):
            query = (
                select(BatchPayment, Payment, OpenItem.invoice_no)
                .join(Payment, Payment.id == BatchPayment.payment_id)
                .join(OpenItem, OpenItem.id == Payment.open_item_id)
                .where(column.in_(wanted[start : start + 2000]))
            )
            result.extend(_line(*row) for row in self._session.execute(query))
        return result

    def payment_states(
        self, payment_ids: Iterable[int], *, lock: bool = False
    ) -> dict[int, tuple[str, int, str | None, int | None]]:
        """payment id -> (status, version, failure kind, batch), locked until commit if asked."""
        wanted = list(dict.fromkeys(payment_ids))
        found: dict[int, tuple[str, int, str | None, int | None]] = {}
        for start in range(0, len(wanted), 2000):
            query = select(
                Payment.id, Payment.status, Payment.version, Payment.failure_kind, Payment.batch_id
            ).where(Payment.id.in_(wanted[start : start + 2000]))
            if lock:
                query = query.with_for_update()
            for row in self._session.execute(query):
                found[row[0]] = (row[1], row[2], row[3], row[4])
        return found

    def set_payments(self, payment_ids: Sequence[int], values: dict[str, Any]) -> None:
        """The same values on many payments at once, bumping each one's version."""
        for start in range(0, len(payment_ids), 2000):
            self._session.execute(
                update(Payment)
                .where(Payment.id.in_(list(payment_ids[start : start + 2000])))
                .values(version=Payment.version + 1, **values)
                .execution_options(synchronize_session=False)
            )

    def restart_signing(self, payment_ids: Sequence[int], now: datetime) -> None:
        """A payment that failed is signed afresh: its standing signatures are voided."""
        ids = list(payment_ids)
        if not ids:
            return
        self._session.execute(
            update(Signature)
            .where(Signature.payment_id.in_(ids), Signature.voided_at.is_(None))
            .values(voided_at=now)
        )
        self._session.execute(
            update(Payment)
            .where(Payment.id.in_(ids))
            .values(signature_round=Payment.signature_round + 1)
            .execution_options(synchronize_session=False)
        )

    def set_lines(self, line_ids: Sequence[int], values: dict[str, Any]) -> None:
        for start in range(0, len(line_ids), 2000):
            self._session.execute(
                update(BatchPayment)
                .where(BatchPayment.id.in_(list(line_ids[start : start + 2000])))
                .values(**values)
            )

    def update_line(self, line_id: int, values: dict[str, Any]) -> None:
        self._session.execute(
            update(BatchPayment).where(BatchPayment.id == line_id).values(**values)
        )

    def processing_since(
        self, company_id: int | None, before: datetime
    ) -> list[tuple[int, int, datetime]]:
        """(payment id, version, sent at) of payments in Processing since before `before`."""
        query = select(Payment.id, Payment.version, Payment.sent_at).where(
            Payment.status == PaymentStatus.PROCESSING.value, Payment.sent_at < before
        )
        if company_id is not None:
            query = query.where(Payment.company_id == company_id)
        return [(row[0], row[1], row[2]) for row in self._session.execute(query) if row[2]]


def _account(row: CompanyBankAccount) -> BankAccountSettings:
    return BankAccountSettings(
        id=row.id,
        company_id=row.company_id,
        account=row.account,
        bic=row.bic,
        outgoing=row.outgoing,
        gateway=row.gateway,
        file_format=row.file_format,
        outbox=row.outbox,
        inbox=row.inbox,
        sftp={
            "host": row.sftp_host,
            "port": row.sftp_port,
            "user": row.sftp_user,
            "key_path": row.sftp_key_path,
            "host_key": row.sftp_host_key,
        },
        sandbox=dict(row.sandbox or {}),
    )


def _batch(row: Batch) -> BatchInfo:
    return BatchInfo(
        id=row.id,
        company_id=row.company_id,
        bank_account_id=row.bank_account_id,
        number=row.number,
        status=row.status,
        message_id=row.message_id,
        file_format=row.file_format,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def _line(line: BatchPayment, payment: Payment, invoice_no: str | None) -> BatchLine:
    return BatchLine(
        id=line.id,
        batch_id=line.batch_id,
        payment_id=line.payment_id,
        end_to_end_id=line.end_to_end_id,
        payment_info_id=line.payment_info_id,
        execution_date=line.execution_date,
        amount=line.amount,
        currency=line.currency,
        status=line.status,
        payee=payment.payee,
        account=payment.account,
        reference_type=ReferenceType(payment.reference_type),
        reference=payment.reference,
        invoice_no=invoice_no,
    )
