"""Reading the bank's return files: pain.002 status reports and camt.054 debit notifications.

A file is parsed whole before anything changes, applied in one transaction, and applied once
(its SHA-256 is recorded). References that match no payment are reported, never dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.bankfiles.camt054 import read_camt054
from paybot.core.bankfiles.model import BankFileRejected, StatusFile, StatusLevel
from paybot.core.bankfiles.outcomes import LineOutcome, Outcome, outcome_of
from paybot.core.bankfiles.pain002 import read_pain002, reason_text
from paybot.core.bankfiles.safe_xml import refuse_declarations, sniff
from paybot.core.banking_days import banking_time_between
from paybot.core.errors import ConcurrentChange, InvalidTransition, NotPermitted
from paybot.core.payments import PaymentView
from paybot.core.policy import Actor, Role
from paybot.core.states import Action, PaymentStatus, next_status
from paybot.services.common import (
    SYSTEM,
    ActorRef,
    audit,
    company_or_error,
    resolve_actor,
    roles_of,
)
from paybot.services.payments import load_payment
from paybot.services.ports import GatewayFactory
from paybot.store.banking import BatchLine
from paybot.store.uow import UnitOfWork

BUSINESS_ZONE = ZoneInfo("Europe/Oslo")
NO_RETURN_REASON = "No answer from the bank: check the netbank before paying again."


@dataclass(frozen=True)
class IngestResult:
    name: str
    kind: str
    already_applied: bool = False
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    updated: int = 0
    unmatched: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    incoming_entries: int = 0
    error: str | None = None  # why the file was not taken (it stays in the inbox)
    # Bookings that may mean money left twice: a person must look at the netbank now.
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Camt:
    """What a camt.054 says about our payments, gathered before anything is applied."""

    booked_end_to_end: list[str] = field(default_factory=list)
    booked_batches: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    incoming: int = 0


def ingest(
    uow: UnitOfWork, *, name: str, data: bytes, now: datetime, actor: Actor = SYSTEM
) -> IngestResult:
    """Applies one file from the bank; a file already applied changes nothing."""
    digest = hashlib.sha256(data).hexdigest()
    kind = _kind(name, data)
    with uow:
        if uow.bank.return_file_seen(digest):
            return IngestResult(name=name, kind=kind, already_applied=True)
    parsed: StatusFile | _Camt = (
        read_pain002(name, data) if kind == "pain.002" else _gather_camt(name, data)
    )
    with uow:
        file_id = uow.bank.claim_return_file(sha256=digest, name=name, kind=kind, now=now)
        if file_id is None:
            return IngestResult(name=name, kind=kind, already_applied=True)
        if isinstance(parsed, StatusFile):
            result = _apply_status(uow, name, parsed, now, actor)
        else:
            result = _apply_camt(uow, name, parsed, now, actor)
        summary = {
            "paid": result.paid,
            "failed": result.failed,
            "updated": result.updated,
            "unmatched": result.unmatched,
            "returned": result.returned,
            "incoming_entries": result.incoming_entries,
        }
        uow.bank.set_return_summary(file_id, summary)
        audit(
            uow,
            actor=actor,
            action="returns.ingest",
            now=now,
            details={"file": name, "kind": kind, "sha256": digest, **summary},
        )
        uow.commit()
    return result


_MESSAGES = (("CstmrPmtStsRpt", "pain.002"), ("BkToCstmrDbtCdtNtfctn", "camt.054"))


def _kind(name: str, data: bytes) -> str:
    """pain.002 or camt.054, by the message element (banks' own namespaces read alike)."""
    refuse_declarations(name, data)
    for message, family in _MESSAGES:
        try:
            sniff(name, data, message, family)
        except BankFileRejected as exc:
            if "not a " not in exc.problem:
                raise  # malformed: say so, not "wrong kind"
            continue
        return family
    raise BankFileRejected(name, "not a pain.002 status report or a camt.054 notification")


def _gather_camt(name: str, data: bytes) -> _Camt:
    gathered = _Camt()
    _, entries = read_camt054(name, data)
    for entry in entries:
        if entry.direction != "DBIT":
            gathered.incoming += 1
            continue
        returns = [t for t in entry.transactions if t.return_reason] or (
            list(entry.transactions) if entry.reversal else []
        )
        for tx in returns:
            gathered.returned.append(tx.end_to_end_id or entry.bank_reference or "?")
        if entry.status.upper() != "BOOK" or returns:
            continue
        ids = [t.end_to_end_id for t in entry.transactions if t.end_to_end_id]
        if ids:
            gathered.booked_end_to_end.extend(ids)
        elif entry.batch_payment_info_id:
            gathered.booked_batches.append(entry.batch_payment_info_id)
    return gathered


def _apply_camt(
    uow: UnitOfWork, name: str, camt: _Camt, now: datetime, actor: Actor
) -> IngestResult:
    by_e2e = uow.bank.lines_by_end_to_end(camt.booked_end_to_end)
    by_block = uow.bank.lines_by_payment_info(camt.booked_batches)
    lines = list(by_e2e.values()) + [line for group in by_block.values() for line in group]
    unmatched = [ref for ref in camt.booked_end_to_end if ref not in by_e2e]
    unmatched += [ref for ref in camt.booked_batches if ref not in by_block]
    paid_outcome = LineOutcome(Outcome.PAID, "BOOK")
    warnings: list[str] = []
    chosen = {line.id: (line, paid_outcome) for line in lines}
    paid, _, _ = _apply(uow, name, chosen, now, actor, warnings)
    return IngestResult(
        name=name,
        kind="camt.054",
        paid=paid,
        unmatched=unmatched,
        returned=camt.returned,
        incoming_entries=camt.incoming,
        warnings=warnings,
    )


def _apply_status(
    uow: UnitOfWork, name: str, status: StatusFile, now: datetime, actor: Actor
) -> IngestResult:
    """The most specific status wins: transaction over payment-info over group."""
    chosen: dict[int, tuple[BatchLine, LineOutcome]] = {}
    unmatched: list[str] = []
    for level in (StatusLevel.GROUP, StatusLevel.PAYMENT_INFO, StatusLevel.TRANSACTION):
        reports = [r for r in status.reports if r.level is level]
        for report, lines in _lines_for(uow, level, reports, unmatched):
            outcome = outcome_of(report)
            if outcome is not None:
                chosen.update({line.id: (line, outcome) for line in lines})
    paid, failed, updated = _apply(uow, name, chosen, now, actor, [])
    return IngestResult(
        name=name, kind="pain.002", paid=paid, failed=failed, updated=updated, unmatched=unmatched
    )


def _lines_for(
    uow: UnitOfWork, level: StatusLevel, reports: list[Any], unmatched: list[str]
) -> list[tuple[Any, list[BatchLine]]]:
    if level is StatusLevel.TRANSACTION:
        found = uow.bank.lines_by_end_to_end(r.original_end_to_end_id or "" for r in reports)
        pairs = [
            (r, [found[r.original_end_to_end_id]] if r.original_end_to_end_id in found else [])
            for r in reports
        ]
        label = "original_end_to_end_id"
    elif level is StatusLevel.PAYMENT_INFO:
        blocks = uow.bank.lines_by_payment_info(r.original_payment_info_id or "" for r in reports)
        pairs = [(r, blocks.get(r.original_payment_info_id or "", [])) for r in reports]
        label = "original_payment_info_id"
    else:
        batches = uow.bank.batches_by_message(r.original_message_id for r in reports)
        pairs = [
            (
                r,
                uow.bank.lines(batches[r.original_message_id].id)
                if r.original_message_id in batches
                else [],
            )
            for r in reports
        ]
        label = "original_message_id"
    unmatched.extend(str(getattr(r, label)) for r, lines in pairs if not lines)
    return pairs


def _apply(
    uow: UnitOfWork,
    name: str,
    chosen: dict[int, tuple[BatchLine, LineOutcome]],
    now: datetime,
    actor: Actor,
    warnings: list[str],
) -> tuple[list[int], list[int], int]:
    """Moves payments to Paid or Failed, or records the status; returns (paid, failed, updated).

    A booking that may mean the money left twice is added to `warnings` and audited.
    """
    states = uow.bank.payment_states((line.payment_id for line, _ in chosen.values()), lock=True)
    paid: list[int] = []
    failed: list[int] = []
    updated = 0
    events: list[dict[str, Any]] = []
    for line, outcome in chosen.values():
        status, version, failure_kind, batch_id = states[line.payment_id]
        current = PaymentStatus(status)
        if outcome.outcome is Outcome.PAID and line.status != "paid":
            alarm = _twice(line, current, batch_id)
            if alarm:
                warnings.append(alarm)
                events.append(_alarm_event(line, alarm, name, now, actor))
        values = _line_values(outcome, now)
        uow.bank.update_line(line.id, values)
        change = _payment_change(current, failure_kind, outcome, now)
        if change is None:
            continue
        new_status, payment_values = change
        uow.bank.set_payments([line.payment_id], payment_values)
        states[line.payment_id] = (
            new_status.value,
            version + 1,
            payment_values.get("failure_kind"),
            payment_values.get("batch_id", batch_id),
        )
        if new_status is PaymentStatus.PAID and current is not PaymentStatus.PAID:
            paid.append(line.payment_id)
        elif new_status is PaymentStatus.FAILED and current is not PaymentStatus.FAILED:
            failed.append(line.payment_id)
        else:
            updated += 1
        events.append(_event(line, current, new_status, version, outcome, name, now, actor))
    uow.bank.restart_signing(failed, now)
    uow.audit.add_many(events)
    return paid, failed, updated


def _twice(line: BatchLine, current: PaymentStatus, batch_id: int | None) -> str | None:
    """Why a booking of this send may mean the payment left twice, or None."""
    if current in (PaymentStatus.PAID, PaymentStatus.POSTED):
        return (
            f"Payment {line.payment_id} was booked again ({line.end_to_end_id}) though it is "
            "paid already: the money may have left twice. Check the netbank; ask the payee to "
            "pay it back."
        )
    if batch_id is not None and batch_id != line.batch_id:
        return (
            f"Payment {line.payment_id} was booked for an earlier send ({line.end_to_end_id}) "
            "while a newer send of it is at the bank: stop that one in the netbank, or it is "
            "paid twice."
        )
    return None


def _alarm_event(
    line: BatchLine, alarm: str, name: str, now: datetime, actor: Actor
) -> dict[str, Any]:
    return {
        "at": now,
        "company_id": None,
        "payment_id": line.payment_id,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": "payment.booked_twice",
        "before": None,
        "after": None,
        "details": {"file": name, "end_to_end_id": line.end_to_end_id, "warning": alarm},
    }


def _line_values(outcome: LineOutcome, now: datetime) -> dict[str, Any]:
    status = {Outcome.PAID: "paid", Outcome.REJECTED: "rejected"}.get(outcome.outcome, "accepted")
    return {
        "status": status,
        "bank_status": outcome.bank_status,
        "reason_codes": list(outcome.reason_codes),
        "bank_text": outcome.bank_text,
        "updated_at": now,
    }


def _payment_change(
    current: PaymentStatus, failure_kind: str | None, outcome: LineOutcome, now: datetime
) -> tuple[PaymentStatus, dict[str, Any]] | None:
    missing = current is PaymentStatus.FAILED and failure_kind in ("no_return", "checked_not_left")
    if outcome.outcome is Outcome.PAID and (current is PaymentStatus.PROCESSING or missing):
        return PaymentStatus.PAID, {
            "status": PaymentStatus.PAID.value,
            "paid_at": now,
            "bank_status": outcome.bank_status,
            "failure_kind": None,
            "failure_reason": None,
            "updated_at": now,
        }
    if outcome.outcome is Outcome.REJECTED and current is PaymentStatus.PROCESSING:
        words = "; ".join(reason_text(code) for code in outcome.reason_codes) or (
            "The bank rejected the payment (no reason given)"
        )
        return PaymentStatus.FAILED, {
            "status": PaymentStatus.FAILED.value,
            "failure_kind": "rejected",
            "failure_reason": words,
            "bank_text": outcome.bank_text,
            "bank_status": outcome.bank_status,
            "batch_id": None,
            "updated_at": now,
        }
    if outcome.outcome is Outcome.STATUS and current is PaymentStatus.PROCESSING:
        return PaymentStatus.PROCESSING, {"bank_status": outcome.bank_status, "updated_at": now}
    return None


def _event(
    line: BatchLine,
    before: PaymentStatus,
    after: PaymentStatus,
    version: int,
    outcome: LineOutcome,
    name: str,
    now: datetime,
    actor: Actor,
) -> dict[str, Any]:
    action = {PaymentStatus.PAID: "payment.paid", PaymentStatus.FAILED: "payment.failed"}.get(
        after, "payment.bank_status"
    )
    return {
        "at": now,
        "company_id": None,
        "payment_id": line.payment_id,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "before": {"status": before.value, "version": version},
        "after": {"status": after.value, "version": version + 1},
        "details": {
            "file": name,
            "end_to_end_id": line.end_to_end_id,
            "bank_status": outcome.bank_status,
            "reasons": list(outcome.reason_codes),
            "bank_text": outcome.bank_text,
        },
    }


def check_missing(
    uow: UnitOfWork,
    *,
    company_org_no: str | None = None,
    now: datetime,
    after: timedelta = timedelta(hours=24),
    zone: ZoneInfo = BUSINESS_ZONE,
    actor: Actor = SYSTEM,
) -> list[int]:
    """Processing payments with no answer for `after` of banking time become Failed (no return)."""
    with uow:
        company_id = None if company_org_no is None else company_or_error(uow, company_org_no).id
        # Banking time never runs faster than the clock: older than `after` is a cheap pre-filter.
        candidates = uow.bank.processing_since(company_id, now - after)
        late = [
            (pid, v)
            for pid, v, sent in candidates
            if banking_time_between(sent, now, zone) >= after
        ]
        events = []
        for payment_id, version in late:
            uow.bank.set_payments(
                [payment_id],
                {
                    "status": PaymentStatus.FAILED.value,
                    "failure_kind": "no_return",
                    "failure_reason": NO_RETURN_REASON,
                    "updated_at": now,
                },
            )
            events.append(
                {
                    "at": now,
                    "company_id": company_id,
                    "payment_id": payment_id,
                    "actor_id": actor.user_id,
                    "actor_label": actor.label,
                    "action": "payment.no_return",
                    "before": {"status": PaymentStatus.PROCESSING.value, "version": version},
                    "after": {"status": PaymentStatus.FAILED.value, "version": version + 1},
                    "details": {"reason": NO_RETURN_REASON, "waited": str(after)},
                }
            )
        uow.audit.add_many(events)
        uow.commit()
    return [payment_id for payment_id, _ in late]


def resolve_missing(
    uow: UnitOfWork, *, actor: ActorRef, payment_id: int, money_left: bool, now: datetime
) -> PaymentView:
    """A signer records what the netbank shows for a payment with no return: paid, or not."""
    with uow:
        who = resolve_actor(uow, actor)
        payment, company = load_payment(uow, payment_id)
        if Role.SIGNER not in roles_of(uow, who, company.id):
            raise NotPermitted(
                f"{who.label} may not record what the netbank shows: that needs the signer role."
            )
        if payment.status is not PaymentStatus.FAILED or payment.failure_kind != "no_return":
            raise InvalidTransition(
                f"Payment {payment.id} is not waiting for a netbank check (it is "
                f"{payment.status.value})."
            )
        if money_left:
            new_status = next_status(payment.status, Action.CONFIRM, payment_id=payment.id)
            values: dict[str, Any] = {"status": new_status.value, "paid_at": now, "updated_at": now}
        else:
            new_status = payment.status
            values = {
                "failure_kind": "checked_not_left",
                "batch_id": None,
                "updated_at": now,
                "failure_reason": "No answer from the bank; the netbank shows the money "
                "did not leave. Fix it if needed and sign again.",
            }
        if not uow.payments.compare_and_set(payment.id, payment.version, values):
            raise ConcurrentChange(f"Payment {payment.id} changed just now; look again.")
        if not money_left:
            uow.bank.restart_signing([payment.id], now)
        audit(
            uow,
            actor=who,
            action="payment.resolve_missing",
            now=now,
            company_id=company.id,
            payment_id=payment.id,
            before={"status": payment.status.value, "version": payment.version},
            after={"status": new_status.value, "version": payment.version + 1},
            details={"money_left": money_left},
        )
        result, _ = load_payment(uow, payment.id)
        uow.commit()
    return result


def poll(
    uow: UnitOfWork,
    gateways: GatewayFactory,
    *,
    company_org_no: str | None = None,
    now: datetime,
    actor: Actor = SYSTEM,
) -> list[IngestResult]:
    """Applies every file waiting in the inbox of each account, then archives it there.

    A file that cannot be taken stays in the inbox and is reported; the others still go.
    """
    with uow:
        companies = (
            uow.companies.all()
            if company_org_no is None
            else [company_or_error(uow, company_org_no)]
        )
        accounts = [a for c in companies for a in uow.bank.accounts(c.id)]
    results: list[IngestResult] = []
    for account in accounts:
        gateway = gateways(account)
        for name in gateway.incoming():
            try:
                result = ingest(uow, name=name, data=gateway.fetch(name), now=now, actor=actor)
            except BankFileRejected as exc:
                results.append(IngestResult(name=name, kind="rejected", error=exc.user_message))
                continue
            gateway.archive(name)
            results.append(result)
    return results
