"""The Slack app: a Bolt App with paybot's listeners, talking to the Web API it is given."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from paybot.handlers import middleware, register_all
from paybot.handlers.deps import Deps

log = logging.getLogger("paybot.slack")

LAZY_WORKERS = 2


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
    app = App(
        client=web_client(token, api_url),
        signing_secret=signing_secret,
        process_before_response=True,
        # The work after the acks (card updates, Home tabs) runs on few threads, so that under a
        # burst of clicks the acks, not the follow-ups, get the interpreter first.
        listener_executor=ThreadPoolExecutor(max_workers=LAZY_WORKERS, thread_name_prefix="lazy"),
    )
    middleware.register(app, deps)  # before any listener: each event handled once
    register_all(app, deps)

    @app.error
    def on_error(error: Exception) -> None:
        log.exception("unhandled error in a Slack listener: %s", error)

    return app
