"""A local Slack Web API: answers like Slack, refuses what Slack refuses, records every call.

The tests and the local demo point `PAYBOT_SLACK_API_URL` here. It checks the bot token, knows a
fixed set of methods, enforces the Block Kit limits Slack enforces on messages and views, and
makes trigger ids expire after 3 seconds and work once, as Slack does.
"""

from __future__ import annotations

import itertools
import json
import math
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
# Slack answers msg_blocks_too_long near 13k characters of blocks JSON (bolt-js#2509).
MAX_MESSAGE_BLOCKS_JSON = 13_000
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_OVERFLOW_OPTIONS = 5
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
    # files_upload_v2: bytes POSTed to an upload URL by file id, then the files shared by
    # files.completeUploadExternal ({"id", "title", "channel", "initial_comment", "content"}).
    uploads: dict[str, bytes] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    upload_root: str = "http://127.0.0.1/upload"  # FakeSlackServer sets its own
    # The next call of a method answers this error, as Slack does for e.g. missing_scope.
    refusals: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Optional, as Slack does under load: calls per second allowed per channel for a method
    # (faster ones get HTTP 429 with Retry-After), and seconds a method takes to answer.
    rate_limits: dict[str, float] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    # Calls answered 429 ratelimited; not in `calls`, as Slack did nothing with them.
    ratelimited: list[Call] = field(default_factory=list)
    _throttled: dict[str, tuple[int, int]] = field(default_factory=dict)
    _last_allowed: dict[tuple[str, str], float] = field(default_factory=dict)

    def throttle(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer 429 ratelimited, Retry-After `retry_after`."""
        with self._lock:
            self._throttled[method] = (times, retry_after)

    def over_limit(self, method: str, body: dict[str, Any], token: str | None) -> int | None:
        """Retry-After seconds when this call must be answered 429 ratelimited, else None."""
        with self._lock:
            times, retry_after = self._throttled.get(method, (0, 1))
            if times > 0:
                self._throttled[method] = (times - 1, retry_after)
                self.ratelimited.append(Call(method, body, token))
                return retry_after
            rate = self.rate_limits.get(method)
            if not rate:
                return None
            key, now = (method, str(body.get("channel") or "")), time.monotonic()
            last = self._last_allowed.get(key)
            if last is not None and now - last < 1 / rate:
                self.ratelimited.append(Call(method, body, token))
                return max(1, math.ceil(1 / rate - (now - last)))
            self._last_allowed[key] = now
            return None

    def slow_down(self, method: str) -> None:
        """Takes the time `delays` gives the method, as a slow Slack would."""
        delay = self.delays.get(method)
        if delay:
            time.sleep(delay)

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
        with self._lock:
            refusal = self.refusals.pop(method, None)
        if refusal:
            return 200, {"ok": False, "error": refusal}
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
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    def _upload_url(self, body: dict[str, Any]) -> Answer | str:
        if not body.get("filename") or not str(body.get("length") or "").isdigit():
            return "invalid_arguments"
        file_id = f"F{next(self._ts):08d}"
        return {"upload_url": f"{self.upload_root}/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, data: bytes) -> None:
        """The bytes a client POSTs to an upload URL (step 2 of files_upload_v2)."""
        with self._lock:
            self.uploads[file_id] = data

    def _complete_upload(self, body: dict[str, Any]) -> Answer | str:
        try:
            wanted = json.loads(str(body.get("files") or "[]"))
        except json.JSONDecodeError:
            return "invalid_arguments"
        with self._lock:
            if not wanted or any(f.get("id") not in self.uploads for f in wanted):
                return "file_not_found"
            shared = [
                {
                    "id": f["id"],
                    "title": f.get("title"),
                    "channel": body.get("channel_id"),
                    "initial_comment": body.get("initial_comment"),
                    "content": self.uploads[f["id"]],
                }
                for f in wanted
            ]
            self.files += shared
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

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
    if len(json.dumps(blocks)) > MAX_MESSAGE_BLOCKS_JSON:
        return "msg_blocks_too_long"
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
        elif kind == "actions" and len(block.get("elements") or []) > MAX_ACTIONS_ELEMENTS:
            return "invalid_blocks"
        elements = [*(block.get("elements") or []), block.get("accessory") or {}]
        if any(_element_problem(element) for element in elements):
            return "invalid_blocks"
    return None


def _element_problem(element: dict[str, Any]) -> bool:
    """A button whose text is too long, or an overflow menu with too few or too many options."""
    if element.get("type") == "button":
        return len((element.get("text") or {}).get("text", "")) > MAX_BUTTON_TEXT
    if element.get("type") == "overflow":
        return not 1 <= len(element.get("options") or []) <= MAX_OVERFLOW_OPTIONS
    return False


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        upload = urlparse(self.path).path.partition("/upload/")
        if not upload[0] and upload[2]:  # a file's bytes, not an API call
            self.slack.receive_upload(upload[2], data)
            self._send(200, {"ok": True})
            return
        raw = data.decode()
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
        retry_after = self.slack.over_limit(method, body, token)
        if retry_after is not None:
            ratelimited = {"ok": False, "error": "ratelimited"}
            self._send(429, ratelimited, {"Retry-After": str(retry_after)})
            return
        self.slack.slow_down(method)
        status, answer = self.slack.answer(method, body, token)
        self._send(status, answer)

    def _send(self, status: int, answer: Answer, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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
        self.slack.upload_root = f"{self.root}/upload"
        # A short poll interval: shutting down (after every test) takes that long at most.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

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
