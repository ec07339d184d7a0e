"""Payment states and the one table of transitions between them (DESIGN.md, 'the states')."""

from __future__ import annotations

from enum import StrEnum

from paybot.core.errors import InvalidTransition


class PaymentStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    DUE = "due"
    PROCESSING = "processing"
    FAILED = "failed"
    PAID = "paid"
    POSTED = "posted"
    DELETED = "deleted"
    # The money left by one send while another may still leave: nothing more is sent until a
    # person has looked at the netbank (or the amount the bank booked differs from the send).
    ON_HOLD = "on_hold"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    PaymentStatus.PROPOSED: "Proposals",
    PaymentStatus.APPROVED: "Approved",
    PaymentStatus.DUE: "Due",
    PaymentStatus.PROCESSING: "Processing",
    PaymentStatus.FAILED: "Failed",
    PaymentStatus.PAID: "Paid",
    PaymentStatus.POSTED: "Posted",
    PaymentStatus.DELETED: "Deleted",
    PaymentStatus.ON_HOLD: "On hold",
}


class Action(StrEnum):
    APPROVE = "approve"
    SIGN = "sign"
    # A signature that leaves the payment waiting for a second signer.
    FIRST_SIGNATURE = "first_signature"
    DELETE = "delete"
    # Taking a signature back while the payment still waits to be sent.
    UNSIGN = "unsign"
    RESTORE = "restore"
    FIX = "fix"
    SEND = "send"
    REJECT = "reject"
    CONFIRM = "confirm"
    POST = "post"
    # A person settles a payment On hold: paid once (any other send stopped), or not paid.
    RESOLVE_PAID = "resolve_paid"
    RESOLVE_NOT_PAID = "resolve_not_paid"


S, A = PaymentStatus, Action

# (from, action) -> to. Anything absent is not allowed. FIX keeps the state it is done in.
TRANSITIONS: dict[tuple[PaymentStatus, Action], PaymentStatus] = {
    (S.PROPOSED, A.APPROVE): S.APPROVED,
    (S.PROPOSED, A.SIGN): S.DUE,
    (S.PROPOSED, A.DELETE): S.DELETED,
    (S.PROPOSED, A.FIX): S.PROPOSED,
    (S.APPROVED, A.SIGN): S.DUE,
    (S.PROPOSED, A.FIRST_SIGNATURE): S.APPROVED,
    (S.APPROVED, A.FIRST_SIGNATURE): S.APPROVED,
    (S.FAILED, A.FIRST_SIGNATURE): S.APPROVED,
    (S.APPROVED, A.DELETE): S.DELETED,
    (S.APPROVED, A.FIX): S.PROPOSED,  # a change voids the approval
    (S.DELETED, A.RESTORE): S.PROPOSED,
    (S.DUE, A.SEND): S.PROCESSING,
    (S.PROCESSING, A.REJECT): S.FAILED,
    (S.PROCESSING, A.CONFIRM): S.PAID,
    (S.FAILED, A.FIX): S.FAILED,
    (S.FAILED, A.SIGN): S.DUE,
    (S.PAID, A.POST): S.POSTED,
    (S.DUE, A.UNSIGN): S.APPROVED,
    # The bank's booking wins over a missing return: the money left after all.
    (S.FAILED, A.CONFIRM): S.PAID,
    (S.ON_HOLD, A.RESOLVE_PAID): S.PAID,
    # Not paid: nothing left and nothing will (its other sends were stopped): fix, sign again.
    (S.ON_HOLD, A.RESOLVE_NOT_PAID): S.FAILED,
}
# What the bank's answers do to a payment is decided in core.sends, not by this table: a
# booking of any send makes it Paid or On hold, a return makes a Paid payment Failed.

_VERBS = {
    A.APPROVE: "approved",
    A.SIGN: "signed",
    A.FIRST_SIGNATURE: "signed",
    A.DELETE: "deleted",
    A.UNSIGN: "unsigned",
    A.RESTORE: "added back to the bank",
    A.FIX: "changed",
    A.SEND: "sent",
    A.REJECT: "rejected",
    A.CONFIRM: "confirmed as paid",
    A.POST: "posted",
    A.RESOLVE_PAID: "recorded as paid",
    A.RESOLVE_NOT_PAID: "recorded as not paid",
}


def allowed_actions(status: PaymentStatus) -> frozenset[Action]:
    return frozenset(action for (source, action) in TRANSITIONS if source is status)


def next_status(
    current: PaymentStatus, action: Action, *, payment_id: int | None = None
) -> PaymentStatus:
    """The state `action` leads to from `current`; InvalidTransition naming `current` otherwise."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        subject = f"Payment {payment_id}" if payment_id is not None else "This payment"
        raise InvalidTransition(
            f"{subject} is {current.value} and cannot be {_VERBS[action]}."
        ) from None
