"""What `paybot serve` runs, whatever runs it: the WSGI stack in front of the Slack app, and the
scheduled jobs of a serving process. gunicorn runs them in production (paybot/gunicorn_app.py);
`http_server` runs the Slack endpoint in-process for the tests."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from paybot.app import PaybotApp
from paybot.http_limits import SlackGate
from paybot.ops.web import with_ops

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from paybot.container import Container

log = logging.getLogger("paybot.http")

SLACK_PATH = "/slack/events"
# Database connections a serving process opens at start: about the requests it answers at once
# when twenty people click together.
WARM_CONNECTIONS = 10


def slack_endpoint(app: PaybotApp, path: str = SLACK_PATH) -> WSGIApplication:
    """paybot's Slack endpoint as a WSGI application: Bolt's adapter behind the gate that caps,
    verifies and checks each body before Bolt reads it."""
    return SlackGate(SlackRequestHandler(app, path=path), signing_secret=app.signing_secret)


def wsgi_app(app: PaybotApp, parts: Container, path: str = SLACK_PATH) -> WSGIApplication:
    """What `paybot serve` answers HTTP with: the Slack endpoint behind the operator's routes
    (GET /healthz, GET /metrics) and their request measurements."""
    return with_ops(slack_endpoint(app, path), parts=parts, path=path)


class Stoppable(Protocol):
    def stop(self) -> None: ...


def background_jobs(parts: Container) -> Stoppable:
    """The scheduled jobs in background threads of this process, until `stop()`: only the
    process that holds the scheduler's lease in the database runs them, so every serving process
    may start them."""
    from paybot.jobs import run_in_background

    return run_in_background(parts)


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with a daemon thread per request (Bolt's `App.start()` has one thread)."""

    daemon_threads = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    """No access line per request; errors go to the log, shortened."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        shown = tuple(_clip(str(arg)) for arg in args)
        log.warning("HTTP %s: " + format, self.address_string(), *shown)


def _clip(text: str, most: int = 200) -> str:
    return text if len(text) <= most else f"{text[:most]}… ({len(text)} characters)"


def http_server(app: PaybotApp, host: str, port: int, path: str = SLACK_PATH) -> WSGIServer:
    """The Slack endpoint on a threading wsgiref server, for tests that call it in-process; port
    0 picks a free one (`server.server_port`). Run it with `serve_forever()`, stop it with
    `shutdown()`. Production serving is gunicorn's (`paybot serve`)."""
    return make_server(
        host,
        port,
        slack_endpoint(app, path),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
