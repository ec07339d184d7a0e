"""paybot's Slack endpoint over HTTP: one thread per request, so a slow request never holds up
the acknowledgement of another (Bolt's `App.start()` serves one request at a time)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from paybot.app import PaybotApp
from paybot.http_limits import SlackGate

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

log = logging.getLogger("paybot.http")

# A worker that dies sooner than this after its start is not started again: it would only die
# again (a bad setting, a database that is down); the server stops and says so.
RESTART_AFTER = 10.0


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, a daemon thread per request (shutting down never waits for one)."""

    daemon_threads = True
    # Twenty people clicking at once must not be refused by a short listen queue.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    """No access line per request (Slack sends many); errors still go to the log, shortened
    (a bad request line is up to 64 KiB of whatever was sent)."""

    # A client that sends its request slower than this gives up its thread (Slack sends at once).
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        shown = tuple(_clip(str(arg)) for arg in args)
        log.warning("HTTP %s: " + format, self.address_string(), *shown)


def _clip(text: str, most: int = 200) -> str:
    return text if len(text) <= most else f"{text[:most]}… ({len(text)} characters)"


def wsgi_app(app: PaybotApp, path: str = "/slack/events") -> WSGIApplication:
    """paybot's Slack endpoint as a WSGI application, for any WSGI server: Bolt's adapter behind
    the gate that caps, verifies and checks each body before Bolt reads it."""
    return SlackGate(SlackRequestHandler(app, path=path), signing_secret=app.signing_secret)


def http_server(
    app: PaybotApp, host: str, port: int, path: str = "/slack/events"
) -> ThreadingWSGIServer:
    """A threading WSGI server answering Slack at POST `path` (404 elsewhere); port 0 picks a
    free one (`server.server_port`). Run it with `serve_forever()`, stop it with `shutdown()`."""
    return make_server(
        host,
        port,
        wsgi_app(app, path),
        server_class=ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )


def serve_in_processes(
    make_app: Callable[[], PaybotApp],
    host: str,
    port: int,
    *,
    workers: int,
    path: str = "/slack/events",
    in_parent: Callable[[], None] | None = None,
) -> None:
    """Answers Slack from `workers` child processes sharing one listening socket, each with its
    own app and threads: Python runs one thread at a time per process, so a burst of clicks is
    spread over the machine's cores. The parent answers nothing: it runs `in_parent` once the
    children exist (the scheduler: its threads must not be copied into them, and its jobs must
    not hold up an answer), and starts a child again if one dies. Returns when the server stops
    (SIGTERM, Ctrl-C, or a child that cannot start); the children stop with it."""
    listener = socket.create_server((host, port), backlog=ThreadingWSGIServer.request_queue_size)
    children: dict[int, float] = {}  # pid -> when it started
    try:
        # The parent's objects (every import) are shared with the workers page by page; frozen,
        # the workers' garbage collector leaves them alone instead of copying those pages.
        gc.freeze()
        for _ in range(max(workers, 1)):
            children[_start_child(listener, make_app, path)] = time.monotonic()
        # A stopped parent stops its children (the finally below) rather than orphaning them.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        if in_parent is not None:
            in_parent()
        while True:
            time.sleep(1)
            for pid, started in list(children.items()):
                # Only the workers are waited for: a job's own subprocess is its business.
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
                del children[pid]
                if time.monotonic() - started < RESTART_AFTER:
                    raise SystemExit(f"a paybot serve worker stopped at start (status {status})")
                log.warning("worker %s stopped (status %s); starting another", pid, status)
                children[_start_child(listener, make_app, path)] = time.monotonic()
    finally:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)
        listener.close()


def _start_child(listener: socket.socket, make_app: Callable[[], PaybotApp], path: str) -> int:
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child process
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        try:
            _serve_on(listener, make_app(), path)
        except KeyboardInterrupt:
            pass
        except BaseException:
            log.exception("paybot serve worker failed")
            os._exit(1)
        finally:
            os._exit(0)
    return child


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve_on(listener: socket.socket, app: PaybotApp, path: str) -> None:
    server = ThreadingWSGIServer(listener.getsockname()[:2], _QuietHandler, bind_and_activate=False)
    server.socket = listener
    host, port = listener.getsockname()[:2]
    server.server_name, server.server_port = str(host), int(port)
    server.setup_environ()
    server.set_app(wsgi_app(app, path))
    server.serve_forever()
