"""The one table of payment transitions, checked against DESIGN.md ('the states')."""

from __future__ import annotations

import itertools

import pytest

from paybot.core.errors import InvalidTransition
from paybot.core.states import TRANSITIONS, Action, PaymentStatus, allowed_actions, next_status

S, A = PaymentStatus, Action

# Written out from DESIGN.md on purpose, not derived from TRANSITIONS.
DESIGNED: dict[tuple[PaymentStatus, Action], PaymentStatus] = {
    (S.PROPOSED, A.APPROVE): S.APPROVED,
    (S.PROPOSED, A.SIGN): S.DUE,
    (S.APPROVED, A.SIGN): S.DUE,
    (S.FAILED, A.SIGN): S.DUE,
    (S.PROPOSED, A.DELETE): S.DELETED,
    (S.APPROVED, A.DELETE): S.DELETED,
    (S.DELETED, A.RESTORE): S.PROPOSED,
    (S.DUE, A.SEND): S.PROCESSING,
    (S.PROCESSING, A.REJECT): S.FAILED,
    (S.PROCESSING, A.CONFIRM): S.PAID,
    (S.PAID, A.POST): S.POSTED,
    (S.PROPOSED, A.FIX): S.PROPOSED,
    (S.FAILED, A.FIX): S.FAILED,
    (S.APPROVED, A.FIX): S.PROPOSED,
    # Dual control: a first of two signatures leaves the payment Approved, waiting for a second.
    (S.PROPOSED, A.FIRST_SIGNATURE): S.APPROVED,
    (S.APPROVED, A.FIRST_SIGNATURE): S.APPROVED,
    (S.FAILED, A.FIRST_SIGNATURE): S.APPROVED,
    # Within the undo window a signer takes the signature back.
    (S.DUE, A.UNSIGN): S.APPROVED,
    # A booking in a camt.054 wins over a missing return.
    (S.FAILED, A.CONFIRM): S.PAID,
    # On hold (money may leave twice, or the bank booked another amount): a person looked at the
    # netbank and says the payment is paid once, or not paid at all.
    (S.ON_HOLD, A.RESOLVE_PAID): S.PAID,
    (S.ON_HOLD, A.RESOLVE_NOT_PAID): S.FAILED,
}

NOT_ALLOWED = [
    pytest.param(status, action, id=f"{status.value}-{action.value}")
    for status, action in itertools.product(PaymentStatus, Action)
    if (status, action) not in DESIGNED
]


def test_transition_table_is_exactly_the_designed_one() -> None:
    assert TRANSITIONS == DESIGNED


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        pytest.param(current, action, target, id=f"{current.value}-{action.value}")
        for (current, action), target in DESIGNED.items()
    ],
)
def test_allowed_action_leads_to_the_designed_state(
    current: PaymentStatus, action: Action, expected: PaymentStatus
) -> None:
    assert next_status(current, action) is expected


def test_fixing_an_approved_payment_voids_the_approval() -> None:
    assert next_status(S.APPROVED, A.FIX) is S.PROPOSED


@pytest.mark.parametrize("status", [S.PROPOSED, S.FAILED])
def test_fixing_a_proposal_or_failed_payment_keeps_its_state(status: PaymentStatus) -> None:
    assert next_status(status, A.FIX) is status


@pytest.mark.parametrize(("current", "action"), NOT_ALLOWED)
def test_action_outside_the_table_is_an_invalid_transition_naming_the_current_state(
    current: PaymentStatus, action: Action
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_status(current, action)
    assert caught.value.code == "invalid_transition"
    assert caught.value.user_message.startswith(f"This payment is {current.value} and cannot be ")


def test_every_status_and_action_pair_is_either_allowed_or_refused() -> None:
    assert len(NOT_ALLOWED) + len(DESIGNED) == len(PaymentStatus) * len(Action)


def test_invalid_transition_names_the_payment_when_its_id_is_given() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_status(S.POSTED, A.DELETE, payment_id=42)
    assert caught.value.user_message == "Payment 42 is posted and cannot be deleted."


def test_invalid_transition_message_says_what_could_not_be_done() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_status(S.DUE, A.APPROVE)
    assert caught.value.user_message == "This payment is due and cannot be approved."


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.PROPOSED, {A.APPROVE, A.SIGN, A.FIRST_SIGNATURE, A.DELETE, A.FIX}),
        (S.APPROVED, {A.SIGN, A.FIRST_SIGNATURE, A.DELETE, A.FIX}),
        (S.DUE, {A.SEND, A.UNSIGN}),
        (S.PROCESSING, {A.REJECT, A.CONFIRM}),
        (S.FAILED, {A.FIX, A.SIGN, A.FIRST_SIGNATURE, A.CONFIRM}),
        (S.PAID, {A.POST}),
        (S.POSTED, set()),
        (S.DELETED, {A.RESTORE}),
    ],
    ids=lambda value: value.value if isinstance(value, PaymentStatus) else None,
)
def test_allowed_actions_lists_what_each_state_permits(
    status: PaymentStatus, expected: set[Action]
) -> None:
    assert allowed_actions(status) == frozenset(expected)


def test_a_posted_payment_allows_nothing() -> None:
    assert allowed_actions(S.POSTED) == frozenset()


@pytest.mark.parametrize("status", list(PaymentStatus), ids=lambda status: status.value)
def test_allowed_actions_are_exactly_those_next_status_accepts(status: PaymentStatus) -> None:
    for action in Action:
        if action in allowed_actions(status):
            next_status(status, action)
        else:
            with pytest.raises(InvalidTransition):
                next_status(status, action)
