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

from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType, payee_details
from paybot.core.sends import SendState
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
from paybot.store.tables import payee_values

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
    bank: str | None
    tax_withholding: bool
    profile: str | None = None


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
    payee_details: PayeeDetails = NO_PAYEE_DETAILS
    urgent: bool = False


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
    upload_attempts: int = 0
    uploading_since: datetime | None = None


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
    payee_details: PayeeDetails = NO_PAYEE_DETAILS
    urgent: bool = False
    uetr: str | None = None


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

    def add_account(self, company_id: int, values: dict[str, Any]) -> int:
        """A new bank account of the company; its id."""
        row = CompanyBankAccount(company_id=company_id, **values)
        self._session.add(row)
        self._session.flush()
        return row.id

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
                payee_details=_payee_details(p),
                urgent=p.urgent,
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

    def prepared_batches(
        self, company_id: int | None = None, *, now: datetime | None = None
    ) -> list[BatchInfo]:
        """Batches to finish: prepared ones (whose retry time has come, at `now`) and ones
        found uploading (interrupted, or being uploaded by another dispatcher right now)."""
        ready = Batch.status == "prepared"
        if now is not None:
            ready = ready & (Batch.next_attempt_at.is_(None) | (Batch.next_attempt_at <= now))
        query = select(Batch).where(ready | (Batch.status == "uploading")).order_by(Batch.id)
        if company_id is not None:
            query = query.where(Batch.company_id == company_id)
        return [_batch(row) for row in self._session.scalars(query)]

    def waiting_batches(self, company_id: int, now: datetime) -> list[tuple[str, datetime]]:
        """(MsgId, next try) of prepared batches waiting to be tried again after `now`."""
        query = (
            select(Batch.message_id, Batch.next_attempt_at)
            .where(
                Batch.company_id == company_id,
                Batch.status == "prepared",
                Batch.next_attempt_at > now,
            )
            .order_by(Batch.id)
        )
        return [(row[0], row[1]) for row in self._session.execute(query) if row[1] is not None]

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

    def mark_uploading(self, batch_id: int, line_ids: Sequence[int], now: datetime) -> str:
        """From here on the bank may have the file. "claimed": this dispatcher uploads it;
        "taken": the batch was no longer prepared (another dispatcher is uploading it);
        "changed": a send was taken out of it since its file was written (write it again).
        The caller holds the company's lock, as does whoever takes a send out."""
        result = self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status == "prepared")
            .values(status="uploading", uploading_since=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return "taken"
        waiting = self._session.scalars(
            select(BatchPayment.id).where(
                BatchPayment.batch_id == batch_id, BatchPayment.status == SendState.PREPARED.value
            )
        )
        return "claimed" if set(waiting) == set(line_ids) else "changed"

    def upload_not_started(self, batch_id: int, *, error: str, retry_at: datetime) -> None:
        """The upload certainly did not happen: prepared again, to retry at `retry_at`."""
        self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status == "uploading")
            .values(
                status="prepared",
                upload_attempts=Batch.upload_attempts + 1,
                next_attempt_at=retry_at,
                upload_error=error,
                uploading_since=None,
            )
        )

    def upload_unknown(self, batch_id: int, *, error: str, now: datetime) -> list[tuple[int, int]]:
        """The upload may have happened: the batch is never uploaded again, its sends are live
        (the bank may have them) and its Due payments go to a person: Failed, no return.
        Returns (payment id, new version) of each payment moved."""
        self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status == "uploading")
            .values(status="unknown", upload_error=error)
        )
        self._mark_lines_sent(batch_id, now)
        return self._move_due(
            batch_id,
            {
                "status": PaymentStatus.FAILED.value,
                "failure_kind": "no_return",
                "failure_reason": error,
                "sent_at": now,
                "updated_at": now,
            },
        )

    def cancel_empty(self, batch_id: int) -> bool:
        """A prepared batch whose every send was taken out is closed; True if it was."""
        live = self._session.scalar(
            select(func.count()).where(
                BatchPayment.batch_id == batch_id, BatchPayment.status == SendState.PREPARED.value
            )
        )
        if live:
            return False
        self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status == "prepared")
            .values(status="cancelled")
        )
        return True

    def mark_sent(self, batch_id: int, file_name: str, sha256: str, now: datetime) -> None:
        self._session.execute(
            update(Batch)
            .where(Batch.id == batch_id)
            .values(
                status="sent",
                file_name=file_name,
                file_sha256=sha256,
                sent_at=now,
                uploading_since=None,
                upload_error=None,
                next_attempt_at=None,
            )
        )
        self._mark_lines_sent(batch_id, now)

    def _mark_lines_sent(self, batch_id: int, now: datetime) -> None:
        """Sends still waiting for the file are at the bank now (an answer read meanwhile has
        moved its send on already, and stays)."""
        self._session.execute(
            update(BatchPayment)
            .where(
                BatchPayment.batch_id == batch_id,
                BatchPayment.status == SendState.PREPARED.value,
            )
            .values(status=SendState.SENT.value, updated_at=now)
        )

    def mark_invalid(self, batch_id: int, error: str) -> None:
        self._session.execute(
            update(Batch).where(Batch.id == batch_id).values(status="invalid", error=error)
        )
        self._session.execute(
            update(BatchPayment)
            .where(
                BatchPayment.batch_id == batch_id,
                BatchPayment.status == SendState.PREPARED.value,
            )
            .values(status=SendState.CANCELLED.value)
        )
        self._session.execute(
            update(Payment)
            .where(Payment.batch_id == batch_id, Payment.status == PaymentStatus.DUE.value)
            .values(batch_id=None, version=Payment.version + 1)
        )

    def fail_unwritable(
        self, batch_id: int, problems: dict[int, str], now: datetime
    ) -> list[tuple[int, int]]:
        """Due payments of the batch no file could carry (payment id -> why, for a person) are
        taken out of it, Failed, their signatures void; returns (payment id, new version)."""
        moved = []
        for payment_id, problem in problems.items():
            version = self._session.scalar(
                update(Payment)
                .where(
                    Payment.id == payment_id,
                    Payment.batch_id == batch_id,
                    Payment.status == PaymentStatus.DUE.value,
                )
                .values(
                    status=PaymentStatus.FAILED.value,
                    failure_kind="unwritable",
                    failure_reason=problem,
                    batch_id=None,
                    version=Payment.version + 1,
                    updated_at=now,
                )
                .returning(Payment.version)
            )
            if version is not None:
                moved.append((payment_id, version))
        self._session.execute(
            update(BatchPayment)
            .where(
                BatchPayment.batch_id == batch_id,
                BatchPayment.payment_id.in_([payment_id for payment_id, _ in moved]),
            )
            .values(status=SendState.CANCELLED.value, updated_at=now)
        )
        self.restart_signing([payment_id for payment_id, _ in moved], now)
        return moved

    def start_processing(self, batch_id: int, now: datetime) -> list[tuple[int, int]]:
        """Due payments of the batch → Processing; returns (payment id, new version) of each.
        An answer the bank gave before this moment is on the send; its status is shown."""
        answered = {
            row[0]: row[1]
            for row in self._session.execute(
                select(BatchPayment.payment_id, BatchPayment.bank_status).where(
                    BatchPayment.batch_id == batch_id, BatchPayment.bank_status.is_not(None)
                )
            )
        }
        moved = self._move_due(
            batch_id,
            {
                "status": PaymentStatus.PROCESSING.value,
                "sent_at": now,
                "updated_at": now,
                "bank_status": None,
            },
        )
        for payment_id, _ in moved:
            if payment_id in answered:
                self._session.execute(
                    update(Payment)
                    .where(Payment.id == payment_id)
                    .values(bank_status=answered[payment_id])
                )
        return moved

    def _move_due(self, batch_id: int, values: dict[str, Any]) -> list[tuple[int, int]]:
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
            .values(version=Payment.version + 1, **values)
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
        bank=row.bank,
        tax_withholding=row.tax_withholding,
        profile=row.profile,
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
        upload_attempts=row.upload_attempts or 0,
        uploading_since=row.uploading_since,
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
        payee_details=_payee_details(payment),
        urgent=payment.urgent,
        uetr=line.uetr,
    )


def _payee_details(payment: Payment) -> PayeeDetails:
    """The payee's details of a payment row (store.tables.PAYEE_DETAILS)."""
    return payee_details(payee_values(payment))
