"""Paid payments made quickly for posting tests: proposals from the ledger (the real import), then
sent in a batch and booked by the bank, written straight to the store as the bank's answers
would leave them (a send per payment, booked; the payment Paid in that batch).

The full way there (sign, dispatch, the sandbox bank's answers) is taken by the end-to-end tests;
this one lets a property test make hundreds of paid payments in a second."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from paybot.core.states import PaymentStatus
from paybot.store.models import Batch, BatchPayment, Company, CompanyBankAccount, Payment

_messages = count(1)


def pay(
    engine: Engine,
    payment_ids: Sequence[int],
    *,
    paid_at: datetime,
    batch: int | None = None,
    booked: Mapping[int, tuple[Decimal, str]] | None = None,
    bank_account: str | None = None,
) -> int:
    """Sends the payments in one new batch (number `batch`, else the company's next) from the
    company's bank account (`bank_account`, else its first) and books them, as paid at
    `paid_at`; `booked`: what the bank booked for some (amount, currency), else their own.
    Returns the batch number."""
    booked = booked or {}
    with engine.begin() as connection:
        rows = connection.execute(
            select(Payment.id, Payment.company_id, Payment.amount, Payment.currency).where(
                Payment.id.in_(list(payment_ids))
            )
        ).all()
        company_id = rows[0].company_id
        accounts = select(CompanyBankAccount.id).where(CompanyBankAccount.company_id == company_id)
        if bank_account is not None:
            accounts = accounts.where(CompanyBankAccount.account == bank_account)
        account_id = connection.execute(accounts.order_by(CompanyBankAccount.id)).scalar_one()
        if batch is None:
            last = select(func.max(Batch.number)).where(Batch.company_id == company_id)
            batch = int(connection.execute(last).scalar() or 0) + 1
        message = f"PAYBOT-TEST-{next(_messages)}-{batch}"
        batch_id = connection.execute(
            insert(Batch)
            .values(
                company_id=company_id,
                bank_account_id=account_id,
                number=batch,
                status="sent",
                message_id=message,
                file_format="pain.001.001.03",
                created_at=paid_at,
                sent_at=paid_at,
                upload_attempts=0,
            )
            .returning(Batch.id)
        ).scalar_one()
        sends: list[dict[str, Any]] = []
        for row in rows:
            amount, currency = booked.get(row.id, (row.amount, row.currency))
            sends.append(
                {
                    "batch_id": batch_id,
                    "payment_id": row.id,
                    "end_to_end_id": f"{message}-P{row.id}",
                    "payment_info_id": f"{message}-B1",
                    "execution_date": paid_at.date(),
                    "amount": row.amount,
                    "currency": row.currency,
                    "status": "booked",
                    "updated_at": paid_at,
                    "booked_amount": amount,
                    "booked_currency": currency,
                }
            )
        connection.execute(insert(BatchPayment), sends)
        connection.execute(
            update(Payment)
            .where(Payment.id.in_(list(payment_ids)))
            .values(
                status=PaymentStatus.PAID.value,
                batch_id=batch_id,
                sent_at=paid_at,
                paid_at=paid_at,
                updated_at=paid_at,
                version=Payment.version + 1,
            )
        )
    return batch


def company_id(engine: Engine, org_no: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(Company.id).where(Company.org_no == org_no)).scalar_one()
        )
