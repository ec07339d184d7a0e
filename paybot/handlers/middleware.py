"""Middleware run before every listener: each Events API event is handled once.

Slack sends an event again when it got no 2xx within 3 seconds (`X-Slack-Retry-Num`, same
`event_id`), also while the first delivery is still being handled, and paybot may run in several
processes. So every delivery claims `event:<event_id>` in the database; only the first claim
goes on to the listeners, the others are acknowledged and dropped. A claim is never taken over:
a delivery that failed half-way is not redone by a retry, as redoing it could act twice.
Interactive payloads (clicks, submissions) are not retried by Slack; a double click is refused by
the services' compare-and-set on the payment's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from paybot.handlers.deps import Deps
from paybot.services import slack_records

log = logging.getLogger("paybot.slack")


def register(app: App, deps: Deps) -> None:
    app.use(once_per_event(deps))


def once_per_event(deps: Deps) -> Callable[..., BoltResponse | None]:
    """A global Bolt middleware that lets only the first delivery of an event through."""

    def middleware(
        body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            next()
            return None
        key = f"event:{event_id}"
        if slack_records.claim(deps.uow(), key=key, now=deps.clock(), takeover_after=None):
            next()
            return None
        log.info(
            "event %s delivered again (retry %s, %s): already handled, dropped",
            event_id,
            _header(request, "x-slack-retry-num"),
            _header(request, "x-slack-retry-reason"),
        )
        # Stops Slack's further retries of this event (HTTP mode; Socket Mode has no headers).
        return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})

    return middleware


def _header(request: BoltRequest, name: str) -> str:
    values = request.headers.get(name) or []
    return str(values[0]) if values else "-"
