"""A booking of an old send racing the dispatcher that is about to upload the re-send: either the
re-send is taken out before it leaves (Paid, nothing uploaded), or it has left and the payment is
On hold — never Paid with the re-send uploaded too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paybot.core.states import PaymentStatus
from paybot.services import dispatching, netbank, returns
from paybot.services.dispatching import DispatchOptions
from paybot.store.uow import UnitOfWork
from tests.builders import OSLO, SIGNER, Authenticator, sign_with
from tests.services.test_returns import (
    SENT,
    Bank,
    booked,
    camt054,
    phone,
    signed,
    view,
)
from tests.services.test_uploads import sent_ids

__all__ = ["phone"]

LATER = SENT + timedelta(days=3)


def resent(uow: UnitOfWork, phone: Authenticator, bank: Bank) -> int:
    """Sent, no answer, "did not leave" (the bank took the file), signed again: Due."""
    [payment] = signed(uow, phone)
    bank.send(uow, bank.folders())
    (bank.outbox / "PAYBOT-B1.xml").rename(bank.outbox.parent / "taken-B1.xml")
    returns.check_missing(uow, now=LATER, zone=OSLO)
    netbank.resolve_missing(uow, actor=SIGNER, payment_id=payment, money_left=False, now=LATER)
    phone.at = LATER
    sign_with(uow, phone, [payment])
    return payment


def dispatch(uow: UnitOfWork, bank: Bank, checkpoint: Callable[[str], None]) -> None:
    options = DispatchOptions(
        files_dir=bank.outbox.parent / "sent", checkpoint=checkpoint, zone=OSLO
    )
    dispatching.dispatch(uow, bank.folders(), now=LATER + timedelta(hours=1), options=options)


def book_the_first_send(engine: Engine, payment: int) -> returns.IngestResult:
    data = camt054("LATE", [booked(Decimal("1250.00"), end_to_end=f"PAYBOT-P{payment}-1")])
    return returns.ingest(UnitOfWork(engine), name="late.xml", data=data, now=LATER)


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


def test_a_booking_just_after_the_resends_file_was_written_takes_the_resend_out(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    payment = resent(uow, phone, bank)
    seen: list[returns.IngestResult] = []

    dispatch(
        uow,
        bank,
        lambda step: (
            seen.append(book_the_first_send(engine, payment)) if step == "written" else None
        ),
    )

    assert seen[0].paid == [payment]
    assert view(uow, payment).status is PaymentStatus.PAID
    assert f"PAYBOT-P{payment}-2" not in sent_ids(bank.outbox)


def test_a_booking_once_the_resend_began_to_upload_holds_the_payment(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    payment = resent(uow, phone, bank)
    seen: list[returns.IngestResult] = []

    dispatch(
        uow,
        bank,
        lambda step: (
            seen.append(book_the_first_send(engine, payment)) if step == "uploading" else None
        ),
    )

    assert seen[0].held == [payment]
    assert view(uow, payment).status is PaymentStatus.ON_HOLD
    assert sent_ids(bank.outbox)[f"PAYBOT-P{payment}-2"] == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("round_", range(4))
def test_at_once_it_is_paid_with_nothing_uploaded_or_held_with_the_resend_at_the_bank(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank, round_: int
) -> None:
    payment = resent(uow, phone, bank)
    start = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            dispatch(
                UnitOfWork(engine), bank, lambda step: start.wait() if step == "written" else None
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def the_bank() -> None:
        try:
            start.wait()
            book_the_first_send(engine, payment)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=dispatcher), threading.Thread(target=the_bank)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    uploaded = sent_ids(bank.outbox)[f"PAYBOT-P{payment}-2"]
    status = view(uow, payment).status
    assert (status, uploaded) in ((PaymentStatus.PAID, 0), (PaymentStatus.ON_HOLD, 1)), round_
