"""What the bank's answers do to a send and to its payment (core.sends), with plain objects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybot.core.sends import (
    LIVE,
    AlarmKind,
    Answer,
    Effect,
    PaymentAtBank,
    Send,
    SendState,
    answered,
    react,
    same_account,
)
from paybot.core.states import PaymentStatus

S, P = SendState, PaymentStatus
states = st.sampled_from(list(SendState))
answers = st.sampled_from(list(Answer))


# --- a send's own state -------------------------------------------------------------------------


@given(states, answers, st.booleans())
def test_a_booking_is_only_ever_undone_by_a_return(
    state: SendState, answer: Answer, names_it: bool
) -> None:
    after = answered(state, answer, names_it=names_it)
    if state is S.BOOKED:
        assert after in (S.BOOKED, S.RETURNED)


@given(states, answers, st.booleans())
def test_a_return_is_final(state: SendState, answer: Answer, names_it: bool) -> None:
    if state is S.RETURNED:
        assert answered(state, answer, names_it=names_it) is S.RETURNED


@given(states, st.booleans())
def test_a_status_never_brings_a_send_back_to_life(state: SendState, names_it: bool) -> None:
    after = answered(state, Answer.STATUS, names_it=names_it)
    if state not in LIVE:
        assert after is state


@given(states, answers, st.booleans())
def test_the_same_answer_twice_is_the_same_as_once(
    state: SendState, answer: Answer, names_it: bool
) -> None:
    once = answered(state, answer, names_it=names_it)
    assert answered(once, answer, names_it=names_it) is once


def test_a_rejection_naming_a_booked_send_is_a_return_but_one_of_its_batch_is_not() -> None:
    assert answered(S.BOOKED, Answer.REJECTED, names_it=True) is S.RETURNED
    assert answered(S.BOOKED, Answer.REJECTED, names_it=False) is S.BOOKED


@pytest.mark.parametrize("state", [S.PREPARED, S.SENT, S.ACCEPTED, S.NOT_LEFT, S.CANCELLED])
def test_a_booking_of_any_send_that_was_not_returned_means_money_left(state: SendState) -> None:
    assert answered(state, Answer.BOOKED) is S.BOOKED


# --- what it means for the payment --------------------------------------------------------------

OLD, NEW = Send(1, 10, S.SENT), Send(2, 20, S.SENT)


def at_bank(status: PaymentStatus, batch: int | None, kind: str | None = None) -> PaymentAtBank:
    return PaymentAtBank(status, kind, batch)


def test_a_late_rejection_of_an_earlier_send_leaves_the_current_send_alone() -> None:
    old = Send(1, 10, S.REJECTED)
    reaction = react(at_bank(P.PROCESSING, 20), [old, NEW], old, S.REJECTED)
    assert reaction.effect is Effect.NONE
    # ... even the first time the bank says so of that send.
    reaction = react(at_bank(P.PROCESSING, 20), [old, NEW], old, S.SENT)
    assert reaction.effect is Effect.NONE


def test_a_rejection_of_the_current_send_fails_the_payment() -> None:
    now = Send(2, 20, S.REJECTED)
    assert react(at_bank(P.PROCESSING, 20), [now], now, S.SENT).effect is Effect.FAILED


def test_a_booking_of_an_earlier_send_while_another_is_at_the_bank_holds_the_payment() -> None:
    booked = Send(1, 10, S.BOOKED)
    reaction = react(at_bank(P.PROCESSING, 20), [booked, NEW], booked, S.NOT_LEFT)
    assert (reaction.effect, reaction.alarm, reaction.hold_kind) == (
        Effect.HOLD,
        AlarmKind.TWICE,
        "twice",
    )
    assert reaction.live == (NEW,)


def test_a_booking_of_an_earlier_send_pays_a_payment_signed_again_and_cancels_its_resend() -> None:
    booked = Send(1, 10, S.BOOKED)
    waiting = Send(2, 20, S.PREPARED, cancellable=True)
    reaction = react(at_bank(P.DUE, 20), [booked, waiting], booked, S.NOT_LEFT)
    assert (reaction.effect, reaction.alarm) == (Effect.PAID, AlarmKind.PAID_AFTER_ALL)
    assert (reaction.cancel, reaction.batch, reaction.resend_cancelled) == ((2,), 10, True)


def test_a_resend_already_uploading_is_live_and_the_payment_is_held() -> None:
    booked = Send(1, 10, S.BOOKED)
    uploading = Send(2, 20, S.PREPARED, cancellable=False)
    reaction = react(at_bank(P.DUE, 20), [booked, uploading], booked, S.NOT_LEFT)
    assert reaction.effect is Effect.HOLD


def test_the_booking_wins_over_no_answer() -> None:
    booked = Send(1, 10, S.BOOKED)
    reaction = react(at_bank(P.FAILED, 10, "no_return"), [booked], booked, S.SENT)
    assert (reaction.effect, reaction.alarm) == (Effect.PAID, None)


@pytest.mark.parametrize("status", [P.PAID, P.POSTED])
def test_a_second_booking_of_a_paid_payment_is_an_alarm(status: PaymentStatus) -> None:
    first, second = Send(1, 10, S.BOOKED), Send(2, 20, S.BOOKED)
    reaction = react(at_bank(status, 10), [first, second], second, S.SENT)
    assert (reaction.effect, reaction.alarm) == (Effect.NONE, AlarmKind.BOOKED_TWICE)


def test_a_repeated_booking_of_the_same_send_says_nothing() -> None:
    first = Send(1, 10, S.BOOKED)
    assert react(at_bank(P.PAID, 10), [first], first, S.BOOKED) == react(
        at_bank(P.PAID, 10), [first], first, S.BOOKED
    )
    assert react(at_bank(P.PAID, 10), [first], first, S.BOOKED).alarm is None


def test_a_booked_amount_that_differs_holds_the_payment() -> None:
    booked = Send(1, 10, S.BOOKED)
    reaction = react(at_bank(P.PROCESSING, 10), [booked], booked, S.SENT, amount_differs=True)
    assert (reaction.effect, reaction.alarm, reaction.hold_kind) == (
        Effect.HOLD,
        AlarmKind.AMOUNT,
        "amount",
    )


def test_money_coming_back_reopens_a_paid_payment() -> None:
    back = Send(1, 10, S.RETURNED)
    reaction = react(at_bank(P.PAID, 10), [back], back, S.BOOKED)
    assert (reaction.effect, reaction.alarm) == (Effect.RETURNED, AlarmKind.RETURNED)


def test_money_coming_back_of_a_posted_payment_is_an_alarm_only() -> None:
    back = Send(1, 10, S.RETURNED)
    reaction = react(at_bank(P.POSTED, 10), [back], back, S.BOOKED)
    assert (reaction.effect, reaction.alarm) == (Effect.NONE, AlarmKind.RETURNED)


def test_a_hold_is_released_when_the_bank_rejects_the_other_send() -> None:
    booked, other = Send(1, 10, S.BOOKED), Send(2, 20, S.REJECTED)
    reaction = react(at_bank(P.ON_HOLD, 20, "twice"), [booked, other], other, S.SENT)
    assert (reaction.effect, reaction.batch) == (Effect.PAID, 10)


def test_a_held_payment_whose_other_send_is_booked_too_has_left_twice() -> None:
    booked, other = Send(1, 10, S.BOOKED), Send(2, 20, S.BOOKED)
    reaction = react(at_bank(P.ON_HOLD, 20, "twice"), [booked, other], other, S.ACCEPTED)
    assert (reaction.effect, reaction.alarm) == (Effect.PAID, AlarmKind.BOOKED_TWICE)


def test_an_acceptance_after_no_answer_means_waiting_again() -> None:
    accepted = Send(1, 10, S.ACCEPTED)
    reaction = react(at_bank(P.FAILED, 10, "no_return"), [accepted], accepted, S.SENT)
    assert (reaction.effect, reaction.batch) == (Effect.PROCESSING, 10)


sends = st.lists(st.tuples(states, st.booleans()), min_size=1, max_size=4).map(
    lambda found: [
        Send(i + 1, (i + 1) * 10, state, cancellable=state is S.PREPARED and flag)
        for i, (state, flag) in enumerate(found)
    ]
)


@given(
    sends,
    st.sampled_from(list(PaymentStatus)),
    st.sampled_from([None, "rejected", "no_return", "checked_not_left", "twice", "amount"]),
    st.data(),
)
def test_a_payment_is_never_left_with_two_live_sends_unless_on_hold(
    found: list[Send], status: PaymentStatus, kind: str | None, data: st.DataObject
) -> None:
    """Whatever a booking meets, afterwards at most one send is live, or the payment is held."""
    index = data.draw(st.integers(0, len(found) - 1))
    before = found[index].state
    booked = Send(found[index].id, found[index].batch_id, S.BOOKED)
    found[index] = booked
    reaction = react(at_bank(status, found[-1].batch_id, kind), found, booked, before)
    left = [s for s in found if s.state in LIVE and s.id not in reaction.cancel]
    if reaction.effect is Effect.PAID:
        assert not left or before in LIVE and status is P.ON_HOLD
    if reaction.effect is Effect.NONE and status not in (P.PAID, P.POSTED, P.ON_HOLD):
        assert before is S.BOOKED  # only a repeat changes nothing


@pytest.mark.parametrize(
    ("named", "ours", "same"),
    [
        ("86011117947", "86011117947", True),
        ("8601.11.17947", "86011117947", True),
        ("NO9386011117947", "86011117947", True),
        ("no93 8601 1117 947", "86011117947", True),
        ("NO9386011117947", "NO9386011117947", True),
        ("86011117947", "15030100007", False),
        ("1117947", "86011117947", False),
        ("DE89370400440532013000", "86011117947", False),
        ("", "86011117947", False),
    ],
)
def test_an_account_named_by_a_file_is_ours_written_either_way(
    named: str, ours: str, same: bool
) -> None:
    assert same_account(named, ours) is same


@pytest.mark.parametrize(
    ("live", "effect"),
    [(S.SENT, Effect.PROCESSING), (S.ACCEPTED, Effect.PROCESSING), (S.PREPARED, Effect.DUE)],
)
def test_a_held_payment_whose_booking_came_back_waits_for_its_other_send_where_it_is(
    live: SendState, effect: Effect
) -> None:
    """Found by the model: the other send was still in a batch that had not reached the bank."""
    back, other = Send(1, 10, S.RETURNED), Send(2, 20, live)
    reaction = react(at_bank(P.ON_HOLD, 20, "twice"), [back, other], back, S.BOOKED)
    assert (reaction.effect, reaction.batch, reaction.alarm) == (effect, 20, AlarmKind.RETURNED)
