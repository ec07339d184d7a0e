"""The local Slack Web API over HTTP: one way of answering a request, served two ways — a
threading server of its own on loopback (the tests: `FakeSlackServer`), or as a WSGI
application mounted in another server (the demo: `slack_api_wsgi`)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlparse

from paybot.sandbox.slack_api import Answer, FakeSlack

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

# Slack's Web API takes bodies of a few MB at most; a page of blocks is far less.
MAX_BODY = 2_000_000


@dataclass
class Reply:
    status: int
    answer: Answer
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.answer).encode()


def reply(
    slack: FakeSlack, verb: str, target: str, headers: Mapping[str, str], data: bytes
) -> Reply:
    """Slack's answer to one HTTP request: an API method (`…/api/<method>`), a response_url
    (`/response/<name>`) or a file's bytes (`/upload/<id>`)."""
    path = urlparse(target).path
    upload = path.partition("/upload/")
    if verb == "POST" and not upload[0] and upload[2]:
        slack.receive_upload(upload[2], data)
        return Reply(200, {"ok": True})
    try:
        body = _body(verb, target, headers, data)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError):
        return Reply(200, {"ok": False, "error": "invalid_json"})
    if path.startswith("/response/"):
        status, answer = slack.answer_response_url(path, body)
        return Reply(status, answer)
    method = path.rsplit("/", 1)[-1]
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    token = auth.removeprefix("Bearer ").strip() or body.pop("token", None)
    retry_after = slack.over_limit(method, body, token)
    if retry_after is not None:
        return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
    slack.slow_down(method)
    status, answer = slack.answer(method, body, token)
    return Reply(status, answer)


def _body(verb: str, target: str, headers: Mapping[str, str], data: bytes) -> dict[str, Any]:
    if verb == "GET":
        return dict(parse_qsl(urlparse(target).query))
    raw = data.decode()
    content_type = headers.get("Content-Type") or headers.get("content-type") or ""
    if "json" in content_type and raw:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("a JSON body must be an object")
        return body
    return dict(parse_qsl(raw))


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        self._send(reply(self.slack, "POST", self.path, dict(self.headers.items()), data))

    def do_GET(self) -> None:  # noqa: N802
        self._send(reply(self.slack, "GET", self.path, dict(self.headers.items()), b""))

    def _send(self, answer: Reply) -> None:
        data = answer.encoded()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
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


def slack_api_wsgi(slack: FakeSlack) -> WSGIApplication:
    """The local Slack Web API as a WSGI application (mounted at `/api/`, `/response/` and
    `/upload/` of another server)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            answer = Reply(413, {"ok": False, "error": "request_too_large"})
        else:
            data = environ["wsgi.input"].read(length) if length else b""
            headers = {
                "Content-Type": environ.get("CONTENT_TYPE") or "",
                "Authorization": environ.get("HTTP_AUTHORIZATION") or "",
            }
            target = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                target += "?" + environ["QUERY_STRING"]
            answer = reply(slack, environ["REQUEST_METHOD"], target, headers, data)
        data = answer.encoded()
        start_response(
            f"{answer.status} {_REASONS.get(answer.status, 'OK')}",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(data))),
                *answer.headers.items(),
            ],
        )
        return [data]

    return app


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Too Large", 429: "Too Many"}


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m paybot.sandbox.slack_http [PORT]`: the local Slack Web API on 127.0.0.1, for
    trying `paybot serve` where Slack is not there yet (SLACK_BOT_TOKEN=xoxb-paybot-test,
    PAYBOT_SLACK_API_URL as printed). Ctrl-C stops it."""
    args = list(sys.argv[1:] if argv is None else argv)
    port = int(args[0]) if args else 0
    with FakeSlackServer(port=port) as server:
        print(
            f"local Slack Web API at {server.url} (token {server.slack.token}): "
            f"PAYBOT_SLACK_API_URL={server.url} SLACK_BOT_TOKEN={server.slack.token}; "
            "Ctrl-C stops.",
            flush=True,
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
