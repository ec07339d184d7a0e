"""GET /healthz: can paybot do its work? The database answers, its schema is the one this code
was written for, and a scheduler holds the lease (someone runs the scheduled jobs). GET /readyz:
the first two only, for a load balancer choosing the instances that can answer Slack.

A probe never hangs and never shows a stack trace: the checks run on one thread of their own and
are waited for at most `timeout` seconds (PostgreSQL also stops a statement after that long); a
probe that comes while an earlier one is still waiting for the database shares its wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from paybot.store.db import Engine, head_revision
from paybot.store.health_queries import schema_revision
from paybot.store.leases import current_leader

log = logging.getLogger("paybot.health")

OK = "ok"
TIMEOUT_SECONDS = 2.0
READINESS = ("database", "schema")


@dataclass(frozen=True)
class Report:
    """Each check's result: "ok", or why not in a few words (no host names, no trace)."""

    checks: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(result == OK for result in self.checks.values())

    @property
    def status(self) -> int:
        return 200 if self.healthy else 503

    def body(self) -> dict[str, Any]:
        return {"status": OK if self.healthy else "unavailable", "checks": self.checks}

    def readiness(self) -> Report:
        """What GET /readyz answers: can this process answer Slack? The scheduler is left out:
        it runs elsewhere, and a load balancer that dropped every instance while the jobs
        change hands would stop Slack's requests too."""
        return Report({name: self.checks[name] for name in READINESS})


class Health:
    """The checks, for one database; the newest schema revision is read once, here."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._engine, self._clock, self._timeout = engine, clock, timeout
        self._head = head_revision(engine)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._running: Future[Report] | None = None

    def probe(self) -> Report:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self._check)
            running = self._running
        try:
            return running.result(timeout=self._timeout)
        except FutureTimeout:
            log.warning("health: the database did not answer within %s s", self._timeout)
            return _unreachable(f"no answer within {self._timeout:g} s")

    def _check(self) -> Report:
        now = self._clock()
        if self._missing_file():
            return _unreachable("no database file")
        try:
            # A probe's statements must not outlive the probe.
            current = schema_revision(self._engine, timeout_ms=int(self._timeout * 1000))
            leader = current_leader(self._engine, now)
        except Exception as error:  # noqa: BLE001 - any failure here means "not reachable"
            # The reason goes to the log only: the probe's answer may be seen from outside.
            reason = " ".join(str(getattr(error, "orig", None) or error).split())[:300]
            log.warning("health: database unreachable: %s: %s", type(error).__name__, reason)
            return _unreachable("unreachable")
        if current == self._head:
            schema = OK
        elif current is None:
            schema = f"no paybot schema; the newest is {self._head}: run `paybot db upgrade`"
        else:
            schema = f"at {current}, the newest is {self._head}: run `paybot db upgrade`"
        if leader is None:
            scheduler = "no scheduler holds the lease: scheduled jobs are not running"
        else:
            scheduler = OK
        return Report({"database": OK, "schema": schema, "scheduler": scheduler})

    def _missing_file(self) -> bool:
        """SQLite: connecting to a file that is not there would create an empty one."""
        if self._engine.url.get_backend_name() != "sqlite":
            return False
        database = self._engine.url.database or ""
        return database not in ("", ":memory:") and not Path(database).exists()


def _unreachable(why: str) -> Report:
    unknown = "not checked: the database is not reachable"
    return Report({"database": why, "schema": unknown, "scheduler": unknown})
