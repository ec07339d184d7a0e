"""Shared helpers of the adversarial tests: a bank behind folders, payments signed and sent,
and pain.002 / camt.054 files written for the sends paybot made (tests/conftest.py gives the
databases: every test here runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from stdnum import luhn

from paybot.bank.directory import DirectoryGateway
from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import (
    Entry,
    EntryTransaction,
    Notification,
    StatusLevel,
    StatusReport,
)
from paybot.core.bankfiles.pain002 import write_pain002
from paybot.core.company import DispatchTiming
from paybot.core.states import PaymentStatus
from paybot.services import companies, dispatching, payments, returns
from paybot.services.dispatching import DispatchOptions, DispatchResult
from paybot.services.ports import GatewayFactory
from paybot.services.returns import IngestResult
from paybot.store.uow import UnitOfWork
from tests.builders import (
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    OSLO,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

# Sent at 11:00 in Oslo on a Monday, after the undo window of every signature made at NOW.
SENT = NOW + timedelta(hours=1)
_kids = count(5000)


def a_kid() -> str:
    body = f"{next(_kids):09d}"
    return body + luhn.calc_check_digit(body)


class Folders:
    """A bank behind folders in `root` that answers only what a test writes for it."""

    def __init__(self, root: Path) -> None:
        self.outbox, self.inbox = root / "outbox", root / "inbox"
        self.options = DispatchOptions(files_dir=root / "sent", zone=OSLO)

    def gateways(self) -> GatewayFactory:
        return lambda account: DirectoryGateway(self.outbox, self.inbox)

    def dispatch(self, uow: UnitOfWork, now: datetime = SENT) -> DispatchResult:
        return dispatching.dispatch(uow, self.gateways(), now=now, options=self.options)


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    """Acme AS, sending at once after signing; its signer's authenticator."""
    signer = a_company(uow)
    assert signer is not None
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    return signer


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path)


def signed(uow: UnitOfWork, phone: Authenticator, *amounts: Decimal) -> list[int]:
    """One proposal per amount (one supplier, its registered account), signed with one code."""
    items = [an_item(amount=amount, reference=a_kid()) for amount in amounts]
    found = ledger_with(uow, items, [a_supplier()])
    ids = [int(found[item.voucher_no].id) for item in items]
    sign_with(uow, phone, ids)
    return ids


def rows(engine: Engine, query: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(query), params)]


def sends_of(engine: Engine, payment_id: int) -> list[dict[str, Any]]:
    """The payment's sends (batch_payments rows with their batch's MsgId), oldest first."""
    return rows(
        engine,
        "SELECT bp.*, b.message_id FROM batch_payments bp JOIN batches b ON b.id = bp.batch_id "
        "WHERE bp.payment_id = :pid ORDER BY bp.id",
        pid=payment_id,
    )


def status_of(uow: UnitOfWork, payment_ids: Iterable[int]) -> list[PaymentStatus]:
    return [payments.show(uow, payment_id=pid).payment.status for pid in payment_ids]


def pain002(message_id: str, reports: list[StatusReport]) -> bytes:
    out = io.BytesIO()
    write_pain002(out, reports, message_id=message_id, created_at=SENT + timedelta(hours=1))
    return out.getvalue()


def group(send: dict[str, Any], status: str, *reasons: str) -> StatusReport:
    return StatusReport(StatusLevel.GROUP, send["message_id"], status, reason_codes=reasons)


def block(send: dict[str, Any], status: str, *reasons: str) -> StatusReport:
    return StatusReport(
        StatusLevel.PAYMENT_INFO,
        send["message_id"],
        status,
        original_payment_info_id=send["payment_info_id"],
        reason_codes=reasons,
    )


def transaction(send: dict[str, Any], status: str, *reasons: str) -> StatusReport:
    return StatusReport(
        StatusLevel.TRANSACTION,
        send["message_id"],
        status,
        original_payment_info_id=send["payment_info_id"],
        original_end_to_end_id=send["end_to_end_id"],
        reason_codes=reasons,
    )


def camt054(message_id: str, entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    notice = Notification(message_id, SENT + timedelta(days=1), "camt.054.001.02")
    write_camt054(out, notice, entries)
    return out.getvalue()


def entry(
    amount: Decimal,
    *,
    end_to_end: str | None = None,
    block_id: str | None = None,
    returned: str | None = None,
    account: str = COMPANY_ACCOUNT,
) -> Entry:
    """A debit booked on `account` (one send by EndToEndId, or a whole block by PmtInfId); with
    `returned` (a reason code), the credit of a return of that send."""
    return Entry(
        account=account,
        amount=amount,
        currency="NOK",
        direction="CRDT" if returned else "DBIT",
        status="BOOK",
        booking_date=date(2026, 12, 1),
        value_date=date(2026, 12, 1),
        bank_reference=f"REF-{end_to_end or block_id}"[:35],
        batch_payment_info_id=block_id,
        transactions=(
            (
                EntryTransaction(
                    end_to_end_id=end_to_end,
                    amount=amount,
                    currency="NOK",
                    return_reason=returned,
                ),
            )
            if end_to_end
            else ()
        ),
    )


def ingest(
    uow: UnitOfWork, name: str, data: bytes, now: datetime = SENT + timedelta(hours=2)
) -> IngestResult:
    return returns.ingest(uow, name=name, data=data, now=now)
