"""paybot's Slack endpoint on loopback, called as Slack calls it (signed requests), against the
local Slack Web API; on both databases."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from wsgiref.simple_server import WSGIServer
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_sdk import WebClient
from sqlalchemy import Engine

from paybot.app import create_app
from paybot.handlers.deps import Deps
from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.serving import http_server
from paybot.store.uow import UnitOfWork
from tests.builders import BOX, NOW

SECRET = "test-signing-secret"
CHANNEL = "C0FINANCE"
OSLO = ZoneInfo("Europe/Oslo")
DEADLINE = 30.0  # seconds: only a failing test waits this long for work to get somewhere
_numbers = count(1)


@dataclass
class Clock:
    """paybot's clock in these tests: still unless a test moves it."""

    at: datetime = NOW

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


class LazyWork(Executor):
    """The app's work after its answers (Bolt's lazy listeners), counted as it is handed to the
    app's threads: a test waits until it is all done instead of waiting a while."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    @classmethod
    def of(cls, app: App) -> LazyWork:
        """Counts the lazy work of `app` from now on."""
        runner = app.listener_runner.lazy_listener_runner
        assert isinstance(runner, ThreadLazyListenerRunner)
        tracked = cls(runner.executor)
        runner.executor = tracked
        return tracked

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self._executor.submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def settle(self) -> None:
        """Returns once all the work handed over so far is done (and whatever it handed over)."""
        seen = 0
        while True:
            with self._lock:
                pending = self._futures[seen:]
                seen = len(self._futures)
            if not pending:
                return
            _, running = wait(pending, timeout=DEADLINE)
            assert not running, f"{len(running)} pieces of work still running after {DEADLINE} s"


class Hold:
    """Slack holding calls until the test lets them go (or DEADLINE passes): the chosen Web API
    methods (in FakeSlack.slow_down's place) or slack-sdk's wait after a 429 (`sleep`). Whatever
    got through is in `passed`: an answer that came while it is empty did not wait for them."""

    def __init__(self, *methods: str) -> None:
        self.methods = set(methods)
        self.reached = threading.Event()
        self.released = threading.Event()
        self.passed: list[str] = []

    def slow_down(self, method: str) -> None:
        if method in self.methods:
            self.hold(method)

    def sleep(self, _seconds: float) -> None:
        self.hold("sleep")

    def hold(self, what: str) -> None:
        self.reached.set()
        self.released.wait(timeout=DEADLINE)
        self.passed.append(what)


class SlackEndpoint:
    """paybot's /slack/events on loopback, and the ways Slack calls it."""

    def __init__(self, server: WSGIServer, fake: FakeSlackServer, lazy: LazyWork) -> None:
        self.server, self.fake, self.slack, self.lazy = server, fake, fake.slack, lazy
        self.url = f"http://127.0.0.1:{server.server_port}/slack/events"

    def settle(self) -> None:
        """Returns once the work after every answer so far is done."""
        self.lazy.settle()

    def post(
        self,
        body: str,
        content_type: str,
        *,
        age: int = 0,
        secret: str = SECRET,
        sign: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        timestamp = str(int(time.time()) - age)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            **(headers or {}),
        }
        if sign:
            base = f"v0:{timestamp}:{body}".encode()
            digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
            sent["X-Slack-Signature"] = f"v0={digest}"
        request = urllib.request.Request(self.url, body.encode(), sent, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def command(self, user: str, text: str, **kwargs: Any) -> tuple[int, str]:
        form = urllib.parse.urlencode(
            {
                "command": "/bank",
                "text": text,
                "user_id": user,
                "team_id": "",
                "channel_id": CHANNEL,
                "response_url": self.fake.response_url(f"command-{next(_numbers)}"),
                "trigger_id": self.slack.new_trigger(),
            }
        )
        return self.post(form, "application/x-www-form-urlencoded", **kwargs)

    def interact(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
        body = "payload=" + urllib.parse.quote(json.dumps(payload))
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def click(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str = CHANNEL,
        ts: str | None = None,
        home: bool = False,
        overflow: bool = False,
        view_id: str | None = None,
        **kwargs: Any,
    ) -> tuple[int, str]:
        """A button (or overflow option) clicked in a message, on the Home tab or in a modal."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": f"b{next(_numbers)}",
            "action_ts": str(time.time()),
        }
        if overflow:
            action |= {"type": "overflow", "selected_option": {"value": value}}
        else:
            action |= {"type": "button", "value": value}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "team_id": ""},
            "team": {"id": ""},
            "api_app_id": "A0PAYBOT",
            "trigger_id": self.slack.new_trigger(),
            "actions": [action],
        }
        if home or view_id:
            view = {"id": view_id or "VHOME", "type": "home" if home else "modal"}
            payload |= {"container": {"type": "view", "view_id": view["id"]}, "view": view}
        else:
            message_ts = ts or "1700000000.000100"
            payload |= {
                "container": {
                    "type": "message",
                    "channel_id": channel,
                    "message_ts": message_ts,
                    "is_ephemeral": False,
                },
                "channel": {"id": channel},
                "message": {"ts": message_ts, "text": ""},
                "response_url": self.fake.response_url(f"action-{next(_numbers)}"),
            }
        return self.interact(payload, **kwargs)

    def submit(
        self,
        user: str,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        private_metadata: str = "",
        view_id: str = "VMODAL",
        **kwargs: Any,
    ) -> tuple[int, dict[str, Any] | None]:
        """A modal submitted: `values` is {block_id: {action_id: element state}}; returns the
        acknowledgement's JSON (errors or an updated view), or None when it closes."""
        payload = {
            "type": "view_submission",
            "user": {"id": user, "team_id": ""},
            "team": {"id": ""},
            "api_app_id": "A0PAYBOT",
            "trigger_id": self.slack.new_trigger(),
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
            },
        }
        status, text = self.interact(payload, **kwargs)
        return status, json.loads(text) if text.strip() else None

    def event(self, event: dict[str, Any], *, retry: int = 0, **kwargs: Any) -> tuple[int, str]:
        body = {
            "type": "event_callback",
            "team_id": "",
            "event_id": f"Ev{next(_numbers)}"
            if "event_id" not in kwargs
            else kwargs.pop("event_id"),
            "event_time": int(time.time()),
            "event": event,
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(
            json.dumps(body), "application/json", headers=headers if retry else None, **kwargs
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(engine: Engine, clock: Clock) -> Deps:
    return Deps(uow=lambda: UnitOfWork(engine), box=lambda: BOX, zone=OSLO, clock=clock.now)


@pytest.fixture
def endpoint(deps: Deps) -> Iterator[SlackEndpoint]:
    with FakeSlackServer() as fake:
        app = create_app(token=fake.slack.token, signing_secret=SECRET, api_url=fake.url, deps=deps)
        lazy = LazyWork.of(app)
        server = http_server(app, "127.0.0.1", 0)  # threaded, as `paybot serve` runs it
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield SlackEndpoint(server, fake, lazy)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def hold(endpoint: SlackEndpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hold]:
    """The endpoint's Slack holding the methods a test adds to `hold.methods`."""
    held = Hold()
    monkeypatch.setattr(endpoint.slack, "slow_down", held.slow_down)
    yield held
    held.released.set()  # nothing stays held after the test


def text_of(blocks: Any) -> str:
    """Everything a person reads in blocks or a view, as one string (for assertions)."""
    return json.dumps(blocks, ensure_ascii=False)


__all__ = ["CHANNEL", "Clock", "FakeSlack", "Hold", "LazyWork", "SlackEndpoint", "text_of"]


class QuickClicker(WebClient):
    """Slack as seen when a person is quick: a button on a message paybot has just posted is
    clicked, and the work after the answer done, before paybot has written down what it posted.
    Clicks once, on the first posted message `chosen` picks."""

    def __init__(
        self,
        endpoint: SlackEndpoint,
        user: str,
        action: str,
        payment_id: int,
        chosen: Callable[[dict[str, Any]], bool] = lambda _posted: True,
    ) -> None:
        super().__init__(token=endpoint.slack.token, base_url=endpoint.fake.url)
        self.endpoint, self.user, self.action = endpoint, user, action
        self.payment_id, self.chosen = payment_id, chosen
        self.clicked: list[int] = []
        self.on: tuple[str, str] | None = None  # (channel, ts) of the message clicked

    def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802 (Slack's method name)
        answer = super().chat_postMessage(**kwargs)
        if not self.clicked and self.chosen(kwargs):
            status, _ = self.endpoint.click(
                self.user,
                self.action,
                str(self.payment_id),
                channel=kwargs["channel"],
                ts=str(answer["ts"]),
            )
            self.clicked.append(status)
            self.on = (kwargs["channel"], str(answer["ts"]))
            self.endpoint.settle()
        return answer
