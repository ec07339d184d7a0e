"""One send of a payment to the bank, and what the bank's answers do to it and to the payment.

A payment may be sent several times (each a *send*: one line in one batch, EndToEndId
`PAYBOT-P<payment>-<n>`). Every answer names one send and changes that send's state first
(`answered`); what it then means for the payment is decided from all its sends together
(`react`). The rules, in short:

- An answer about a send that is not the payment's current one never moves the payment, with one
  exception: a booking. Money left, so the payment is Paid if no other send of it is live (a
  re-send not yet at the bank is cancelled), and On hold with an alarm if one is.
- A return of booked money (camt.054 `RtrInf`, a reversal, or a pain.002 RJCT naming the
  transaction after it was booked) reopens a Paid payment as Failed, with an alarm.
- A booked amount or currency other than the send's is never Paid: the payment is held. (For a
  booking in the account's currency the amount as ordered counts, where the bank names it.)

Pure: no database, no clock. The services read the sends, call these functions and write back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from paybot.core.identifiers import compact_account, is_iban_like
from paybot.core.states import PaymentStatus


class SendState(StrEnum):
    PREPARED = "prepared"  # in a batch whose file has not (certainly) reached the bank
    SENT = "sent"  # the file left, or may have; no answer yet
    ACCEPTED = "accepted"  # the bank has it and said so; the money has not left yet
    REJECTED = "rejected"  # the bank refused it: no money left
    BOOKED = "booked"  # the money left our account (the bank booked it, or a person saw it)
    RETURNED = "returned"  # booked, then the money came back
    CANCELLED = "cancelled"  # never left: its file was refused before sending, or taken out
    NOT_LEFT = "not_left"  # no answer; a person saw in the netbank that it did not leave
    STOPPED = "stopped"  # a person stopped it in the netbank


# May yet make money leave.
LIVE = frozenset({SendState.PREPARED, SendState.SENT, SendState.ACCEPTED})


class Answer(StrEnum):
    STATUS = "status"  # received, accepted, pending: on its way
    REJECTED = "rejected"
    BOOKED = "booked"
    RETURNED = "returned"


def answered(state: SendState, answer: Answer, *, names_it: bool = True) -> SendState:
    """The send's state after an answer about it.

    `names_it`: the answer names this very send (its EndToEndId), not its whole batch or block.
    Only such a rejection turns a booking into a return; a rejection of a whole file or block
    may be older than the booking, and a return is final (a booking repeated after it is a
    repeat, not new money).
    """
    if answer is Answer.STATUS:
        return SendState.ACCEPTED if state in (SendState.PREPARED, SendState.SENT) else state
    if answer is Answer.BOOKED:
        return state if state is SendState.RETURNED else SendState.BOOKED
    if answer is Answer.RETURNED:
        return SendState.RETURNED
    if state is SendState.BOOKED:
        return SendState.RETURNED if names_it else state
    return state if state is SendState.RETURNED else SendState.REJECTED


class AlarmKind(StrEnum):
    """What a person must look at now; each is said once, in the alerts channel and the log."""

    TWICE = "twice"  # booked while another send may still leave: On hold
    AMOUNT = "amount"  # the bank booked another amount or currency: On hold
    BOOKED_TWICE = "booked_twice"  # a second booking of a paid payment: the money left twice
    RETURNED = "returned"  # booked money came back
    PAID_AFTER_ALL = "paid_after_all"  # booked after all: the re-send (if any) was cancelled
    UPLOAD_FAILING = "upload_failing"  # the bank's server refused the file several times
    UPLOAD_UNKNOWN = "upload_unknown"  # an upload broke off: the bank may or may not have it
    FOREIGN = "foreign"  # a return file named payments of another account or company
    UNWRITABLE = "unwritable"  # a payment no bank file could carry: taken out, Failed
    FILE_REFUSED = "file_refused"  # no file leaves for the company's settings: nothing is sent
    EHF_REFUSED = "ehf_refused"  # an EHF invoice in the inbox was refused: nothing is paid for it


class Effect(StrEnum):
    NONE = "none"  # recorded against the send only
    STATUS = "status"  # the bank's status is shown on the payment, still Processing
    PAID = "paid"
    FAILED = "failed"  # the current send was rejected
    RETURNED = "returned"  # Paid → Failed: the money came back
    HOLD = "hold"  # On hold (twice, or amount)
    PROCESSING = "processing"  # back to waiting for a live send at the bank
    DUE = "due"  # back to waiting for its live send to be uploaded


@dataclass(frozen=True)
class Send:
    id: int
    batch_id: int
    state: SendState
    # PREPARED in a batch that has not begun to upload: it can still be taken out.
    cancellable: bool = False


@dataclass(frozen=True)
class PaymentAtBank:
    status: PaymentStatus
    failure_kind: str | None
    current_batch: int | None  # the batch of its current send, None when it has none


@dataclass(frozen=True)
class Reaction:
    effect: Effect
    alarm: AlarmKind | None = None
    hold_kind: str | None = None  # "twice" or "amount" for Effect.HOLD
    # Sends taken out of their batch before upload (a re-send the booking made needless).
    cancel: tuple[int, ...] = ()
    # Live sends of the payment, other than the one answered (named in a TWICE alarm).
    live: tuple[Send, ...] = ()
    # The batch of the send the payment now waits for or was paid by (PAID, PROCESSING).
    batch: int | None = None
    # Paid by a send other than the one it was waiting for: signatures of a re-send are void.
    resend_cancelled: bool = field(default=False)


_NONE = Reaction(Effect.NONE)
_DONE = (PaymentStatus.PAID, PaymentStatus.POSTED)


def react(
    payment: PaymentAtBank,
    sends: Sequence[Send],
    changed: Send,
    before: SendState,
    *,
    amount_differs: bool = False,
) -> Reaction:
    """What an answer that moved `changed` from `before` to its state means for the payment.

    `sends` are all the payment's sends as they are after the answer (`changed` among them).
    """
    after = changed.state
    others = [s for s in sends if s.id != changed.id]
    live = tuple(s for s in others if s.state in LIVE and not s.cancellable)
    cancel = tuple(s.id for s in others if s.state in LIVE and s.cancellable)
    current = payment.current_batch == changed.batch_id
    status, kind = payment.status, payment.failure_kind
    waiting = status in (PaymentStatus.PROCESSING, PaymentStatus.DUE) or (
        status is PaymentStatus.FAILED and kind == "no_return"
    )
    if after is SendState.ACCEPTED:
        if current and status is PaymentStatus.PROCESSING:
            return Reaction(Effect.STATUS)
        if current and status is PaymentStatus.FAILED and kind == "no_return":
            # It was given up as unanswered, but the bank has it: wait for the booking again.
            return Reaction(Effect.PROCESSING, batch=changed.batch_id)
        return _NONE
    if after is before:
        return _NONE  # a repeated answer
    if after is SendState.BOOKED:
        return _booked(payment, changed, before, live, cancel, current and waiting, amount_differs)
    if after is SendState.REJECTED:
        if current and waiting:
            return Reaction(Effect.FAILED)
        if status is PaymentStatus.ON_HOLD and kind == "twice" and not live:
            booked = next((s for s in others if s.state is SendState.BOOKED), None)
            if booked is not None:  # the bank stopped the other send itself
                return Reaction(Effect.PAID, batch=booked.batch_id)
        return _NONE
    if after is SendState.RETURNED:
        return _returned(payment, changed, others, live, current and waiting)
    return _NONE


def _booked(
    payment: PaymentAtBank,
    changed: Send,
    before: SendState,
    live: tuple[Send, ...],
    cancel: tuple[int, ...],
    awaited: bool,
    amount_differs: bool,
) -> Reaction:
    status = payment.status
    if status in _DONE:
        return Reaction(Effect.NONE, AlarmKind.BOOKED_TWICE)
    if status is PaymentStatus.ON_HOLD:
        if payment.failure_kind == "twice" and before in LIVE:
            # The send it was held for left too: nothing is left to stop.
            return Reaction(Effect.PAID, AlarmKind.BOOKED_TWICE, batch=changed.batch_id)
        return Reaction(Effect.NONE, AlarmKind.BOOKED_TWICE)
    if amount_differs:
        return Reaction(Effect.HOLD, AlarmKind.AMOUNT, hold_kind="amount", cancel=cancel)
    if live:
        return Reaction(Effect.HOLD, AlarmKind.TWICE, hold_kind="twice", cancel=cancel, live=live)
    return Reaction(
        Effect.PAID,
        None if awaited else AlarmKind.PAID_AFTER_ALL,
        cancel=cancel,
        batch=changed.batch_id,
        resend_cancelled=not awaited,
    )


def _returned(
    payment: PaymentAtBank,
    changed: Send,
    others: list[Send],
    live: tuple[Send, ...],
    awaited: bool,
) -> Reaction:
    status = payment.status
    still_booked = any(s.state is SendState.BOOKED for s in others)
    if status is PaymentStatus.PAID and not still_booked:
        return Reaction(Effect.RETURNED, AlarmKind.RETURNED)
    if status is PaymentStatus.ON_HOLD and not still_booked:
        if live:  # the booking it was held for came back; the other send is what is left
            waits = Effect.DUE if live[0].state is SendState.PREPARED else Effect.PROCESSING
            return Reaction(waits, AlarmKind.RETURNED, batch=live[0].batch_id)
        return Reaction(Effect.RETURNED, AlarmKind.RETURNED)
    if awaited:
        return Reaction(Effect.RETURNED, AlarmKind.RETURNED)
    return Reaction(Effect.NONE, AlarmKind.RETURNED)


def same_account(named: str, ours: str) -> bool:
    """Whether the account a bank file names is our account, written either way: an IBAN's
    domestic part (BBAN) is the account; spaces, dots and letter case do not matter."""
    a, b = compact_account(named), compact_account(ours)
    if not a or not b or a == b:
        return bool(a) and a == b
    if is_iban_like(a) and not is_iban_like(b):
        return a[4:] == b
    if is_iban_like(b) and not is_iban_like(a):
        return b[4:] == a
    return False
