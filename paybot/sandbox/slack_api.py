"""A local Slack Web API: answers like Slack, refuses what Slack refuses, records every call.

The tests and the local demo point `PAYBOT_SLACK_API_URL` here. It checks the bot token, knows a
fixed set of methods, enforces the Block Kit limits Slack enforces on messages and views, and
makes trigger ids expire after 3 seconds and work once, as Slack does.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
TRIGGER_SECONDS = 3.0

Answer = dict[str, Any]


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """The state behind the fake: tokens it accepts, calls it got, triggers it issued."""

    token: str = "xoxb-paybot-test"
    team_id: str = "T0PAYBOT"
    bot_user_id: str = "U0PAYBOT"
    calls: list[Call] = field(default_factory=list)
    triggers: dict[str, float] = field(default_factory=dict)
    # What is in each channel now, by ts (chat.update replaces), and the views by id.
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_trigger(self) -> str:
        """A trigger id as Slack puts in an interaction payload (valid 3 s, once)."""
        trigger = f"{int(time.time())}.{next(self._ts)}.trigger"
        self.triggers[trigger] = time.monotonic()
        return trigger

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.body for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The calls to `method` once there are at least `count` (work after an ack is lazy)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def answer_response_url(self, path: str, body: dict[str, Any]) -> tuple[int, Answer]:
        """A `response_url` of an interaction payload (the tests point them here)."""
        with self._lock:
            self.calls.append(Call("response_url", {"path": path, **body}, None))
        return 200, {"ok": True}

    def answer(self, method: str, body: dict[str, Any], token: str | None) -> tuple[int, Answer]:
        with self._lock:
            self.calls.append(Call(method, body, token))
        handler = self._methods().get(method)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}
        if token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}
        problem = handler(body)
        if isinstance(problem, str):
            return 200, {"ok": False, "error": problem}
        return 200, {"ok": True, **problem}

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Answer | str]]:
        return {
            "auth.test": lambda body: {
                "url": "https://paybot-test.slack.com/",
                "team": "paybot test",
                "user": "paybot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "B0PAYBOT",
                "is_enterprise_install": False,
            },
            "chat.postMessage": self._post,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "views.open": self._open,
            "views.publish": self._publish,
            "views.update": self._update_view,
            "conversations.open": lambda body: {"channel": {"id": f"D{body.get('users', 'X')}"}},
            "users.info": lambda body: {"user": {"id": body.get("user"), "tz": "Europe/Oslo"}},
        }

    def _post(self, body: dict[str, Any]) -> Answer | str:
        if not body.get("channel"):
            return "channel_not_found"
        problem = _message_problem(body)
        if problem:
            return problem
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        with self._lock:
            self.messages[(str(body["channel"]), ts)] = body
        return {"channel": body["channel"], "ts": ts}

    def _post_ephemeral(self, body: dict[str, Any]) -> Answer | str:
        if not body.get("user"):
            return "user_not_in_channel"
        if not body.get("channel"):
            return "channel_not_found"
        return _message_problem(body) or {"message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _update(self, body: dict[str, Any]) -> Answer | str:
        key = (str(body.get("channel")), str(body.get("ts")))
        with self._lock:
            if key not in self.messages:
                return "message_not_found"
        problem = _message_problem(body)
        if problem:
            return problem
        with self._lock:
            self.messages[key] = {**self.messages[key], **body}
        return {"channel": body["channel"], "ts": body["ts"]}

    def _open(self, body: dict[str, Any]) -> Answer | str:
        trigger = body.get("trigger_id")
        issued = self.triggers.pop(str(trigger), None)
        if issued is None:
            return "invalid_trigger_id" if trigger not in self.triggers else "exchanged_trigger_id"
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return "expired_trigger_id"
        return self._keep_view(body, f"V{next(self._ts)}")

    def _publish(self, body: dict[str, Any]) -> Answer | str:
        return self._keep_view(body, f"V{next(self._ts)}")

    def _update_view(self, body: dict[str, Any]) -> Answer | str:
        view_id = str(body.get("view_id") or "")
        with self._lock:
            known = view_id in self.views
        if not known:
            return "not_found"
        return self._keep_view(body, view_id)

    def _keep_view(self, body: dict[str, Any], view_id: str) -> Answer | str:
        problem = _view_problem(body)
        if problem:
            return problem
        view = {"id": view_id, **_view(body)}
        with self._lock:
            self.views[view_id] = view
        return {"view": view}


def _blocks(body: dict[str, Any], key: str = "blocks") -> list[dict[str, Any]]:
    blocks = body.get(key) or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return list(blocks)


def _view(body: dict[str, Any]) -> dict[str, Any]:
    view = body.get("view") or {}
    return json.loads(view) if isinstance(view, str) else dict(view)


def _message_problem(body: dict[str, Any]) -> str | None:
    blocks = _blocks(body)
    if not blocks and not body.get("text"):
        return "no_text"
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        return "invalid_blocks"
    return _block_problem(blocks)


def _view_problem(body: dict[str, Any]) -> str | None:
    blocks = _blocks(_view(body))
    if not 1 <= len(blocks) <= MAX_VIEW_BLOCKS:
        return "invalid_arguments"
    return _block_problem(blocks)


def _block_problem(blocks: list[dict[str, Any]]) -> str | None:
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = (block.get("text") or {}).get("text", "")
            if len(text) > MAX_SECTION_TEXT:
                return "invalid_blocks"
        elif kind == "header" and len((block.get("text") or {}).get("text", "")) > MAX_HEADER_TEXT:
            return "invalid_blocks"
        elif kind is None:
            return "invalid_blocks"
    return None


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if "json" in (self.headers.get("Content-Type") or "") and raw:
            body = json.loads(raw)
        else:
            body = dict(parse_qsl(raw))
        self._reply(body)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(dict(parse_qsl(urlparse(self.path).query)))

    def _reply(self, body: dict[str, Any]) -> None:
        path = urlparse(self.path).path
        if path.startswith("/response/"):
            status, answer = self.slack.answer_response_url(path, body)
            self._send(status, answer)
            return
        method = path.rsplit("/", 1)[-1]
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() or body.pop("token", None)
        status, answer = self.slack.answer(method, body, token)
        self._send(status, answer)

    def _send(self, status: int, answer: Answer) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # quiet: the calls are recorded instead


class FakeSlackServer:
    """The fake on 127.0.0.1 (port 0: a free one), in a daemon thread; a context manager."""

    def __init__(self, slack: FakeSlack | None = None, port: int = 0) -> None:
        self.slack = slack or FakeSlack()
        handler = type("Handler", (_Handler,), {"slack": self.slack})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.root}/api/"

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def response_url(self, name: str) -> str:
        """A response_url that answers like Slack's and is recorded as a call."""
        return f"{self.root}/response/{name}"

    def __enter__(self) -> FakeSlackServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
