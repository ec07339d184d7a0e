"""The Slack app: a Bolt App with paybot's listeners, talking to the Web API it is given."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from paybot.core.errors import ValidationFailed
from paybot.handlers import middleware, register_all
from paybot.handlers.deps import Deps
from paybot.handlers.follow_ups import FollowUps
from paybot.handlers.request_context import context_executor
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


def check_bot_token(token: str, api_url: str, *, timeout: int = 10) -> None:
    """Asks Slack (auth.test) whether it takes the bot token, once, before anything starts.

    Raises:
        ValidationFailed: in one line, naming the setting and what Slack said.
    """
    try:
        WebClient(token=token, base_url=api_url, timeout=timeout).auth_test()
    except SlackApiError as error:
        data = error.response.data
        said = str(
            (data.get("error") if isinstance(data, dict) else None) or error.response.status_code
        )
        raise ValidationFailed(
            {"SLACK_BOT_TOKEN": f"Slack refused it ({said})"},
            f"Slack refused SLACK_BOT_TOKEN ({said}): check the Bot User OAuth Token (xoxb-…) "
            "on the app's OAuth & Permissions page.",
        ) from None
    except (SlackClientError, OSError) as error:
        reason = " ".join(str(getattr(error, "reason", error)).split())
        raise ValidationFailed(
            {"SLACK_BOT_TOKEN": "Slack could not be reached"},
            f"could not reach Slack at {api_url} to check SLACK_BOT_TOKEN: {reason}",
        ) from None


def create_app(*, token: str, signing_secret: str, api_url: str, deps: Deps) -> PaybotApp:
    """Requests are verified with the signing secret; listeners ack first, slow work runs lazily.
    Bolt logs through `paybot.bolt`, which logs no request body."""
    app = PaybotApp(
        deps.follow_ups,
        client=web_client(token, api_url),
        signing_secret=signing_secret,
        logger=bolt_logger(),
        process_before_response=True,
        # Lazy listeners run in the request's context: their log records carry its request id.
        listener_executor=context_executor(LAZY_WORKERS, thread_name_prefix="lazy"),
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

    def __init__(
        self,
        follow_ups: FollowUps,
        *,
        signing_secret: str,
        listener_executor: Executor,
        **options: Any,
    ) -> None:
        super().__init__(
            signing_secret=signing_secret, listener_executor=listener_executor, **options
        )
        self._follow_ups = follow_ups
        self._lazy = listener_executor
        # The HTTP gate (serving.wsgi_app) checks signatures before Bolt parses anything.
        self.signing_secret = signing_secret

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with self._follow_ups.answering():
            return super().dispatch(req)

    def finish_lazy_work(self, timeout: float) -> bool:
        """Takes no more work after the acknowledgements and waits up to `timeout` seconds for
        what was handed over (modals, card updates, Home tabs); True when all of it is done.
        A stopping process calls this: the people who clicked were told it would happen."""
        done = threading.Event()

        def wait() -> None:
            self._lazy.shutdown(wait=True)
            done.set()

        # Executor.shutdown waits without a limit: the limit is kept here.
        threading.Thread(target=wait, name="lazy-shutdown", daemon=True).start()
        return done.wait(max(timeout, 0))


def bolt_logger() -> logging.Logger:
    """The logger Bolt is given: Bolt hands its level and filters on to each logger it makes
    (signature check, listeners, ...), and so the filter that keeps request bodies out."""
    logger = logging.getLogger("paybot.bolt")
    if not any(isinstance(f, WithoutBodies) for f in logger.filters):
        logger.addFilter(WithoutBodies())
        logger.addFilter(_not_about_the_given_client)
    return logger


def _not_about_the_given_client(record: logging.LogRecord) -> bool:
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and warns at every start that the
    client paybot gives it wins; that client carries the same token, so there is nothing to say."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


class WithoutBodies(logging.Filter):
    """Bolt puts a body into some messages: a bad signature (INFO, the whole raw body), an
    unhandled request and a middleware that did not go on (WARNING), every answer (DEBUG).
    paybot logs no body: such a message is cut where the body starts, and no message is longer
    than MAX_MESSAGE."""

    MAX_MESSAGE = 500
    # Where Bolt's messages start quoting the body (slack_bolt.logger.messages, and the
    # RequestVerification middleware), and what is said instead.
    BODY_STARTS = {
        ", body: ": "not logged)",
        "Unhandled request (": "body not logged)",
        "for the request (": "body not logged)",
        "Request body: ": "not logged",
        # At DEBUG, every answer Bolt sends (a search's results, a person's own text).
        ' body: "': 'not logged")',
    }

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for mark, instead in self.BODY_STARTS.items():
            if mark in message:
                kept = message[: message.index(mark) + len(mark)][: self.MAX_MESSAGE]
                record.msg, record.args = kept + instead, None
                return True
        if len(message) > self.MAX_MESSAGE:
            record.msg = f"{message[: self.MAX_MESSAGE]}… (cut: {len(message)} characters)"
            record.args = None
        return True
