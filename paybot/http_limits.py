"""The gate in front of the Slack endpoint: what a request must be before Bolt reads it.

Bolt's WSGI adapter reads the whole body whatever its size, and parses it (JSON, form) before it
checks Slack's signature; a body it cannot parse answers 500. So anyone on the internet could
make a worker hold hundreds of MiB, or log them. This WSGI middleware, in front of the adapter
and independent of the server running it, lets a POST through only when:

1. its Content-Length is at most `max_body` (1 MiB): a bigger one is answered 413 unread; no
   length answers 411, unless the server decodes a chunked body, which is read to the cap + 1
   byte at most; never is more read than the cap + 1 byte, whatever the length says;
2. it carries Slack's signature of exactly those bytes, made less than five minutes ago (else 401,
   before anything is parsed);
3. it parses as Bolt will parse it, into one JSON object (else 400): UTF-8, JSON no deeper than
   MAX_DEPTH, a form of at most MAX_FIELDS fields whose `payload` is such JSON.

Bodies are never logged: a refusal is logged as a status, a reason and a size. What the gate
decided (the request's kind, or why it was refused) is put into the dict a wrapper in front of it
may have placed at `environ[NOTE]` (ops.web counts requests by it).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("paybot.http")

MAX_BODY = 1024 * 1024  # Slack's biggest payloads (a modal's state) are far smaller
MAX_DEPTH = 64  # Slack nests about a dozen levels deep
MAX_FIELDS = 100  # a slash command is about a dozen form fields
# Slack's own rule: a signature older (or newer) than this may be a replay.
MAX_AGE_SECONDS = 5 * 60

# The environ key of the wrapper's dict: {"kind": "command"|"action"|...} or {"refused": ...}.
NOTE = "paybot.slack"

_DIGITS = re.compile(r"[0-9]{1,18}")
_READ_SIZE = 64 * 1024


class BadBody(ValueError):
    """A body that Bolt could not parse: said in a few words, without the body."""


class SlackGate:
    """WSGI middleware: the checks above, then `app` with the body it has read."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        signing_secret: str,
        max_body: int = MAX_BODY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not signing_secret.strip():
            # An empty key would make anyone's signature good.
            raise ValueError("the Slack endpoint needs the app's signing secret")
        self._app = app
        self._secret = signing_secret.encode()
        self._max_body = max_body
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)  # no body is read for other methods
        try:
            body = self._read(environ)
            if not self._signed(environ, body):
                raise Refused(401, "invalid request", len(body))
            try:
                parsed = check_body(body, environ.get("CONTENT_TYPE"))
            except BadBody as error:
                raise Refused(400, str(error), len(body)) from None
        except Refused as refusal:
            _note(environ, "refused", _REFUSED[refusal.status])
            return _refuse(start_response, environ, refusal.status, refusal.reason, refusal.size)
        _note(environ, "kind", request_kind(parsed))
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return self._app(environ, start_response)

    def _read(self, environ: WSGIEnvironment) -> bytes:
        stream = environ.get("wsgi.input")
        length_header = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not length_header:
            chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
            if not chunked:
                raise Refused(411, "a body needs a Content-Length")
            body = _read_at_most(stream, self._max_body + 1)  # the server decodes the chunks
            if len(body) > self._max_body:
                raise Refused(413, "body too large", len(body))
            return body
        if not _DIGITS.fullmatch(length_header):
            raise Refused(400, "Content-Length is no number of bytes")
        length = int(length_header)
        if length > self._max_body:
            raise Refused(413, "body too large", length)
        body = _read_at_most(stream, length)
        if len(body) < length:
            raise Refused(400, "body shorter than its Content-Length", len(body))
        return body

    def _signed(self, environ: WSGIEnvironment, body: bytes) -> bool:
        """Slack's v0 signature of the raw bytes (checked by Bolt again afterwards; here so
        that nothing unsigned is parsed, and a malformed header is a 401, not a 500)."""
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        if not _DIGITS.fullmatch(timestamp) or not signature.startswith("v0="):
            return False
        if abs(self._clock() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        signed = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


class Refused(Exception):
    """A request answered here, without going further."""

    def __init__(self, status: int, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.size = status, reason, size


def check_body(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will parse it (`slack_bolt.request.internals.parse_body`), strictly:
    raises BadBody where Bolt would fail or get anything but an object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("body is not UTF-8") from None
    if not text:
        return {}
    kind = (content_type or "").split(";")[0].strip()
    if kind == "application/json" or text.startswith("{"):
        return _json_object(text, "body")
    fields = _form(text)
    if "payload" not in text:
        return fields
    payload = fields.get("payload")
    return {} if payload is None else _json_object(payload, "payload")


def request_kind(body: dict[str, Any]) -> str:
    """What a parsed Slack request is, in one word: command, action, view_submission, ..."""
    if "command" in body:
        return "command"
    kind = body.get("type")
    return _KINDS.get(kind, "other") if isinstance(kind, str) else "other"


_KINDS = {
    "block_actions": "action",
    "interactive_message": "action",
    "view_submission": "view_submission",
    "view_closed": "view_closed",
    "event_callback": "event",
    "block_suggestion": "options",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "url_verification": "url_verification",
}
# A refusal's reason as a word (the texts logged vary): the label metrics count it by.
_REFUSED = {400: "malformed", 401: "unsigned", 411: "no_length", 413: "too_large"}


def _note(environ: WSGIEnvironment, key: str, value: str) -> None:
    note = environ.get(NOTE)
    if isinstance(note, dict):
        note[key] = value


def _form(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError:  # bad UTF-8 behind the %-escapes, or too many fields
        raise BadBody("form is not UTF-8, or has too many fields") from None
    return dict(pairs)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadBody(f"{what} is JSON nested too deep") from None
    except ValueError:  # not JSON, or a number too long to convert
        raise BadBody(f"{what} is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadBody(f"{what} is JSON, but not an object")
    if _depth(data) > MAX_DEPTH:
        raise BadBody(f"{what} is JSON nested too deep")
    return data


def _depth(data: Any) -> int:
    """How deep containers nest in parsed JSON; a loop, so it cannot recurse too deep itself."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _read_at_most(stream: Any, limit: int) -> bytes:
    """Up to `limit` bytes, fewer only at the end of the stream."""
    if stream is None:
        return b""
    parts: list[bytes] = []
    left = limit
    while left > 0:
        try:
            part = stream.read(min(left, _READ_SIZE))
        except OSError:  # the client stalled past the server's timeout, or went away
            raise Refused(400, "body not received", limit - left) from None
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    411: "Length Required",
    413: "Content Too Large",
}


def _refuse(
    start_response: StartResponse,
    environ: WSGIEnvironment,
    status: int,
    reason: str,
    size: int | None,
) -> list[bytes]:
    log.info(
        "refused a request from %s with %s (%s; %s bytes)",
        environ.get("REMOTE_ADDR", "?"),
        status,
        reason,
        "?" if size is None else size,
    )
    if status == 401:  # as Bolt answers it
        payload, kind = json.dumps({"error": reason}).encode(), "application/json"
    else:
        payload, kind = f"{reason}\n".encode(), "text/plain; charset=utf-8"
    # An unread body is not waited for: the server closes the connection after the answer (a
    # WSGI application may not say so itself: Connection is the server's header).
    headers = [("Content-Type", kind), ("Content-Length", str(len(payload)))]
    start_response(f"{status} {_REASONS[status]}", headers)
    return [payload]
