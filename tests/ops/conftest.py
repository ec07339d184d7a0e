"""The operator's routes in front of the real Slack stack, on loopback, on both databases."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from itertools import count
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import WSGIApplication
from wsgiref.util import setup_testing_defaults

import pytest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from paybot.app import PaybotApp, create_app
from paybot.config import Settings
from paybot.container import Container
from paybot.handlers.deps import Deps
from paybot.http_limits import SlackGate
from paybot.ops.web import with_ops
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.store.uow import UnitOfWork
from tests.builders import BOX
from tests.slack.conftest import SECRET, Clock

PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
_numbers = count(1)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        return


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def parts(database_url: str, clock: Clock) -> Iterator[Container]:
    """paybot's parts on the test database, with the test's clock."""
    built = Container(Settings(database_url=database_url), clock=clock.now)
    yield built
    if "engine" in built.__dict__:
        built.engine.dispose()


def get(app: WSGIApplication, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    """One request to a WSGI application, in this thread: (status, headers, body)."""
    environ: dict[str, object] = {"PATH_INFO": path, "REQUEST_METHOD": method}
    setup_testing_defaults(environ)
    answered: dict[str, object] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> None:
        answered["status"], answered["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return str(answered["status"]), answered["headers"], body  # type: ignore[return-value]


class OpsEndpoint:
    """The Slack endpoint as `paybot serve` composes it, with_ops(SlackGate(Bolt adapter)), and
    the ways these tests call it."""

    def __init__(self, server: ThreadingWSGIServer, fake: FakeSlackServer, app: PaybotApp) -> None:
        self.server, self.fake, self.app = server, fake, app
        self.root = f"http://127.0.0.1:{server.server_port}"

    def fetch(self, path: str) -> tuple[int, str]:
        return self._send(urllib.request.Request(self.root + path))

    def post(self, body: str, *, sign: bool = True) -> tuple[int, str]:
        timestamp = str(int(time.time()))
        headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp}
        if sign:
            base = f"v0:{timestamp}:{body}".encode()
            digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
            headers["X-Slack-Signature"] = f"v0={digest}"
        url = self.root + PATH
        return self._send(urllib.request.Request(url, body.encode(), headers, method="POST"))

    def command(
        self, user: str, text: str, *, command: str = "/bank", sign: bool = True
    ) -> tuple[int, str]:
        form = {
            "command": command,
            "text": text,
            "user_id": user,
            "team_id": "",
            "channel_id": "C0FINANCE",
            "response_url": self.fake.response_url(f"command-{next(_numbers)}"),
            "trigger_id": self.fake.slack.new_trigger(),
        }
        return self.post(urllib.parse.urlencode(form), sign=sign)

    @staticmethod
    def _send(request: urllib.request.Request) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def ops_endpoint(engine: Engine, clock: Clock, parts: Container) -> Iterator[OpsEndpoint]:
    deps = Deps(uow=lambda: UnitOfWork(engine), box=lambda: BOX, zone=parts.zone, clock=clock.now)
    with FakeSlackServer() as fake:
        app = create_app(token=fake.slack.token, signing_secret=SECRET, api_url=fake.url, deps=deps)
        gate = SlackGate(SlackRequestHandler(app, path=PATH), signing_secret=SECRET)
        wsgi = with_ops(gate, parts=parts, path=PATH)
        server = make_server(
            "127.0.0.1", 0, wsgi, server_class=ThreadingWSGIServer, handler_class=_Quiet
        )
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield OpsEndpoint(server, fake, app)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
