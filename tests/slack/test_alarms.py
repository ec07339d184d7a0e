"""Alarms reach people: the alerts channel hears each once, with the buttons that resolve it, and
the log hears it at WARNING; on both databases, through paybot's real HTTP endpoint."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import Entry, EntryTransaction, Notification
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.services import netbank, payments, returns, signing
from paybot.store.uow import UnitOfWork
from tests.builders import BOX, COMPANY_ACCOUNT, OSLO, SIGNER, VIEWER, Authenticator
from tests.services.test_alerts import ALERTS, SENT, Bank, company, proposals, to_silent
from tests.slack.conftest import Clock, SlackEndpoint, text_of
from tests.slack.test_alerts import actions_of, post, time_  # noqa: F401 - fixtures

DAYS = SENT + timedelta(days=3)


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


def camt(name: str, e2e: str, amount: Decimal, *, returned: str | None = None) -> bytes:
    entry = Entry(
        account=COMPANY_ACCOUNT,
        amount=amount,
        currency="NOK",
        direction="CRDT" if returned else "DBIT",
        status="BOOK",
        booking_date=date(2026, 11, 26),
        value_date=date(2026, 11, 26),
        bank_reference=f"R-{e2e}",
        transactions=(
            EntryTransaction(
                end_to_end_id=e2e, amount=amount, currency="NOK", return_reason=returned
            ),
        ),
    )
    out = io.BytesIO()
    write_camt054(out, Notification(name, DAYS, "camt.054.001.02"), [entry])
    return out.getvalue()


def held_twice(uow: UnitOfWork, phone: Authenticator, bank: Bank) -> int:
    """Sent to a silent payee, no answer, "did not leave", signed and sent again: then the bank
    books the first send while the second is at the bank."""
    [payment] = proposals(uow, to_silent())
    bank.send(uow, phone, [payment], SENT)
    returns.check_missing(uow, now=DAYS, zone=OSLO)
    netbank.resolve_missing(uow, actor=SIGNER, payment_id=payment, money_left=False, now=DAYS)
    bank.send(uow, phone, [payment], DAYS + timedelta(minutes=5))
    data = camt("LATE-1", f"PAYBOT-P{payment}-1", Decimal("1250.00"))
    result = returns.ingest(uow, name="late.xml", data=data, now=DAYS + timedelta(minutes=10))
    assert result.held == [payment]
    return payment


def alerts_in_channel(endpoint: SlackEndpoint) -> list[dict[str, Any]]:
    return [
        {"ts": ts, **body}
        for (channel, ts), body in endpoint.slack.messages.items()
        if channel == ALERTS
    ]


def test_money_that_may_leave_twice_is_said_in_the_channel_with_the_buttons_that_settle_it(
    uow: UnitOfWork,
    bank: Bank,
    endpoint: SlackEndpoint,
    post: Any,  # noqa: F811
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone = company(uow)
    with caplog.at_level(logging.WARNING, logger="paybot.alarms"):
        payment = held_twice(uow, phone, bank)
    assert any("ALARM twice" in r.getMessage() for r in caplog.records)

    post(DAYS + timedelta(minutes=11))

    messages = alerts_in_channel(endpoint)
    [alarm] = [m for m in messages if m["text"].startswith("🛑")]
    assert alarm["text"].startswith(
        f"🛑 Payment #{payment} to Stille AS, NOK 1,250.00: the bank booked PAYBOT-P{payment}-1 "
        f"while PAYBOT-P{payment}-2 may still leave. Stop PAYBOT-P{payment}-2 in the netbank now"
    )
    assert actions_of(alarm) == [Act.HOLD_PAID, Act.HOLD_NOT_PAID, Act.MORE]
    assert "What does the netbank show?" in text_of(alarm["blocks"])
    assert not any(m["text"].startswith("✅") for m in messages), "no batch is paid"
    assert post(DAYS + timedelta(minutes=12)) == 0  # said once

    # A viewer may not settle it; a signer may.
    endpoint.click(
        VIEWER.slack_user_id, Act.HOLD_PAID.value, str(payment), channel=ALERTS, ts=alarm["ts"]
    )
    [refusal] = endpoint.slack.wait_for("response_url")
    assert "signer role" in refusal["text"]
    assert payments.show(uow, payment_id=payment).payment.status is PaymentStatus.ON_HOLD
    clock.at = DAYS + timedelta(minutes=20)
    endpoint.click(
        SIGNER.slack_user_id, Act.HOLD_PAID.value, str(payment), channel=ALERTS, ts=alarm["ts"]
    )
    endpoint.slack.wait_for("chat.update")
    assert payments.show(uow, payment_id=payment).payment.status is PaymentStatus.PAID
    now_shown = endpoint.slack.messages[(ALERTS, alarm["ts"])]
    assert "Recorded as paid by" in text_of(now_shown["blocks"][1:])
    assert actions_of(now_shown) == [Act.MORE]


def test_money_that_comes_back_is_said_with_fix_and_sign_again(
    uow: UnitOfWork,
    bank: Bank,
    endpoint: SlackEndpoint,
    post: Any,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone = company(uow)
    [payment] = proposals(uow, {})
    bank.send(uow, phone, [payment], SENT)  # the sandbox books it at once
    assert payments.show(uow, payment_id=payment).payment.status is PaymentStatus.PAID
    post(SENT + timedelta(minutes=1))  # "batch paid"

    back = camt("BACK-1", f"PAYBOT-P{payment}-1", Decimal("1250.00"), returned="AC04")
    with caplog.at_level(logging.WARNING, logger="paybot.alarms"):
        result = returns.ingest(uow, name="back.xml", data=back, now=DAYS)
    assert result.returned == [payment]
    assert any("ALARM returned" in r.getMessage() for r in caplog.records)

    assert post(DAYS) == 1
    [alarm] = [m for m in alerts_in_channel(endpoint) if m["text"].startswith("↩️")]
    assert alarm["text"] == (
        f"↩️ The money of payment #{payment} to Leverandør AS, NOK 1,250.00, came back "
        f"(PAYBOT-P{payment}-1): The account is closed (AC04). It is failed again: fix it if "
        "needed and sign again if it is still to be paid."
    )
    assert actions_of(alarm) == [Act.FIX, Act.SIGN_AGAIN, Act.MORE]
    # Signed again, it is sent again: a new send.
    phone.at = DAYS + timedelta(minutes=5)
    code, at = phone.code()
    [again] = signing.sign(
        uow, BOX, actor=SIGNER, payment_ids=[payment], code=code, now=at, zone=OSLO
    )
    assert again.payment.status is PaymentStatus.DUE
