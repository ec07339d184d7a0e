"""/bank and the App Home through the real HTTP endpoint, signed as Slack signs, against the
local Slack Web API (both databases)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from paybot.store.uow import UnitOfWork
from tests.builders import SIGNER, VIEWER, a_company, a_supplier, an_item, ledger_with
from tests.slack.conftest import SlackEndpoint


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)
    ledger_with(
        uow,
        [an_item(), an_item(amount=an_item().amount * 3, reference="0000001230")],
        [a_supplier()],
    )


def ephemeral(answer: tuple[int, str]) -> dict[str, Any]:
    status, body = answer
    assert status == 200, body
    data = json.loads(body)
    assert data["response_type"] == "ephemeral"
    return data


def test_help_explains_the_command(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(SIGNER.slack_user_id, "help"))
    assert "/bank search QUERY" in data["blocks"][0]["text"]["text"]


def test_status_counts_payments_per_state(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "status"))
    text = json.dumps(data["blocks"], ensure_ascii=False)
    assert "Acme AS" in text and "Proposals: *2*" in text


def test_search_answers_with_the_matching_payments(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search amount:>2000"))
    assert data["text"] == "1 payment(s) match `amount:>2000`"
    assert "3750.00 NOK" in json.dumps(data["blocks"])


def test_a_bad_query_is_answered_in_a_sentence(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search amount:abc"))
    assert data["text"].startswith("amount:")


def test_someone_without_a_role_is_told_so(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command("UNOBODY", "status"))
    assert "no role" in data["text"]


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("forged", {"secret": "not-the-secret"}),
        ("unsigned", {"sign": False}),
        ("stale", {"age": 6 * 60}),
    ],
)
def test_requests_not_signed_by_slack_now_are_refused(
    endpoint: SlackEndpoint, how: str, kwargs: dict[str, Any]
) -> None:
    status, _ = endpoint.command(VIEWER.slack_user_id, "status", **kwargs)
    assert status == 401, how


def test_opening_the_home_tab_publishes_roles_and_counts(endpoint: SlackEndpoint) -> None:
    event = {
        "type": "event_callback",
        "team_id": "",
        "event_id": "Ev1",
        "event_time": int(time.time()),
        "event": {
            "type": "app_home_opened",
            "user": SIGNER.slack_user_id,
            "tab": "home",
            "channel": "D1",
        },
    }
    status, _ = endpoint.post(json.dumps(event), "application/json")
    assert status == 200
    [published] = endpoint.slack.calls_to("views.publish")
    view = json.dumps(published["view"], ensure_ascii=False)
    assert published["user_id"] == SIGNER.slack_user_id
    assert "Your roles: signer" in view and "Proposals: *2*" in view
