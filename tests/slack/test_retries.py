"""Slack delivering the same thing twice, Slack saying "slow down", and requests Slack did not
send: through paybot's threaded HTTP endpoint (and Socket Mode), on both databases."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.socket_mode.request import SocketModeRequest

from paybot.app import create_app, web_client
from paybot.core.states import PaymentStatus
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Block, View
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import audit_trail, proposals
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, ORG_NO, SIGNER, a_company, a_supplier, an_item, ledger_with
from tests.slack.conftest import CHANNEL, DEADLINE, SECRET, Hold, LazyWork, SlackEndpoint


@pytest.fixture
def payments(uow: UnitOfWork) -> list[int]:
    """Acme AS with its people, and two proposals."""
    a_company(uow)
    found = ledger_with(uow, [an_item(), an_item()], [a_supplier()])
    return sorted(payment.id for payment in found.values())


def home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"}


def send_event(
    endpoint: SlackEndpoint, event_id: str, retry: int = 0
) -> tuple[int, dict[str, str]]:
    """An app_home_opened event as Slack sends it (a retry has the retry headers); the answer's
    status and headers."""
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": home_opened(SIGNER.slack_user_id),
        }
    )
    timestamp = str(int(time.time()))
    digest = hmac.new(
        SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
    }
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    request = urllib.request.Request(endpoint.url, body.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}


def publishes(endpoint: SlackEndpoint) -> int:
    """How many Home tabs were published, once all the work after the answers is done."""
    endpoint.settle()
    return len(endpoint.slack.calls_to("views.publish"))


# --- events delivered again ------------------------------------------------------------------


def test_a_retried_event_is_handled_once(endpoint: SlackEndpoint, payments: list[int]) -> None:
    assert send_event(endpoint, "EvHOME1")[0] == 200
    status, headers = send_event(endpoint, "EvHOME1", retry=1)

    assert status == 200
    assert headers.get("x-slack-no-retry") == "1"
    assert publishes(endpoint) == 1


def test_a_retry_of_an_event_paybot_never_got_is_handled(
    endpoint: SlackEndpoint, payments: list[int]
) -> None:
    status, headers = send_event(endpoint, "EvLOST1", retry=1)  # the first attempt never came

    assert status == 200 and "x-slack-no-retry" not in headers
    assert publishes(endpoint) == 1


def test_different_events_are_each_handled(endpoint: SlackEndpoint, payments: list[int]) -> None:
    send_event(endpoint, "EvA")
    send_event(endpoint, "EvB")

    assert publishes(endpoint) == 2


def test_a_retry_arriving_while_the_first_is_still_running_is_dropped(
    endpoint: SlackEndpoint, payments: list[int], hold: Hold
) -> None:
    hold.methods.add("views.publish")
    assert send_event(endpoint, "EvSLOW")[0] == 200
    assert hold.reached.wait(timeout=DEADLINE)  # the first delivery's work is waiting on Slack

    status, headers = send_event(endpoint, "EvSLOW", retry=1)

    assert status == 200 and headers.get("x-slack-no-retry") == "1"
    assert hold.passed == []  # answered while the first delivery's work was still held
    hold.released.set()
    assert publishes(endpoint) == 1


def test_a_socket_mode_retry_is_dropped_too(deps: Deps, payments: list[int]) -> None:
    def envelope(**retry: Any) -> SocketModeRequest:
        request = SocketModeRequest.from_dict(
            {
                "envelope_id": "08cfc559-d933-402e-a5c1-79e135afaae4",
                "type": "events_api",
                "accepts_response_payload": False,
                "payload": {
                    "type": "event_callback",
                    "team_id": "",
                    "api_app_id": "A0PAYBOT",
                    "event_id": "EvSOCKET1",
                    "event_time": int(time.time()),
                    "event": home_opened(SIGNER.slack_user_id),
                },
                **retry,
            }
        )
        assert request is not None
        return request

    with FakeSlackServer() as fake:
        app = create_app(token=fake.slack.token, signing_secret=SECRET, api_url=fake.url, deps=deps)
        lazy = LazyWork.of(app)
        first = run_bolt_app(app, envelope())
        again = run_bolt_app(app, envelope(retry_attempt=1, retry_reason="timeout"))
        lazy.settle()
        published = fake.slack.calls_to("views.publish")

    assert first.status == again.status == 200
    assert len(published) == 1


# --- Slack's 429 -------------------------------------------------------------------------------


class Sleeps:
    """slack-sdk's retry handler's sleep, recorded instead of slept."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    recorded = Sleeps()
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=recorded.sleep))
    return recorded


def test_paybots_client_waits_as_slack_says_after_a_429_then_succeeds(sleeps: Sleeps) -> None:
    with FakeSlackServer() as fake:
        fake.slack.throttle("views.publish", times=2, retry_after=3)
        client = web_client(fake.slack.token, fake.url)
        answer = client.views_publish(
            user_id=SIGNER.slack_user_id,
            view={"type": "home", "blocks": [{"type": "divider"}]},
        )

    assert answer["ok"] is True
    assert [int(seconds) for seconds in sleeps.slept] == [3, 3]  # Retry-After, plus jitter
    assert len(fake.slack.ratelimited) == 2
    assert len(fake.slack.calls_to("views.publish")) == 1


def test_posting_faster_than_a_channels_rate_limit_is_answered_429() -> None:
    with FakeSlackServer() as fake:
        fake.slack.rate_limits["chat.postMessage"] = 1.0
        bare = WebClient(token=fake.slack.token, base_url=fake.url)  # no retry handlers
        bare.chat_postMessage(channel=CHANNEL, text="first")
        with pytest.raises(SlackApiError) as refused:
            bare.chat_postMessage(channel=CHANNEL, text="second, at once")
        elsewhere = bare.chat_postMessage(channel="C0OTHER", text="another channel")

    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"
    assert refused.value.response["error"] == "ratelimited"
    assert elsewhere["ok"] is True


# --- requests Slack did not send ------------------------------------------------------------

NOT_FROM_SLACK = [
    ("forged", {"secret": "not-the-secret"}),
    ("unsigned", {"sign": False}),
    ("stale", {"age": 6 * 60}),
]


@pytest.mark.parametrize(("how", "kwargs"), NOT_FROM_SLACK)
def test_a_click_not_signed_by_slack_now_is_refused_and_does_nothing(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    payments: list[int],
    how: str,
    kwargs: dict[str, Any],
) -> None:
    before = proposals.list_payments(uow, company_org_no=ORG_NO)

    status, _ = endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(payments[0]), **kwargs)

    assert status == 401, how
    assert proposals.list_payments(uow, company_org_no=ORG_NO) == before
    assert {p.status for p in before} == {PaymentStatus.PROPOSED}
    assert [call.method for call in endpoint.slack.calls if call.method != "auth.test"] == []


@pytest.mark.parametrize(("how", "kwargs"), NOT_FROM_SLACK)
def test_a_modal_submission_not_signed_by_slack_now_is_refused_and_does_nothing(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    payments: list[int],
    how: str,
    kwargs: dict[str, Any],
) -> None:
    before = proposals.list_payments(uow, company_org_no=ORG_NO)

    status, _ = endpoint.submit(
        SIGNER.slack_user_id,
        View.SIGN,
        {Block.CODE: {Block.CODE: {"type": "plain_text_input", "value": "123456"}}},
        private_metadata=json.dumps({"ids": payments}),
        **kwargs,
    )

    assert status == 401, how
    assert proposals.list_payments(uow, company_org_no=ORG_NO) == before
    assert [call.method for call in endpoint.slack.calls if call.method != "auth.test"] == []


# --- a double click ----------------------------------------------------------------------------


def test_a_double_click_on_approve_approves_once_and_tells_the_second_click_why_not(
    endpoint: SlackEndpoint, uow: UnitOfWork, payments: list[int]
) -> None:
    payment_id = payments[0]

    def click() -> None:
        status, _ = endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(payment_id))
        assert status == 200

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=DEADLINE)
    endpoint.settle()

    [refusal] = endpoint.slack.calls_to("response_url")
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert "approved" in refusal["text"].lower()
    steps = [e["action"] for e in audit_trail.history(uow, payment_id=payment_id)]
    assert steps.count("payment.approve") == 1
    [payment] = [
        p for p in proposals.list_payments(uow, company_org_no=ORG_NO) if p.id == payment_id
    ]
    assert payment.status is PaymentStatus.APPROVED
