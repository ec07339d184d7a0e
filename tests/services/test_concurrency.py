"""Racing clicks: many threads act on one payment; exactly one valid history comes out."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine

from paybot.core.errors import PaybotError
from paybot.core.policy import Role
from paybot.core.states import Action, PaymentStatus, next_status
from paybot.services import payments, people, signing
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    BOX,
    NOW,
    ORG_NO,
    OSLO,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    ledger_with,
)

THREADS_PER_ACTION = 8
BOSS = ActorRef("UBOSS")


@pytest.mark.parametrize("round_no", range(3))
def test_racing_approve_sign_and_delete_leave_one_valid_history(
    engine: Engine, round_no: int
) -> None:
    setup = UnitOfWork(engine)
    a_company(setup, with_people=False)
    people.add_user(
        setup,
        company_org_no=ORG_NO,
        slack_user_id=BOSS.slack_user_id,
        name="Boss",
        roles=[Role.APPROVER, Role.SIGNER],
        now=NOW,
    )
    phone = enrolled(setup, BOSS)
    item = an_item()
    payment_id = ledger_with(setup, [item], [a_supplier()])[item.voucher_no].id
    # Each signing click brings a code of its own 30-second step, as a phone would over time.
    codes = [phone.code() for _ in range(THREADS_PER_ACTION)]

    def sign(uow: UnitOfWork, *, actor: ActorRef, payment_ids: list[int], now: datetime) -> None:
        code, at = codes.pop()
        signing.sign(uow, BOX, actor=actor, payment_ids=payment_ids, code=code, now=at, zone=OSLO)

    actions: dict[Action, Callable[..., object]] = {
        Action.APPROVE: payments.approve,
        Action.SIGN: sign,
        Action.DELETE: payments.delete,
    }
    barrier = threading.Barrier(THREADS_PER_ACTION * len(actions))
    outcomes: list[tuple[Action, str]] = []
    lock = threading.Lock()

    def click(action: Action) -> None:
        uow = UnitOfWork(engine)  # one per thread, as one per request
        barrier.wait()
        try:
            actions[action](uow, actor=BOSS, payment_ids=[payment_id], now=NOW)
            result = "won"
        except PaybotError as exc:
            result = type(exc).__name__
        with lock:
            outcomes.append((action, result))

    threads = [
        threading.Thread(target=click, args=(action,))
        for action in actions
        for _ in range(THREADS_PER_ACTION)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == len(threads), "every click got an answer"
    losers = Counter(result for _, result in outcomes if result != "won")
    # A later click may also find its code older than one already used (a replayed step).
    assert set(losers) <= {"InvalidTransition", "ConcurrentChange", "CodeReplayed"}

    history = payments.show(setup, payment_id=payment_id).history
    transitions = [
        event for event in history if event["action"] not in ("payment.propose", "payment.refused")
    ]
    wins = [action for action, result in outcomes if result == "won"]
    assert len(transitions) == len(wins), "one audit event per successful transition"

    # Replaying the audited transitions from Proposals must be valid and end where the payment is.
    status = PaymentStatus.PROPOSED
    for event in transitions:
        assert event["before"]["status"] == status.value
        status = next_status(status, Action(event["action"].removeprefix("payment.")))
        assert event["after"]["status"] == status.value
    final = payments.show(setup, payment_id=payment_id).payment
    assert final.status is status
    assert final.version == 1 + len(transitions)
    # From Proposals at most two steps are possible (e.g. approve then sign or delete).
    assert 1 <= len(transitions) <= 2
