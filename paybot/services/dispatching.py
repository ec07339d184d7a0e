"""Sending Due payments to the bank: one batch (bunt) and one pain.001 file per dispatch.

The steps are arranged so that a crash between any two of them neither loses a payment nor
sends one twice: payments are first claimed by a batch (committed), the file is written and
checked, the batch is marked "uploading" (committed), the file is uploaded under a name derived
from the batch, and only then are the payments moved to Processing. A batch left "prepared" is
finished at the next dispatch: the same bytes under the same name and message id.

An upload that certainly did not happen (`UploadNotStarted`: refused connection, failed login,
nothing written under the file's name) puts the batch back, to be tried again with backoff and
an alarm after repeated failures. An upload whose outcome is unknown (any other error, or a
batch found "uploading" long after its upload began: paybot stopped meanwhile) is never sent
again: its payments go to a person at once (Failed, no return: check the netbank).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from paybot.core import alarms as alarm_texts
from paybot.core.bank_profiles import BankProfile, account_profile, held_by
from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Pain001Version,
    Party,
    PaymentBlock,
    PaymentOrder,
    PostalAddress,
    RegulatoryReport,
)
from paybot.core.bankfiles.pain001 import write_pain001
from paybot.core.bankfiles.schemas import validate_file
from paybot.core.banking_days import execution_date, ready_to_send
from paybot.core.company import CompanyInfo
from paybot.core.errors import PaybotError
from paybot.core.identifiers import bic_for_iban, is_iban_like
from paybot.core.payment_types import PaymentType, is_abroad, payment_type
from paybot.core.payments import PayeeDetails
from paybot.core.policy import Actor
from paybot.core.sends import AlarmKind, SendState
from paybot.core.states import PaymentStatus
from paybot.services import answers
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.services.ports import BankGateway, GatewayFactory, UploadNotStarted
from paybot.store.banking import BankAccountSettings, BatchInfo, BatchLine, DuePayment
from paybot.store.uow import UnitOfWork

# A batch still "uploading" this long after its upload began was interrupted (no upload takes
# this long: SFTP gives up after 10 s to connect and 60 s per operation).
UPLOAD_TIMEOUT = timedelta(minutes=5)
# Waits before the next try of an upload that did not happen: 1, 2, 4, ... minutes, at most 1 h.
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
# From this many failed attempts on, the alerts channel hears of it.
ALARM_AFTER_ATTEMPTS = 3


class NoOutgoingAccount(PaybotError):
    code = "no_outgoing_account"


@dataclass(frozen=True)
class DispatchOptions:
    files_dir: Path
    # The business time zone: the day a batch is due, the times its alarms name.
    zone: ZoneInfo
    undo_window: timedelta = timedelta(seconds=60)
    schema_folder: Path | None = None
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
    # The payments the batch moved to Processing (their cards say so).
    payment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DispatchResult:
    sent: list[SentBatch]
    refused: list[tuple[str, str]]  # (message id, why the file was not sent)
    # (message id, why, when it is tried again): the upload certainly did not happen.
    retrying: list[tuple[str, str, datetime]] = field(default_factory=list)
    # (message id, why): the upload broke off; the bank may have the file. A person checks.
    unknown: list[tuple[str, str]] = field(default_factory=list)
    # (message id, when): batches whose upload failed, waiting for their next try.
    waiting: list[tuple[str, datetime]] = field(default_factory=list)


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
    result = DispatchResult(sent=[], refused=[])
    for company in companies:
        batches = _prepared(uow, company, now)
        try:
            new = _prepare(uow, company, now, options, actor)
        except NoOutgoingAccount as error:
            # Said, and the other companies' payments go on.
            _no_outgoing_account(uow, company, error, now, options, actor)
            result.refused.append(("", error.user_message))
            new = None
        if new is not None:
            batches.append(new)
        taken_out = False
        for batch in batches:
            taken_out |= _finish(uow, gateways, company, batch, now, options, actor, result)
        if taken_out:  # the payments a refused file held besides the bad ones go now
            again = _prepare(uow, company, now, options, actor)
            if again is not None:
                _finish(uow, gateways, company, again, now, options, actor, result)
        with uow:
            result.waiting.extend(uow.bank.waiting_batches(company.id, now))
    return result


def _prepared(uow: UnitOfWork, company: CompanyInfo, now: datetime) -> list[BatchInfo]:
    with uow:
        return list(uow.bank.prepared_batches(company.id, now=now))


def _no_outgoing_account(
    uow: UnitOfWork,
    company: CompanyInfo,
    error: NoOutgoingAccount,
    now: datetime,
    options: DispatchOptions,
    actor: Actor,
) -> None:
    """Signed payments are ready and no account of the company may send them: an alarm, once a
    day while it lasts (the payments stay Due, and go once an account may send)."""
    applied = answers.Applied()
    today = now.astimezone(options.zone).date()
    with uow:
        answers.raise_alarm(
            uow,
            applied,
            key=f"no_outgoing_account:{company.id}:{today.isoformat()}",
            company_id=company.id,
            kind=AlarmKind.FILE_REFUSED,
            message=alarm_texts.no_outgoing_account(error.user_message),
            details={"error": error.user_message},
            now=now,
            actor=actor,
        )
        uow.commit()
    answers.log_alarms(applied.alarms)


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
    blocks: dict[tuple[object, ...], str] = {}
    rows = []
    for payment in payments:
        day = execution_date(payment.due_date, today)
        key = (day, *_block_kind(payment.account, payment.currency, payment))
        block = blocks.setdefault(key, f"{batch.message_id}-{len(blocks) + 1}")
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
                # Made once with the send, so the file written again after a crash is the same.
                "uetr": str(uuid.uuid4()),
            }
        )
    return rows


class _Routed(Protocol):
    @property
    def payee_details(self) -> PayeeDetails: ...
    @property
    def urgent(self) -> bool: ...


def _block_kind(
    account: str | None, currency: str, payment: _Routed
) -> tuple[PaymentType, str | None, bool]:
    """What a PmtInf holds one of: the payment type, the charge bearer a person chose (only
    cross-border payments have a choice) and whether it is urgent (cross-border only)."""
    kind = payment_type(account, currency, payment.payee_details.country)
    if kind is not PaymentType.CROSS_BORDER:
        return kind, None, False
    return kind, payment.payee_details.charge_bearer, payment.urgent


def _finish(
    uow: UnitOfWork,
    gateways: GatewayFactory,
    company: CompanyInfo,
    batch: BatchInfo,
    now: datetime,
    options: DispatchOptions,
    actor: Actor,
    result: DispatchResult,
) -> bool:
    """Writes, checks and uploads the batch's file, then marks it sent; does nothing if another
    dispatcher is sending it. True when a refused file's bad payments were taken out of it (its
    others are Due again, to go in a new batch)."""
    if batch.status == "uploading":
        # Found uploading: paybot stopped during the upload, or another dispatcher is at it.
        if batch.uploading_since is not None and now - batch.uploading_since < UPLOAD_TIMEOUT:
            return False
        path = options.files_dir / company.org_no / f"{batch.message_id}.xml"
        if _bank_has_it(uow, batch) and path.is_file():
            lines = _in_file(uow, batch)
            result.sent.append(_record(uow, company, batch, lines, path, now, actor))
            return False
        why = "paybot stopped while the file was being uploaded"
        _unknown(uow, company, batch, why, now, actor)
        result.unknown.append((batch.message_id, why))
        return False
    for _ in range(3):  # a send taken out meanwhile: the file is written again without it
        with uow:
            lines = [line for line in uow.bank.lines(batch.id) if line.status == SendState.PREPARED]
            account = uow.bank.account(batch.bank_account_id)
            if not lines:
                uow.bank.cancel_empty(batch.id)
                uow.commit()
                return False
        try:
            path = _write(company, account, batch, lines, options)
            options.checkpoint("written")
            validate_file(path, batch.file_format, options.schema_folder)
        except BankFileRejected as exc:
            culprits = _unwritable(company, account, batch, lines)
            today = now.astimezone(options.zone).date()
            _refuse(uow, company, batch, exc.user_message, now, today, actor, culprits, len(lines))
            result.refused.append((batch.message_id, exc.user_message))
            return bool(culprits) and len(culprits) < len(lines)
        with uow:
            uow.bank.lock_company(company.id)  # as whoever takes a send out of a batch
            claim = uow.bank.mark_uploading(batch.id, [line.id for line in lines], now)
            if claim == "claimed":
                uow.commit()
        if claim != "changed":
            break
    if claim != "claimed":
        return False  # another dispatcher found the batch prepared too, and sends it
    options.checkpoint("uploading")
    if not _upload(uow, gateways(account), company, batch, path, now, actor, result, options.zone):
        return False
    options.checkpoint("uploaded")
    result.sent.append(_record(uow, company, batch, lines, path, now, actor))
    options.checkpoint("recorded")
    return False


def _upload(
    uow: UnitOfWork,
    gateway: BankGateway,
    company: CompanyInfo,
    batch: BatchInfo,
    path: Path,
    now: datetime,
    actor: Actor,
    result: DispatchResult,
    zone: ZoneInfo,
) -> bool:
    """True if the file reached the bank; otherwise the batch is retried, or handed to a person."""
    try:
        gateway.upload(path.name, path)
    except UploadNotStarted as exc:
        retry_at = _retry(uow, company, batch, exc.user_message, now, actor, zone)
        result.retrying.append((batch.message_id, exc.user_message, retry_at))
        return False
    except Exception as exc:  # noqa: BLE001 - any other failure may have come after the bank took it
        if _bank_has_it(uow, batch):
            return True
        why = exc.user_message if isinstance(exc, PaybotError) else f"{type(exc).__name__}: {exc}"
        _unknown(uow, company, batch, why.rstrip("."), now, actor)
        result.unknown.append((batch.message_id, why))
        return False
    return True


def _bank_has_it(uow: UnitOfWork, batch: BatchInfo) -> bool:
    """The bank has answered about a send of the batch: its file reached the bank."""
    return any(line.status != SendState.PREPARED for line in _in_file(uow, batch))


def _in_file(uow: UnitOfWork, batch: BatchInfo) -> list[BatchLine]:
    """The sends the batch's file holds (none taken out before its upload began)."""
    with uow:
        return [line for line in uow.bank.lines(batch.id) if line.status != SendState.CANCELLED]


def _record(
    uow: UnitOfWork,
    company: CompanyInfo,
    batch: BatchInfo,
    lines: Sequence[BatchLine],
    path: Path,
    now: datetime,
    actor: Actor,
) -> SentBatch:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with uow:
        uow.bank.lock_company(company.id)
        uow.bank.mark_sent(batch.id, path.name, digest, now)
        moved = uow.bank.start_processing(batch.id, now)
        uow.audit.add_many(
            [
                _moved(company, payment_id, version, PaymentStatus.PROCESSING, batch, now, actor)
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
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.currency] += line.amount
    return SentBatch(
        company.org_no,
        batch.number,
        batch.message_id,
        path.name,
        len(lines),
        dict(totals),
        tuple(payment_id for payment_id, _ in moved),
    )


def _moved(
    company: CompanyInfo,
    payment_id: int,
    version: int,
    status: PaymentStatus,
    batch: BatchInfo,
    now: datetime,
    actor: Actor,
    details: dict[str, object] | None = None,
    *,
    action: str | None = None,
) -> dict[str, object]:
    if action is None:
        action = "payment.send" if status is PaymentStatus.PROCESSING else "payment.no_return"
    return {
        "at": now,
        "company_id": company.id,
        "payment_id": payment_id,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "before": {"status": PaymentStatus.DUE.value, "version": version - 1},
        "after": {"status": status.value, "version": version},
        "details": {"batch": batch.number, "message_id": batch.message_id, **(details or {})},
    }


def _retry(
    uow: UnitOfWork,
    company: CompanyInfo,
    batch: BatchInfo,
    error: str,
    now: datetime,
    actor: Actor,
    zone: ZoneInfo,
) -> datetime:
    """Back to prepared, tried again later; from the third failure on, an alarm (once)."""
    applied = answers.Applied()
    with uow:
        uow.bank.lock_company(company.id)
        # This dispatcher claimed the batch for upload: nobody else counts its attempts now.
        attempts = batch.upload_attempts + 1
        wait: timedelta = min(FIRST_RETRY * (1 << min(attempts - 1, 10)), LAST_RETRY)
        retry_at = now + wait
        uow.bank.upload_not_started(batch.id, error=error, retry_at=retry_at)
        audit(
            uow,
            actor=actor,
            action="batch.upload_failed",
            now=now,
            company_id=company.id,
            details={
                "batch": batch.number,
                "message_id": batch.message_id,
                "attempts": attempts,
                "error": error,
                "retry_at": retry_at.isoformat(),
            },
        )
        if attempts >= ALARM_AFTER_ATTEMPTS:
            answers.raise_alarm(
                uow,
                applied,
                key=f"upload_failing:{batch.id}",
                company_id=company.id,
                kind=AlarmKind.UPLOAD_FAILING,
                message=alarm_texts.upload_failing(
                    batch.number, batch.message_id, attempts, error, retry_at.astimezone(zone)
                ),
                details={"batch": batch.number, "attempts": attempts, "error": error},
                now=now,
                batch_id=batch.id,
                actor=actor,
            )
        uow.commit()
    answers.log_alarms(applied.alarms)
    return retry_at


def _unknown(
    uow: UnitOfWork,
    company: CompanyInfo,
    batch: BatchInfo,
    why: str,
    now: datetime,
    actor: Actor,
) -> None:
    """The bank may have the file: never upload it again; its payments go to a person."""
    applied = answers.Applied()
    with uow:
        uow.bank.lock_company(company.id)
        reason = (
            f"The upload of batch {batch.number} broke off: the bank may or may not have it. "
            "Check the netbank before paying again."
        )
        moved = uow.bank.upload_unknown(batch.id, error=reason, now=now)
        uow.audit.add_many(
            [
                _moved(company, pid, version, PaymentStatus.FAILED, batch, now, actor, {"why": why})
                for pid, version in moved
            ]
        )
        answers.raise_alarm(
            uow,
            applied,
            key=f"upload_unknown:{batch.id}",
            company_id=company.id,
            kind=AlarmKind.UPLOAD_UNKNOWN,
            message=alarm_texts.upload_unknown(batch.number, batch.message_id, len(moved), why),
            details={"batch": batch.number, "payments": [pid for pid, _ in moved], "why": why},
            now=now,
            batch_id=batch.id,
            actor=actor,
        )
        uow.commit()
    answers.log_alarms(applied.alarms)


def _unwritable(
    company: CompanyInfo, account: BankAccountSettings, batch: BatchInfo, lines: Sequence[BatchLine]
) -> dict[int, str]:
    """The payments of a refused file that no file could carry, each written alone: payment
    id -> why. Only a problem of the payment itself counts (the writer names its EndToEndId);
    one of the company's settings refuses every file, and fails no payment. (Only when a file is
    refused: a good run writes each payment once.)"""
    profile, version = bank_profile(account), Pain001Version(batch.file_format)
    problems = {}
    for line in lines:
        try:
            write_pain001(_order(company, account, batch, [line]), io.BytesIO(), version, profile)
        except BankFileRejected as exc:
            if exc.end_to_end_id == line.end_to_end_id:
                problems[line.payment_id] = exc.problem
    return problems


def _refuse(
    uow: UnitOfWork,
    company: CompanyInfo,
    batch: BatchInfo,
    error: str,
    now: datetime,
    today: date,
    actor: Actor,
    culprits: dict[int, str],
    payments: int,
) -> None:
    """An invalid file never leaves: the batch is closed. Its payments that no file could carry
    are Failed, each with an alarm, for a person to fix; the others stay Due, unclaimed. A file
    refused for none of its payments (the company's own settings) sends nothing until a person
    fixes them: that is an alarm too, once a day while it lasts, as the file is tried each run."""
    applied = answers.Applied()
    with uow:
        uow.bank.lock_company(company.id)
        if not culprits:
            # Each run's file has its own message id, which the error names: one key for it.
            same = error.replace(batch.message_id, "*")
            digest = hashlib.sha256(same.encode()).hexdigest()[:16]
            answers.raise_alarm(
                uow,
                applied,
                key=f"file_refused:{company.id}:{today.isoformat()}:{digest}",
                company_id=company.id,
                kind=AlarmKind.FILE_REFUSED,
                message=alarm_texts.file_refused(batch.number, payments, error),
                details={"batch": batch.number, "error": error, "waiting": payments},
                now=now,
                batch_id=batch.id,
                actor=actor,
            )
        moved = uow.bank.fail_unwritable(batch.id, culprits, now)
        for payment_id, version in moved:
            why = culprits[payment_id]
            uow.audit.add_many(
                [
                    _moved(
                        company,
                        payment_id,
                        version,
                        PaymentStatus.FAILED,
                        batch,
                        now,
                        actor,
                        {"why": why},
                        action="payment.unwritable",
                    )
                ]
            )
            answers.raise_alarm(
                uow,
                applied,
                key=f"unwritable:{batch.id}:{payment_id}",
                company_id=company.id,
                kind=AlarmKind.UNWRITABLE,
                message=alarm_texts.unwritable(payment_id, batch.number, why),
                details={"batch": batch.number, "error": why},
                now=now,
                payment_id=payment_id,
                actor=actor,
            )
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
    answers.log_alarms(applied.alarms)


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
                _order(company, account, batch, lines),
                out,
                Pain001Version(batch.file_format),
                bank_profile(account),
            )
            out.flush()
            os.fsync(out.fileno())
    except BankFileRejected:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
    return path


def bank_profile(account: BankAccountSettings) -> BankProfile:
    """Whose pain.001 guide the account's files follow (core.bank_profiles.account_profile)."""
    profile, _ = account_profile(
        account.profile, bank=account.bank, bic=account.bic, account=account.account
    )
    return profile


def _order(
    company: CompanyInfo, account: BankAccountSettings, batch: BatchInfo, lines: Sequence[BatchLine]
) -> PaymentOrder:
    blocks: dict[str, list[BatchLine]] = defaultdict(list)
    for line in lines:
        blocks[line.payment_info_id].append(line)
    agent_bic = held_by(account.account, account.bic)
    return PaymentOrder(
        message_id=batch.message_id,
        created_at=batch.created_at,
        initiator=Party(company.name, company.org_no),
        debtor=Party(company.name, company.org_no),
        blocks=[
            _block(block_id, block_lines, account, agent_bic)
            for block_id, block_lines in blocks.items()
        ],
    )


def _block(
    block_id: str, lines: Sequence[BatchLine], account: BankAccountSettings, agent_bic: str | None
) -> PaymentBlock:
    first = lines[0]
    _, charge_bearer, urgent = _block_kind(first.account, first.currency, first)
    return PaymentBlock(
        payment_info_id=block_id,
        debtor_account=account.account,
        debtor_bic=agent_bic,
        execution_date=first.execution_date,
        transfers=[_transfer(line) for line in lines],
        charge_bearer=charge_bearer,
        urgent=urgent,
    )


def _transfer(line: BatchLine) -> CreditTransfer:
    details = line.payee_details
    domestic = payment_type(line.account, line.currency, details.country) is PaymentType.DOMESTIC
    bic = details.bic
    if bic is None and is_iban_like(line.account or ""):
        bic = bic_for_iban(line.account)
    address = None
    if not domestic:
        # A currency payment to a Norwegian account goes to a payee in Norway.
        norwegian = not is_abroad(line.account, details.country)
        address = PostalAddress(
            street=details.street,
            building_no=details.building_no,
            post_code=details.post_code,
            town=details.town,
            country=details.country or ("NO" if norwegian else None),
        )
    report = None
    if not domestic and details.purpose_code and details.purpose_text:
        report = RegulatoryReport(details.purpose_code, details.purpose_text)
    return CreditTransfer(
        end_to_end_id=line.end_to_end_id,
        instruction_id=line.end_to_end_id,
        amount=line.amount,
        currency=line.currency,
        creditor=Party(line.payee, address=address),
        creditor_account=line.account or "",
        creditor_bic=bic,
        reference_type=line.reference_type,
        reference=line.reference or line.invoice_no or "",
        regulatory_report=report,
        uetr=line.uetr,
    )
