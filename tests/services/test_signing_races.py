"""Racing signatures on PostgreSQL: dual control and daily limits hold for clicks at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from paybot.core.errors import PaybotError
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.services import payments, people, signing
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    BOX,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    ledger_with,
)

CLICKS_PER_SIGNER = 4
KIDS = ["0000001230", "0000001248", "0000001255", "0000001263", "0000001271", "0000001289"]


@pytest.fixture(autouse=True)
def postgres_only(database_url: str) -> None:
    if "sqlite" in database_url:
        pytest.skip("races need row locks: PostgreSQL only (SQLite serializes every writer)")


Outcome = tuple[str, BaseException | None]
Click = Callable[[UnitOfWork], object]


def run_at_once(engine: Engine, clicks: list[Click]) -> list[Outcome]:
    """Runs each click in its own thread with its own unit of work, released together.

    Returns (who won or what was raised, the exception) per click.
    """
    barrier = threading.Barrier(len(clicks), timeout=30)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def run(click: Click) -> None:
        uow = UnitOfWork(engine)  # one per thread, as one per request
        barrier.wait()
        try:
            click(uow)
            outcome: Outcome = ("won", None)
        except BaseException as exc:  # noqa: BLE001 - collected, and asserted on by the test
            outcome = (type(exc).__name__, exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(click,)) for click in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == len(clicks), "every click got an answer"
    return outcomes


def assert_only_paybot_errors(outcomes: list[Outcome]) -> None:
    unexpected = [
        exc for _, exc in outcomes if exc is not None and not isinstance(exc, PaybotError)
    ]
    assert not unexpected, f"not a PaybotError: {unexpected!r}"


def a_signer(uow: UnitOfWork, slack_user_id: str) -> Authenticator:
    actor = ActorRef(slack_user_id)
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=slack_user_id,
        name=f"Signer {slack_user_id}",
        roles=[Role.SIGNER],
        now=NOW,
    )
    return enrolled(uow, actor)


def signing_click(phone: Authenticator, payment_id: int, code: str, at: datetime) -> Click:
    def click(uow: UnitOfWork) -> object:
        return signing.sign(
            uow, BOX, actor=phone.actor, payment_ids=[payment_id], code=code, now=at, zone=OSLO
        )

    return click


def test_three_signers_clicking_at_once_give_exactly_two_distinct_signatures(
    engine: Engine,
) -> None:
    setup = UnitOfWork(engine)
    first = a_company(setup)
    assert first is not None
    phones = [first, a_signer(setup, "USIGNER2"), a_signer(setup, "USIGNER3")]
    item = an_item(account=ACCOUNT_B)  # a changed account: two signatures needed
    payment_id = int(ledger_with(setup, [item], [a_supplier()])[item.voucher_no].id)
    clicks: list[Click] = []
    for phone in phones:
        code, at = phone.code()  # every click of one signer brings the same code
        clicks += [signing_click(phone, payment_id, code, at)] * CLICKS_PER_SIGNER

    outcomes = run_at_once(engine, clicks)

    assert_only_paybot_errors(outcomes)
    assert [result for result, _ in outcomes].count("won") == 2
    with engine.connect() as connection:
        signers = list(
            connection.scalars(
                text("SELECT user_id FROM signatures WHERE payment_id = :p AND voided_at IS NULL"),
                {"p": payment_id},
            )
        )
    assert len(signers) == len(set(signers)) == 2
    assert payments.show(setup, payment_id=payment_id).payment.status is PaymentStatus.DUE
    actions = [event["action"] for event in payments.show(setup, payment_id=payment_id).history]
    assert actions.count("payment.first_signature") == 1
    assert actions.count("payment.sign") == 1


def test_racing_signatures_by_one_signer_stay_within_the_daily_limit(engine: Engine) -> None:
    setup = UnitOfWork(engine)
    phone = a_company(setup)
    assert phone is not None
    people.set_user(
        setup, company_org_no=ORG_NO, user=SIGNER, max_per_day=Decimal("1000.00"), now=NOW
    )
    items = [an_item(amount=Decimal("400.00"), reference=kid) for kid in KIDS]
    found = ledger_with(setup, items, [a_supplier()])
    ids = [int(found[item.voucher_no].id) for item in items]
    # Each click brings a code of its own 30-second step, as a phone would over time.
    clicks = [signing_click(phone, payment_id, *phone.code()) for payment_id in ids]

    outcomes = run_at_once(engine, clicks)

    assert_only_paybot_errors(outcomes)
    with engine.connect() as connection:
        standing = list(
            connection.scalars(
                text(
                    "SELECT s.amount_company FROM signatures s JOIN users u ON u.id = s.user_id "
                    "WHERE u.slack_user_id = :slack AND s.voided_at IS NULL"
                ),
                {"slack": SIGNER.slack_user_id},
            )
        )
    total = sum((Decimal(units).scaleb(-4) for units in standing), Decimal(0))
    assert total <= Decimal("1000.00")
    wins = [result for result, _ in outcomes].count("won")
    assert 1 <= wins == len(standing) <= 2
    due = [
        payment_id
        for payment_id in ids
        if payments.show(setup, payment_id=payment_id).payment.status is PaymentStatus.DUE
    ]
    assert len(due) == wins
