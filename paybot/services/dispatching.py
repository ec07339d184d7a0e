"""Sending Due payments to the bank: one batch (bunt) and one pain.001 file per dispatch.

The steps are arranged so that a crash between any two of them neither loses a payment nor
sends one twice: payments are first claimed by a batch (committed), the file is written and
checked, uploaded under a name derived from the batch, and only then are the payments moved to
Processing. A batch left "prepared" is finished at the next dispatch: the same bytes under the
same name and message id, which the bank recognises as the same file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Pain001Version,
    Party,
    PaymentBlock,
    PaymentOrder,
)
from paybot.core.bankfiles.pain001 import write_pain001
from paybot.core.bankfiles.schemas import validate_file
from paybot.core.banking_days import execution_date, ready_to_send
from paybot.core.company import CompanyInfo
from paybot.core.errors import PaybotError
from paybot.core.identifiers import bic_for_iban, is_iban_like
from paybot.core.policy import Actor
from paybot.core.states import PaymentStatus
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.services.ports import GatewayFactory
from paybot.store.banking import BankAccountSettings, BatchInfo, BatchLine, DuePayment
from paybot.store.uow import UnitOfWork

BUSINESS_ZONE = ZoneInfo("Europe/Oslo")


class NoOutgoingAccount(PaybotError):
    code = "no_outgoing_account"


@dataclass(frozen=True)
class DispatchOptions:
    files_dir: Path
    undo_window: timedelta = timedelta(seconds=60)
    schema_folder: Path | None = None
    zone: ZoneInfo = BUSINESS_ZONE
    # Called with the name of each step; the crash tests kill the process there.
    checkpoint: Callable[[str], None] = field(default=lambda step: None)


@dataclass(frozen=True)
class SentBatch:
    company: str
    number: int
    message_id: str
    file_name: str
    payments: int
    totals: dict[str, Decimal]


@dataclass(frozen=True)
class DispatchResult:
    sent: list[SentBatch]
    refused: list[tuple[str, str]]  # (message id, why the file was not sent)


def dispatch(
    uow: UnitOfWork,
    gateways: GatewayFactory,
    *,
    company_org_no: str | None = None,
    now: datetime,
    options: DispatchOptions,
    actor: Actor = SYSTEM,
) -> DispatchResult:
    """Sends every Due payment whose time has come; first finishes any half-done batch."""
    with uow:
        if company_org_no is None:
            companies = uow.companies.all()
        else:
            companies = [company_or_error(uow, company_org_no)]
    sent: list[SentBatch] = []
    refused: list[tuple[str, str]] = []
    for company in companies:
        batches = _prepared(uow, company)
        new = _prepare(uow, company, now, options, actor)
        if new is not None:
            batches.append(new)
        for batch in batches:
            outcome = _finish(uow, gateways, company, batch, now, options, actor)
            if isinstance(outcome, SentBatch):
                sent.append(outcome)
            elif outcome is not None:
                refused.append(outcome)
    return DispatchResult(sent=sent, refused=refused)


def _prepared(uow: UnitOfWork, company: CompanyInfo) -> list[BatchInfo]:
    with uow:
        return list(uow.bank.prepared_batches(company.id))


def _outgoing_account(
    accounts: Sequence[BankAccountSettings], company: CompanyInfo
) -> BankAccountSettings:
    for account in accounts:
        if account.outgoing:
            return account
    raise NoOutgoingAccount(
        f"{company.name} has no bank account with an agreement for outgoing payments; "
        "nothing can be sent."
    )


def _prepare(
    uow: UnitOfWork, company: CompanyInfo, now: datetime, options: DispatchOptions, actor: Actor
) -> BatchInfo | None:
    """Claims the payments that are ready into a new batch (committed before any file exists)."""
    today = now.astimezone(options.zone).date()
    with uow:
        uow.bank.lock_company(company.id)
        ready = [
            payment
            for payment in uow.bank.due_payments(company.id)
            if payment.signed_at is not None
            and ready_to_send(
                due=payment.due_date,
                timing=company.dispatch_timing,
                signed_at=payment.signed_at,
                now=now,
                today=today,
                undo_window=options.undo_window,
            )
        ]
        if not ready:
            return None
        account = _outgoing_account(uow.bank.accounts(company.id), company)
        batch = uow.bank.new_batch(
            company_id=company.id,
            bank_account_id=account.id,
            file_format=account.file_format,
            now=now,
        )
        claimed = [p for p in ready if uow.bank.claim(p.id, p.version, batch.id)]
        if not claimed:
            return None  # another dispatcher was first; the transaction is rolled back
        uow.bank.add_lines(_lines(uow, batch, claimed, today, now))
        audit(
            uow,
            actor=actor,
            action="batch.prepare",
            now=now,
            company_id=company.id,
            details={
                "batch": batch.number,
                "message_id": batch.message_id,
                "payments": [p.id for p in claimed],
            },
        )
        uow.commit()
    options.checkpoint("prepared")
    return batch


def _lines(
    uow: UnitOfWork, batch: BatchInfo, payments: Sequence[DuePayment], today: date, now: datetime
) -> list[dict[str, object]]:
    sends = uow.bank.sends_of(p.id for p in payments)
    blocks: dict[date, str] = {}
    rows = []
    for payment in payments:
        day = execution_date(payment.due_date, today)
        block = blocks.setdefault(day, f"{batch.message_id}-{len(blocks) + 1}")
        rows.append(
            {
                "batch_id": batch.id,
                "payment_id": payment.id,
                # Unique for ever: a payment sent again after failing gets the next number.
                "end_to_end_id": f"PAYBOT-P{payment.id}-{sends.get(payment.id, 0) + 1}",
                "payment_info_id": block,
                "execution_date": day,
                "amount": payment.amount,
                "currency": payment.currency,
                "status": "prepared",
                "updated_at": now,
            }
        )
    return rows


def _finish(
    uow: UnitOfWork,
    gateways: GatewayFactory,
    company: CompanyInfo,
    batch: BatchInfo,
    now: datetime,
    options: DispatchOptions,
    actor: Actor,
) -> SentBatch | tuple[str, str] | None:
    """Writes, checks and uploads the batch's file, then marks it sent; None if another
    dispatcher is sending it."""
    with uow:
        lines = uow.bank.lines(batch.id)
        account = uow.bank.account(batch.bank_account_id)
    gateway = gateways(account)
    try:
        path = _write(company, account, batch, lines, options)
    except BankFileRejected as exc:
        _refuse(uow, company, batch, exc.user_message, now, actor)
        return batch.message_id, exc.user_message
    options.checkpoint("written")
    # A batch found "uploading" was being uploaded when paybot stopped: the bank may have the
    # file, so it is never sent again. Should the upload not have happened after all, the
    # payments get no answer and the missing-return check puts them before a person.
    if batch.status != "uploading":
        try:
            validate_file(path, batch.file_format, options.schema_folder)
        except BankFileRejected as exc:
            _refuse(uow, company, batch, exc.user_message, now, actor)
            return batch.message_id, exc.user_message
        with uow:
            claimed = uow.bank.mark_uploading(batch.id)
            uow.commit()
        if not claimed:
            return None  # another dispatcher found the batch prepared too, and sends it
        options.checkpoint("uploading")
        gateway.upload(path.name, path)
        options.checkpoint("uploaded")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with uow:
        uow.bank.mark_sent(batch.id, path.name, digest, now)
        moved = uow.bank.start_processing(batch.id, now)
        uow.audit.add_many(
            [
                {
                    "at": now,
                    "company_id": company.id,
                    "payment_id": payment_id,
                    "actor_id": actor.user_id,
                    "actor_label": actor.label,
                    "action": "payment.send",
                    "before": {"status": PaymentStatus.DUE.value, "version": version - 1},
                    "after": {"status": PaymentStatus.PROCESSING.value, "version": version},
                    "details": {"batch": batch.number, "message_id": batch.message_id},
                }
                for payment_id, version in moved
            ]
        )
        audit(
            uow,
            actor=actor,
            action="batch.sent",
            now=now,
            company_id=company.id,
            details={
                "batch": batch.number,
                "file": path.name,
                "sha256": digest,
                "payments": len(lines),
            },
        )
        uow.commit()
    options.checkpoint("recorded")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.currency] += line.amount
    return SentBatch(
        company.org_no, batch.number, batch.message_id, path.name, len(lines), dict(totals)
    )


def _refuse(
    uow: UnitOfWork, company: CompanyInfo, batch: BatchInfo, error: str, now: datetime, actor: Actor
) -> None:
    """An invalid file never leaves: the batch is closed and its payments stay Due, unclaimed."""
    with uow:
        uow.bank.mark_invalid(batch.id, error)
        audit(
            uow,
            actor=actor,
            action="batch.invalid",
            now=now,
            company_id=company.id,
            details={"batch": batch.number, "message_id": batch.message_id, "error": error},
        )
        uow.commit()


def _write(
    company: CompanyInfo,
    account: BankAccountSettings,
    batch: BatchInfo,
    lines: Sequence[BatchLine],
    options: DispatchOptions,
) -> Path:
    """Writes the batch's file (the same bytes every time) under a temporary name, then renames."""
    folder = options.files_dir / company.org_no
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{batch.message_id}.xml"
    # Two dispatchers may write the same batch at once (the bytes are the same): each its own
    # temporary file, so neither renames the other's away.
    temporary = path.with_suffix(f".xml.{os.getpid()}-{threading.get_ident()}.part")
    try:
        with temporary.open("wb") as out:
            write_pain001(
                _order(company, account, batch, lines), out, Pain001Version(batch.file_format)
            )
            out.flush()
            os.fsync(out.fileno())
    except BankFileRejected:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
    return path


def _order(
    company: CompanyInfo, account: BankAccountSettings, batch: BatchInfo, lines: Sequence[BatchLine]
) -> PaymentOrder:
    blocks: dict[str, list[BatchLine]] = defaultdict(list)
    for line in lines:
        blocks[line.payment_info_id].append(line)
    return PaymentOrder(
        message_id=batch.message_id,
        created_at=batch.created_at,
        initiator=Party(company.name, company.org_no),
        debtor=Party(company.name, company.org_no),
        blocks=[
            PaymentBlock(
                payment_info_id=block_id,
                debtor_account=account.account,
                debtor_bic=account.bic,
                execution_date=block_lines[0].execution_date,
                transfers=[_transfer(line) for line in block_lines],
            )
            for block_id, block_lines in blocks.items()
        ],
    )


def _transfer(line: BatchLine) -> CreditTransfer:
    return CreditTransfer(
        end_to_end_id=line.end_to_end_id,
        instruction_id=line.end_to_end_id,
        amount=line.amount,
        currency=line.currency,
        creditor=Party(line.payee),
        creditor_account=line.account or "",
        creditor_bic=bic_for_iban(line.account) if is_iban_like(line.account or "") else None,
        reference_type=line.reference_type,
        reference=line.reference or line.invoice_no or "",
    )
