"""`paybot serve` over HTTP: gunicorn's master loads the Slack app once, then forks threaded
workers ("gthread") that share the listening socket.

Each worker takes fresh database connections after the fork, warms its pool, and may run the
scheduled jobs (only the holder of the scheduler's lease runs them). A worker told to stop
(SIGTERM, from the master) takes no new connection, answers the requests it has, and finishes
the work Bolt does after each acknowledgement (modals, card updates, Home tabs) before it exits,
all within the graceful timeout. The master restarts a worker that dies; a worker whose master
died stops by itself, so nothing keeps the port.
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from paybot.ops import logs, metrics
from paybot.serving import (
    WARM_CONNECTIONS,
    Stoppable,
    background_jobs,
    warm_up_before_serving,
    wsgi_app,
)
from paybot.store import db

if TYPE_CHECKING:
    from collections.abc import Callable
    from wsgiref.types import WSGIApplication

    from paybot.app import PaybotApp
    from paybot.container import Container

log = logging.getLogger("paybot.serve")

# One line per request: who (the client a trusted proxy names, else the peer), method, path (never
# the query string), status, bytes, duration, and for a Slack request the id its log lines carry
# (the answer's X-Request-Id; "-" for the others). Bodies are never logged.
ACCESS_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'


@dataclass(frozen=True)
class ServeOptions:
    """How `paybot serve` runs gunicorn (from the settings, overridden on the command line)."""

    bind: str
    workers: int
    threads: int
    timeout: int
    graceful_timeout: int
    jobs: bool
    log_format: str = "text"
    log_level: str = "INFO"
    # PAYBOT_TRUSTED_PROXIES (checked): whose X-Forwarded-For and X-Forwarded-Proto count.
    trusted_proxies: str = "127.0.0.1,::1"


class PaybotServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn with paybot's settings and hooks; `run()` returns when the master stops."""

    def __init__(
        self, make_app: Callable[[], PaybotApp], parts: Container, options: ServeOptions
    ) -> None:
        self._make_app = make_app
        self._parts = parts
        self._options = options
        self._app: PaybotApp | None = None
        self._jobs: Stoppable | None = None
        self._quick = False
        super().__init__(prog="paybot serve")

    def load_config(self) -> None:
        options = self._options
        settings: dict[str, Any] = {
            "bind": [options.bind],
            "workers": options.workers,
            "worker_class": "gthread",
            "threads": options.threads,
            "timeout": options.timeout,
            "graceful_timeout": options.graceful_timeout,
            # The app is built once in the master; the workers share its pages.
            "preload_app": True,
            "proc_name": "paybot",
            # No runtime control socket: one per user by default, and nobody needs it.
            "control_socket_disable": True,
            "loglevel": options.log_level.lower(),
            "logconfig_dict": logs.gunicorn_logconfig(options.log_format, options.log_level),
            "access_log_format": ACCESS_FORMAT,
            # The proxies gunicorn takes X-Forwarded-Proto from are the ones whose X-Forwarded-For
            # names the client (serving.ForwardedFor, in the access line as `%(h)s`).
            "forwarded_allow_ips": options.trusted_proxies,
            "post_fork": self.post_fork,
            "post_worker_init": self.post_worker_init,
            "worker_int": self.worker_int,
            "worker_exit": self.worker_exit,
            "child_exit": self.child_exit,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> WSGIApplication:
        """In the master (preload): the app; the warm-up (serving.warm_up), whose compiled
        statements every worker inherits; then the master's own database connections closed
        (it answers nothing) and every object built so far left alone by the workers' garbage
        collector, so the pages stay shared instead of being copied into each worker."""
        self._app = self._make_app()
        served = wsgi_app(self._app, self._parts)
        warm_up_before_serving(self._parts.engine, self._parts.deps)
        self._parts.engine.dispose()
        gc.freeze()
        return served

    # --- gunicorn's hooks ---------------------------------------------------------------------

    def post_fork(self, server: Any, worker: Any) -> None:
        """In a new worker: the pool's connections (if any) belong to the master."""
        self._parts.engine.dispose(close=False)

    def post_worker_init(self, worker: Any) -> None:
        db.warm_pool(self._parts.engine, WARM_CONNECTIONS)
        if self._options.jobs:
            self._jobs = background_jobs(self._parts)

    def worker_int(self, worker: Any) -> None:
        """SIGINT or SIGQUIT: a quick stop, nothing waited for."""
        self._quick = True

    def worker_exit(self, server: Any, worker: Any) -> None:
        """A worker's last step, after its requests: the work after the acknowledgements is
        finished (unless told to stop quickly), then the jobs are stopped."""
        if os.getpid() != worker.pid:
            return  # gunicorn also calls this in the master for a worker already gone
        if self._app is not None:
            limit = 0 if self._quick else self._options.graceful_timeout
            if not self._app.finish_lazy_work(limit) and not self._quick:
                log.warning(
                    "worker %s stops with work after an acknowledgement unfinished", worker.pid
                )
        if self._jobs is not None:
            self._jobs.stop()

    def child_exit(self, server: Any, worker: Any) -> None:
        """In the master: a worker's metrics files are merged into the totals."""
        metrics.worker_exited(worker.pid)
