"""Slack wants an answer within 3 seconds: paybot answers at once even when Slack's Web API is
slow or says "slow down", because the slow work runs after the answer (lazy listeners). Slack
holds the slow calls here until the test lets them go, and every answer comes while they are
still held: the order is proven, however fast or slow the machine. Through paybot's threaded HTTP
endpoint, on both databases."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from slack_sdk.http_retry import builtin_handlers

from paybot.app import web_client
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act, Block, View
from paybot.services import payments, proposals, slack_records
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    NOW,
    ORG_NO,
    SIGNER,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import CHANNEL, DEADLINE, Clock, Hold, SlackEndpoint


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    """Acme AS with its people (the signer's authenticator) and two proposals."""
    signer_phone = a_company(uow)
    assert signer_phone is not None
    ledger_with(uow, [an_item(), an_item()], [a_supplier()])
    return signer_phone


@pytest.fixture
def card(endpoint: SlackEndpoint, uow: UnitOfWork, phone: Authenticator) -> tuple[str, list[int]]:
    """A message in the finance channel showing the proposals: its ts and their ids."""
    ids = sorted(p.id for p in proposals.list_payments(uow, company_org_no=ORG_NO))
    client = web_client(endpoint.slack.token, endpoint.fake.url)
    ts = str(client.chat_postMessage(channel=CHANNEL, text="Proposals")["ts"])
    slack_records.record_message(
        uow,
        company_org_no=ORG_NO,
        kind="proposals",
        channel=CHANNEL,
        ts=ts,
        thread_ts=None,
        intro=[],
        payment_ids=ids,
        now=NOW,
    )
    return ts, ids


def status_of(uow: UnitOfWork, payment_id: int) -> PaymentStatus:
    [payment] = [
        p for p in proposals.list_payments(uow, company_org_no=ORG_NO) if p.id == payment_id
    ]
    return payment.status


def test_an_approve_click_is_answered_before_the_slow_card_update(
    endpoint: SlackEndpoint, uow: UnitOfWork, card: tuple[str, list[int]], hold: Hold
) -> None:
    ts, [payment_id, _] = card
    hold.methods.add("chat.update")

    status, _ = endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(payment_id), ts=ts)

    assert status == 200 and hold.passed == []  # answered while no card update got through
    assert hold.reached.wait(timeout=DEADLINE)  # the update is on its way, held
    assert endpoint.slack.calls_to("chat.update") == []
    hold.released.set()
    [update] = endpoint.slack.wait_for("chat.update", 1, timeout=DEADLINE)
    assert update["ts"] == ts and "Approved by" in json.dumps(update["blocks"])
    assert status_of(uow, payment_id) is PaymentStatus.APPROVED


@pytest.mark.parametrize("text", ["status", "search amount:>1000", "help"])
def test_bank_commands_are_answered_at_once_when_slack_is_slow(
    endpoint: SlackEndpoint, phone: Authenticator, hold: Hold, text: str
) -> None:
    hold.methods |= {"chat.postMessage", "views.publish"}

    status, body = endpoint.command(VIEWER.slack_user_id, text)

    assert status == 200 and hold.passed == []
    assert json.loads(body)["response_type"] == "ephemeral"


def test_a_sign_submission_is_answered_before_the_slow_card_update(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    clock: Clock,
    phone: Authenticator,
    card: tuple[str, list[int]],
    hold: Hold,
) -> None:
    ts, [payment_id, _] = card
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    hold.methods.add("chat.update")
    code, clock.at = phone.code()

    status, answer = endpoint.submit(
        SIGNER.slack_user_id,
        View.SIGN,
        {Block.CODE: {Block.CODE: {"type": "plain_text_input", "value": code}}},
        private_metadata=json.dumps({"ids": [payment_id], "channel": CHANNEL, "ts": ts}),
    )

    assert status == 200 and hold.passed == []
    assert answer is not None and answer["response_action"] == "update"
    assert status_of(uow, payment_id) is PaymentStatus.DUE
    assert hold.reached.wait(timeout=DEADLINE)
    hold.released.set()
    [update] = endpoint.slack.wait_for("chat.update", 1, timeout=DEADLINE)
    assert update["ts"] == ts


def test_opening_the_home_tab_is_answered_before_the_slow_publish(
    endpoint: SlackEndpoint, phone: Authenticator, hold: Hold
) -> None:
    hold.methods.add("views.publish")
    event = {"type": "app_home_opened", "user": SIGNER.slack_user_id, "tab": "home"}

    status, _ = endpoint.event(event)

    assert status == 200 and hold.passed == []
    assert hold.reached.wait(timeout=DEADLINE)
    assert endpoint.slack.calls_to("views.publish") == []
    hold.released.set()
    [published] = endpoint.slack.wait_for("views.publish", 1, timeout=DEADLINE)
    assert published["user_id"] == SIGNER.slack_user_id


def test_a_429_in_the_work_after_a_click_never_delays_the_answer(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    card: tuple[str, list[int]],
    hold: Hold,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=hold.sleep))
    ts, [payment_id, _] = card
    endpoint.slack.throttle("chat.update", times=1, retry_after=1)

    status, _ = endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(payment_id), ts=ts)

    assert status == 200 and hold.passed == []
    assert hold.reached.wait(timeout=DEADLINE)  # the card update got 429, waits Retry-After
    assert endpoint.slack.calls_to("chat.update") == []
    hold.released.set()
    [update] = endpoint.slack.wait_for("chat.update", 1, timeout=DEADLINE)
    assert update["ts"] == ts
    assert [call.method for call in endpoint.slack.ratelimited] == ["chat.update"]
