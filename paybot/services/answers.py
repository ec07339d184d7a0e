"""Applying what the bank said: to the send it names first, then to that send's payment.

`core.sends` decides (pure); this module reads the sends and payments under lock, writes the
outcome, audits it and raises the alarms. Callers (return files, dispatch, a person's netbank
check) hold the company's lock (`uow.bank.lock_company`) and commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from paybot.core import alarms as texts
from paybot.core.alarms import SendFacts
from paybot.core.bankfiles.pain002 import reason_text
from paybot.core.policy import Actor
from paybot.core.sends import (
    AlarmKind,
    Answer,
    Effect,
    PaymentAtBank,
    Reaction,
    SendState,
    answered,
    react,
)
from paybot.core.states import PaymentStatus
from paybot.services.common import SYSTEM
from paybot.services.proposals import reflag
from paybot.store.sends import PaymentState, SendLine
from paybot.store.uow import UnitOfWork

log = logging.getLogger("paybot.alarms")

_ACTIONS = {
    Effect.STATUS: "payment.bank_status",
    Effect.PAID: "payment.paid",
    Effect.FAILED: "payment.failed",
    Effect.RETURNED: "payment.returned",
    Effect.HOLD: "payment.on_hold",
    Effect.PROCESSING: "payment.processing",
    Effect.DUE: "payment.due",
}
_STATUS_AFTER = {
    Effect.STATUS: PaymentStatus.PROCESSING,
    Effect.PAID: PaymentStatus.PAID,
    Effect.FAILED: PaymentStatus.FAILED,
    Effect.RETURNED: PaymentStatus.FAILED,
    Effect.HOLD: PaymentStatus.ON_HOLD,
    Effect.PROCESSING: PaymentStatus.PROCESSING,
    Effect.DUE: PaymentStatus.DUE,
}


@dataclass(frozen=True)
class Said:
    """One thing the bank said about one send."""

    send: SendLine
    answer: Answer
    names_it: bool = True  # the answer names this send (EndToEndId), not its batch or block
    bank_status: str | None = None
    reasons: tuple[str, ...] = ()
    text: str | None = None
    booked: tuple[Decimal, str] | None = None  # what the bank booked: amount, currency
    # The amount as ordered, where a booking in the account's currency names it: compared with
    # the send instead of `booked`, which stays what the account was debited (for the ledger).
    instructed: tuple[Decimal, str] | None = None


@dataclass(frozen=True)
class Raised:
    kind: AlarmKind
    message: str
    payment_id: int | None = None


@dataclass
class Applied:
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    updated: int = 0
    # Answers that moved no payment: about an earlier send, or said before.
    unchanged: int = 0
    alarms: list[Raised] = field(default_factory=list)
    # Suppliers whose payments' flags follow from what was paid (company id -> supplier ids).
    suppliers: dict[int, set[int]] = field(default_factory=dict)


def apply(
    uow: UnitOfWork,
    said: Sequence[Said],
    *,
    source: str,
    now: datetime,
    actor: Actor = SYSTEM,
) -> Applied:
    """Applies each answer in order; the caller holds the company's lock and commits."""
    applied = Applied()
    if not said:
        return applied
    ids = {item.send.payment_id for item in said}
    payments = uow.sends.lock_payments(ids)
    # Read after the lock: another answer or a dispatcher may have moved them just before.
    sends = uow.sends.of_payments(ids)
    for item in said:
        payment_id = item.send.payment_id
        lines = sends[payment_id]
        line = next(s for s in lines if s.id == item.send.id)
        before = line.state
        after = answered(before, item.answer, names_it=item.names_it)
        if after is not before or item.answer is Answer.STATUS:
            uow.sends.set_state(line.id, after, _line_values(item, now))
        lines = [replace(s, state=after) if s.id == line.id else s for s in lines]
        sends[payment_id] = lines
        line = replace(line, state=after)
        compared = _compared(item, line)
        differs = compared is not None and not _same_money(compared, line)
        state = payments[payment_id]
        reaction = _react(uow, state, lines, line, before, differs, now)
        sends[payment_id] = [
            replace(s, state=SendState.CANCELLED) if s.id in reaction.cancel else s for s in lines
        ]
        step = _Step(payment_id, state, line, tuple(lines), item, reaction, source, now, actor)
        payments[payment_id] = _write(uow, step, applied)
    for company_id, suppliers in applied.suppliers.items():
        reflag(uow, company_id, suppliers)
    return applied


def _react(
    uow: UnitOfWork,
    state: PaymentState,
    lines: list[SendLine],
    line: SendLine,
    before: SendState,
    differs: bool,
    now: datetime,
) -> Reaction:
    """core.sends.react, then the re-sends it takes out of their batches; should one of them
    have begun to upload meanwhile, it is live after all and the reaction is worked out again."""
    payment = PaymentAtBank(PaymentStatus(state.status), state.failure_kind, state.batch_id)
    sends = [s.as_send() for s in lines]
    reaction = react(payment, sends, line.as_send(), before, amount_differs=differs)
    if not reaction.cancel:
        return reaction
    taken = set(uow.sends.cancel(list(reaction.cancel), {"updated_at": now}))
    if taken == set(reaction.cancel):
        return reaction
    sends = [
        replace(s, state=SendState.CANCELLED) if s.id in taken else replace(s, cancellable=False)
        for s in sends
    ]
    retried = react(payment, sends, line.as_send(), before, amount_differs=differs)
    return replace(retried, cancel=tuple(taken))


@dataclass(frozen=True)
class _Step:
    payment_id: int
    state: PaymentState
    line: SendLine
    sends: tuple[SendLine, ...]  # all the payment's sends, as read under its lock
    said: Said
    reaction: Reaction
    source: str
    now: datetime
    actor: Actor


def _write(uow: UnitOfWork, step: _Step, applied: Applied) -> PaymentState:
    """Writes the payment's change, its audit event and its alarm; returns its state now."""
    reaction, state, now = step.reaction, step.state, step.now
    effect = reaction.effect
    message = _alarm_text(step) if reaction.alarm else None
    new_state = state
    if effect is Effect.NONE:
        applied.unchanged += 1
    else:
        values = _payment_values(step, message)
        uow.bank.set_payments([step.payment_id], values)
        new_status = _STATUS_AFTER[effect]
        new_state = replace(
            state,
            status=new_status.value,
            version=state.version + 1,
            failure_kind=values.get("failure_kind", state.failure_kind),
            batch_id=values.get("batch_id", state.batch_id),
        )
        if effect in (Effect.FAILED, Effect.RETURNED) or reaction.resend_cancelled:
            uow.bank.restart_signing([step.payment_id], now)
        if effect in (Effect.PAID, Effect.RETURNED):  # the last paid-to account moved
            applied.suppliers.setdefault(state.company_id, set()).add(state.supplier_id)
        _count(applied, effect, state, step.payment_id)
        uow.audit.add(**_event(step, new_status, message))
    if reaction.alarm is not None and message is not None:
        raise_alarm(
            uow,
            applied,
            key=f"{reaction.alarm.value}:{step.payment_id}:{step.line.id}",
            company_id=state.company_id,
            kind=reaction.alarm,
            message=message,
            details=_alarm_details(step),
            now=now,
            payment_id=step.payment_id,
            batch_id=step.line.batch_id,
            actor=step.actor,
        )
    return new_state


def _count(applied: Applied, effect: Effect, state: PaymentState, payment_id: int) -> None:
    if effect is Effect.PAID and state.status != PaymentStatus.PAID.value:
        applied.paid.append(payment_id)
    elif effect is Effect.FAILED:
        applied.failed.append(payment_id)
    elif effect is Effect.RETURNED:
        applied.returned.append(payment_id)
    elif effect is Effect.HOLD:
        applied.held.append(payment_id)
    else:
        applied.updated += 1


def _payment_values(step: _Step, message: str | None) -> dict[str, Any]:
    said, now, effect = step.said, step.now, step.reaction.effect
    values: dict[str, Any] = {"updated_at": now}
    if said.bank_status:
        values["bank_status"] = said.bank_status[:8]
    if effect is Effect.PAID:
        values |= {
            "status": PaymentStatus.PAID.value,
            "paid_at": now,
            "batch_id": step.reaction.batch,
            "failure_kind": None,
            "failure_reason": None,
        }
    elif effect is Effect.FAILED:
        values |= {
            "status": PaymentStatus.FAILED.value,
            "failure_kind": "rejected",
            "failure_reason": _why(said),
            "bank_text": said.text,
            "batch_id": None,
        }
    elif effect is Effect.RETURNED:
        values |= {
            "status": PaymentStatus.FAILED.value,
            "failure_kind": "returned",
            "failure_reason": f"The bank returned the money: {_why(said)}",
            "bank_text": said.text,
            "batch_id": None,
            "paid_at": None,
        }
    elif effect is Effect.HOLD:
        values |= {
            "status": PaymentStatus.ON_HOLD.value,
            "failure_kind": step.reaction.hold_kind,
            "failure_reason": message,
        }
    elif effect is Effect.DUE:
        values |= {
            "status": PaymentStatus.DUE.value,
            "batch_id": step.reaction.batch,
            "failure_kind": None,
            "failure_reason": None,
        }
    elif effect is Effect.PROCESSING:
        # Waiting again, from now: the missing-return check counts from here.
        values |= {
            "status": PaymentStatus.PROCESSING.value,
            "batch_id": step.reaction.batch,
            "failure_kind": None,
            "failure_reason": None,
            "sent_at": now,
        }
    return values


def _why(said: Said) -> str:
    return "; ".join(reason_text(code) for code in said.reasons) or (
        "no reason given" if said.answer is Answer.RETURNED else "The bank gave no reason"
    )


def _event(step: _Step, new_status: PaymentStatus, message: str | None) -> dict[str, Any]:
    said, line, state = step.said, step.line, step.state
    details: dict[str, Any] = {
        "file": step.source,
        "end_to_end_id": line.end_to_end_id,
        "send": line.state.value,
        "bank_status": said.bank_status,
        "reasons": list(said.reasons),
        "bank_text": said.text,
    }
    if step.reaction.cancel:
        details["cancelled_sends"] = list(step.reaction.cancel)
    if step.reaction.resend_cancelled:
        details["resend_cancelled"] = True
    if message:
        details["alarm"] = message
    return {
        "at": step.now,
        "company_id": state.company_id,
        "payment_id": step.payment_id,
        "actor_id": step.actor.user_id,
        "actor_label": step.actor.label,
        "action": _ACTIONS[step.reaction.effect],
        "before": {"status": state.status, "version": state.version},
        "after": {"status": new_status.value, "version": state.version + 1},
        "details": details,
    }


def _facts(line: SendLine) -> SendFacts:
    return SendFacts(line.end_to_end_id, line.amount, line.currency)


def _alarm_text(step: _Step) -> str:
    reaction, line, said, pid = step.reaction, step.line, step.said, step.payment_id
    kind = reaction.alarm
    if kind is AlarmKind.TWICE:
        return texts.twice(pid, _facts(line), [_facts(s) for s in _live(step)])
    if kind is AlarmKind.AMOUNT:
        booked, currency = _compared(said, line) or (line.amount, line.currency)
        return texts.amount(pid, _facts(line), booked, currency)
    if kind is AlarmKind.BOOKED_TWICE:
        return texts.booked_twice(pid, _facts(line))
    if kind is AlarmKind.RETURNED:
        reopened = reaction.effect is Effect.RETURNED
        return texts.returned(pid, _facts(line), _why(said), reopened)
    if kind is AlarmKind.PAID_AFTER_ALL:
        cancelled = [s.end_to_end_id for s in step.sends if s.id in reaction.cancel]
        return texts.paid_after_all(pid, _facts(line), cancelled)
    raise AssertionError(f"no payment alarm text for {kind}")


def _live(step: _Step) -> list[SendLine]:
    """The other sends that may still leave, as the reaction named them."""
    live = {s.id for s in step.reaction.live}
    return [s for s in step.sends if s.id in live]


def _alarm_details(step: _Step) -> dict[str, Any]:
    line, said = step.line, step.said
    details: dict[str, Any] = {
        "file": step.source,
        "end_to_end_id": line.end_to_end_id,
        "amount": str(line.amount),
        "currency": line.currency,
        "reasons": list(said.reasons),
    }
    if said.booked is not None:
        details |= {"booked_amount": str(said.booked[0]), "booked_currency": said.booked[1]}
    if step.reaction.live:
        details["live"] = [s.end_to_end_id for s in _live(step)]
    return details


def raise_alarm(
    uow: UnitOfWork,
    applied: Applied,
    *,
    key: str,
    company_id: int,
    kind: AlarmKind,
    message: str,
    details: dict[str, Any],
    now: datetime,
    payment_id: int | None = None,
    batch_id: int | None = None,
    actor: Actor = SYSTEM,
) -> None:
    """Raises the alarm once per key, with an audit event; `log_alarms` logs it after commit."""
    new = uow.alarms.raise_once(
        key=key,
        company_id=company_id,
        kind=kind,
        message=message,
        details=details,
        now=now,
        payment_id=payment_id,
        batch_id=batch_id,
    )
    if not new:
        return
    applied.alarms.append(Raised(kind, message, payment_id))
    uow.audit.add(
        at=now,
        company_id=company_id,
        payment_id=payment_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=f"alarm.{kind.value}",
        before=None,
        after=None,
        details={"key": key, "message": message, **details},
    )


def log_alarms(raised: Sequence[Raised]) -> None:
    """Every alarm reaches the log at WARNING (after its transaction committed)."""
    for alarm in raised:
        log.warning("ALARM %s: %s", alarm.kind.value, alarm.message)


def _line_values(said: Said, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "bank_status": (said.bank_status or None) and said.bank_status[:8],
        "reason_codes": list(said.reasons),
        "bank_text": said.text,
        "updated_at": now,
    }
    if said.booked is not None:
        values |= {"booked_amount": said.booked[0], "booked_currency": said.booked[1][:3]}
    return values


def _compared(said: Said, line: SendLine) -> tuple[Decimal, str] | None:
    """What must equal the send: the booking, or, where the bank booked it in another currency
    (the account's), the amount it names as ordered. A booking in the send's own currency is
    compared as booked, whatever it names as ordered."""
    booked = said.booked
    if said.instructed is None or booked is None:
        return booked
    return booked if booked[1].strip().upper() == line.currency.upper() else said.instructed


def _same_money(booked: tuple[Decimal, str], line: SendLine) -> bool:
    amount, currency = booked
    return amount == line.amount and currency.strip().upper() == line.currency.upper()
