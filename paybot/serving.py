"""paybot's Slack endpoint over HTTP: one thread per request, so a slow request never holds up
the acknowledgement of another (Bolt's `App.start()` serves one request at a time)."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger("paybot.http")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, a daemon thread per request (shutting down never waits for one)."""

    daemon_threads = True
    # Twenty people clicking at once must not be refused by a short listen queue.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    """No access line per request (Slack sends many); errors still go to the log."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log.warning("HTTP %s: " + format, self.address_string(), *args)


def http_server(app: App, host: str, port: int, path: str = "/slack/events") -> ThreadingWSGIServer:
    """A threading WSGI server answering Slack at POST `path` (404 elsewhere); port 0 picks a
    free one (`server.server_port`). Run it with `serve_forever()`, stop it with `shutdown()`."""
    return make_server(
        host,
        port,
        SlackRequestHandler(app, path=path),
        server_class=ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
