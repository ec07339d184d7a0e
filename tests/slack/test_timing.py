"""Slack wants an answer within 3 seconds: paybot answers at once even when Slack's Web API is
slow or says "slow down", because the slow work runs after the answer (lazy listeners).
Through paybot's threaded HTTP endpoint, on both databases."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import TypeVar

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
from tests.slack.conftest import CHANNEL, Clock, SlackEndpoint

T = TypeVar("T")

SLOW = 1.0  # seconds the slow Web API method takes
# An answer sooner than the slow call could have been made cannot have waited for it (and is
# well within Slack's 3 s); any slow work before the answer would take at least SLOW.
AT_ONCE = SLOW


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


def timed(send: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    answer = send()
    return answer, time.monotonic() - started


def status_of(uow: UnitOfWork, payment_id: int) -> PaymentStatus:
    [payment] = [
        p for p in proposals.list_payments(uow, company_org_no=ORG_NO) if p.id == payment_id
    ]
    return payment.status


def test_an_approve_click_is_answered_before_the_slow_card_update(
    endpoint: SlackEndpoint, uow: UnitOfWork, card: tuple[str, list[int]]
) -> None:
    ts, [payment_id, _] = card
    endpoint.slack.delays["chat.update"] = SLOW

    (status, _), took = timed(
        lambda: endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(payment_id), ts=ts)
    )
    updates_at_answer = len(endpoint.slack.calls_to("chat.update"))

    assert status == 200 and took < AT_ONCE
    assert updates_at_answer == 0
    [update] = endpoint.slack.wait_for("chat.update", 1, timeout=5)
    assert update["ts"] == ts and "Approved by" in json.dumps(update["blocks"])
    assert status_of(uow, payment_id) is PaymentStatus.APPROVED


@pytest.mark.parametrize("text", ["status", "search amount:>1000", "help"])
def test_bank_commands_are_answered_at_once_when_slack_is_slow(
    endpoint: SlackEndpoint, phone: Authenticator, text: str
) -> None:
    endpoint.slack.delays |= {method: SLOW for method in ("chat.postMessage", "views.publish")}

    (status, body), took = timed(lambda: endpoint.command(VIEWER.slack_user_id, text))

    assert status == 200 and took < AT_ONCE
    assert json.loads(body)["response_type"] == "ephemeral"


def test_a_sign_submission_is_answered_before_the_slow_card_update(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    clock: Clock,
    phone: Authenticator,
    card: tuple[str, list[int]],
) -> None:
    ts, [payment_id, _] = card
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    endpoint.slack.delays["chat.update"] = SLOW
    code, clock.at = phone.code()

    (status, answer), took = timed(
        lambda: endpoint.submit(
            SIGNER.slack_user_id,
            View.SIGN,
            {Block.CODE: {Block.CODE: {"type": "plain_text_input", "value": code}}},
            private_metadata=json.dumps({"ids": [payment_id], "channel": CHANNEL, "ts": ts}),
        )
    )

    assert status == 200 and took < AT_ONCE
    assert answer is not None and answer["response_action"] == "update"
    assert status_of(uow, payment_id) is PaymentStatus.DUE
    [update] = endpoint.slack.wait_for("chat.update", 1, timeout=5)
    assert update["ts"] == ts


def test_opening_the_home_tab_is_answered_before_the_slow_publish(
    endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    endpoint.slack.delays["views.publish"] = SLOW
    event = {"type": "app_home_opened", "user": SIGNER.slack_user_id, "tab": "home"}

    (status, _), took = timed(lambda: endpoint.event(event))

    assert status == 200 and took < AT_ONCE
    assert endpoint.slack.calls_to("views.publish") == []
    [published] = endpoint.slack.wait_for("views.publish", 1, timeout=5)
    assert published["user_id"] == SIGNER.slack_user_id


class Gate:
    """slack-sdk's wait after a 429, held until the test lets it go."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.open = threading.Event()

    def sleep(self, _seconds: float) -> None:
        self.waiting.set()
        self.open.wait(timeout=10)


def test_a_429_in_the_work_after_a_click_never_delays_the_answer(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    card: tuple[str, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate()
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=gate.sleep))
    ts, [payment_id, _] = card
    endpoint.slack.throttle("chat.update", times=1, retry_after=1)

    (status, _), took = timed(
        lambda: endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(payment_id), ts=ts)
    )

    assert status == 200 and took < AT_ONCE
    assert gate.waiting.wait(timeout=5)  # the card update got 429 and is waiting Retry-After
    assert endpoint.slack.calls_to("chat.update") == []
    gate.open.set()
    [update] = endpoint.slack.wait_for("chat.update", 1, timeout=5)
    assert update["ts"] == ts
    assert [call.method for call in endpoint.slack.ratelimited] == ["chat.update"]
