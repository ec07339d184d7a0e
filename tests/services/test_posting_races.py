"""Racing postings on PostgreSQL, with threads behind a barrier: two people posting the same
payment end with one voucher (the other is told its number); postings of different payments at
once take numbers without gaps or duplicates."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from paybot.core.errors import PaybotError
from paybot.core.posting import AlreadyPosted
from paybot.core.vouchers import Voucher
from paybot.services import posting
from paybot.services.common import ActorRef
from paybot.store.models import Voucher as VoucherRow
from paybot.store.models import VoucherPayment
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, NOW, ORG_NO, OSLO, SIGNER, a_company, a_supplier, an_item
from tests.builders import ledger_with as ledger
from tests.services.paid_payments import pay

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

PAID_AT = NOW + timedelta(days=2)


def race(engine: Engine, clicks: list[tuple[ActorRef, list[int]]]) -> list[object]:
    """Each click posts its payments from its own thread and unit of work, all at once; what
    each got back (its vouchers, or the error)."""
    barrier = threading.Barrier(len(clicks))
    outcomes: list[object] = [None] * len(clicks)

    def click(index: int) -> Callable[[], None]:
        actor, ids = clicks[index]

        def run() -> None:
            uow = UnitOfWork(engine)
            barrier.wait()
            try:
                outcomes[index] = posting.post(
                    uow, actor=actor, company_org_no=ORG_NO, payment_ids=ids, now=PAID_AT,
                    zone=OSLO,
                )  # fmt: skip
            except PaybotError as error:
                outcomes[index] = error

        return run

    threads = [threading.Thread(target=click(i)) for i in range(len(clicks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def paid(engine: Engine, count: int) -> list[int]:
    uow = UnitOfWork(engine)
    a_company(uow)
    items = [an_item() for _ in range(count)]
    found = ledger(uow, items, [a_supplier()])
    ids = [found[item.voucher_no].id for item in items]
    pay(engine, ids, paid_at=PAID_AT)
    return ids


@pytest.mark.parametrize("round_no", range(3))
def test_two_people_posting_one_payment_make_one_voucher(engine: Engine, round_no: int) -> None:
    [payment_id] = paid(engine, 1)

    outcomes = race(engine, [(SIGNER, [payment_id]), (APPROVER, [payment_id])])

    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if isinstance(o, AlreadyPosted)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    [voucher] = won[0]
    assert isinstance(voucher, Voucher) and voucher.number == 1
    assert lost[0].user_message == f"Payment {payment_id} is posted already, as voucher 1 of 2026."
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(VoucherRow)).scalar() == 1
        assert connection.execute(select(VoucherPayment.payment_id)).scalars().all() == [payment_id]


def test_postings_at_once_take_every_number_once(engine: Engine) -> None:
    ids = paid(engine, 8)

    outcomes = race(engine, [(SIGNER, [payment_id]) for payment_id in ids])

    numbers = sorted(v.number for vouchers in outcomes for v in vouchers)  # type: ignore[attr-defined]
    assert numbers == list(range(1, 9))
    with engine.connect() as connection:
        stored = connection.execute(select(VoucherRow.number).order_by(VoucherRow.number))
        assert stored.scalars().all() == list(range(1, 9))
