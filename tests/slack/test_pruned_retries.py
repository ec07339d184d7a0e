"""Pruning the claims while Slack may still deliver an event again: the retry is still dropped,
through paybot's HTTP endpoint, on both databases."""

from __future__ import annotations

import pytest

from paybot.services import slack_records
from paybot.store.uow import UnitOfWork
from tests.builders import a_company
from tests.slack.conftest import Clock, SlackEndpoint
from tests.slack.test_retries import publishes, send_event


@pytest.fixture
def acme(uow: UnitOfWork) -> None:
    a_company(uow)


def test_a_retry_after_a_prune_inside_slacks_retry_window_is_still_dropped(
    endpoint: SlackEndpoint, uow: UnitOfWork, clock: Clock, acme: None
) -> None:
    assert send_event(endpoint, "EvPRUNED1")[0] == 200
    for retry, later in ((1, {"minutes": 1}), (2, {"minutes": 4}), (3, {"days": 2})):
        clock.advance(**later)
        slack_records.prune_claims(uow, now=clock.now())

        status, headers = send_event(endpoint, "EvPRUNED1", retry=retry)

        assert status == 200 and headers.get("x-slack-no-retry") == "1"
    assert publishes(endpoint) == 1
