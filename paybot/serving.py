"""paybot's Slack endpoint over HTTP: one thread per request, so a slow request never holds up
the acknowledgement of another (Bolt's `App.start()` serves one request at a time)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
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


def serve_in_processes(
    make_app: Callable[[], App],
    host: str,
    port: int,
    *,
    workers: int,
    path: str = "/slack/events",
    in_parent: Callable[[], None] | None = None,
) -> None:
    """Answers Slack from `workers` processes sharing one listening socket, each with its own app
    and threads: Python runs one thread at a time per process, so a burst of clicks is spread
    over the machine's cores. `in_parent` runs once the children exist (the scheduler goes there:
    its threads must not be copied into them). Returns when the server stops; children go too."""
    listener = socket.create_server((host, port), backlog=ThreadingWSGIServer.request_queue_size)
    children: list[int] = []
    try:
        for _ in range(max(workers, 1) - 1):
            child = os.fork()
            if child == 0:  # pragma: no cover - runs in the child process
                signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
                try:
                    _serve_on(listener, make_app(), path)
                finally:
                    os._exit(0)
            children.append(child)
        # A stopped parent stops its children (the finally below) rather than orphaning them.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        if in_parent is not None:
            in_parent()
        _serve_on(listener, make_app(), path)
    finally:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)
        listener.close()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve_on(listener: socket.socket, app: App, path: str) -> None:
    server = ThreadingWSGIServer(listener.getsockname()[:2], _QuietHandler, bind_and_activate=False)
    server.socket = listener
    host, port = listener.getsockname()[:2]
    server.server_name, server.server_port = str(host), int(port)
    server.setup_environ()
    server.set_app(SlackRequestHandler(app, path=path))
    server.serve_forever()
