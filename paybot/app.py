"""The Slack app: a Bolt App with paybot's listeners, talking to the Web API it is given."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from paybot.handlers import middleware, register_all
from paybot.handlers.deps import Deps
from paybot.handlers.follow_ups import FollowUps
from paybot.handlers.views import i18n

log = logging.getLogger("paybot.slack")

# Threads for the work after the acks: modals opened, actions done, messages updated. Updates
# wait for a quiet moment (handlers/follow_ups.py), so the others must not queue behind them.
LAZY_WORKERS = 8


def web_client(token: str, api_url: str) -> WebClient:
    """A Web API client that retries Slack's 429s after Retry-After, and dropped connections."""
    return WebClient(
        token=token,
        base_url=api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def create_app(*, token: str, signing_secret: str, api_url: str, deps: Deps) -> App:
    """Requests are verified with the signing secret; listeners ack first, slow work runs lazily."""
    app = PaybotApp(
        deps.follow_ups,
        client=web_client(token, api_url),
        signing_secret=signing_secret,
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=LAZY_WORKERS, thread_name_prefix="lazy"),
    )
    i18n.preload()
    middleware.register(app, deps)  # before any listener: each event handled once
    register_all(app, deps)

    @app.error
    def on_error(error: Exception) -> None:
        log.exception("unhandled error in a Slack listener: %s", error)

    return app


class PaybotApp(App):
    """Bolt's App, counting the requests it is answering (work that can wait waits for none)."""

    def __init__(self, follow_ups: FollowUps, **options: Any) -> None:
        super().__init__(**options)
        self._follow_ups = follow_ups

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with self._follow_ups.answering():
            return super().dispatch(req)
