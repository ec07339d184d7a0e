"""paybot's Prometheus metrics: what the Slack endpoint answered and how fast (measured in each
process; summed over gunicorn's workers through PROMETHEUS_MULTIPROC_DIR), and what the database
holds (payments, batches, answers, alarms, polls, one-time codes), read at each scrape so that it
is right whichever process or machine did the work.

Multiprocess mode: PROMETHEUS_MULTIPROC_DIR must name an empty folder before prometheus_client
is first imported (prometheus_client decides then), and gunicorn's `child_exit` hook calls
`worker_exited(pid)`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import cache
from typing import NamedTuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from paybot.core.sends import AlarmKind, SendState
from paybot.core.states import PaymentStatus
from paybot.store.db import Engine
from paybot.store.metrics_queries import Snapshot, read_snapshot

log = logging.getLogger("paybot.metrics")

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Slack wants its answer within 3 s; most should come in well under a second.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0)


class Live(NamedTuple):
    """The metrics this process measures itself."""

    ack_seconds: Histogram
    requests: Counter


@cache
def live() -> Live:
    """Made on first use: by then a multiprocess folder set by `paybot serve` is known."""
    if multiprocess_mode() and values.ValueClass is values.MutexValue:
        log.warning(
            "%s was set after prometheus_client was imported: each worker counts only its own "
            "requests",
            MULTIPROC_DIR,
        )
    return Live(
        ack_seconds=Histogram(
            "paybot_slack_ack_seconds",
            "Time to answer (acknowledge) a Slack request, by kind of request.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=None,
        ),
        requests=Counter(
            "paybot_slack_requests",
            "Slack requests, by kind and outcome (HTTP status class, or why it was refused).",
            ["kind", "outcome"],
            registry=None,
        ),
    )


def observe_request(kind: str, outcome: str, seconds: float) -> None:
    """One Slack request answered: its kind, its outcome, and how long the answer took."""
    metrics = live()
    metrics.ack_seconds.labels(kind=kind).observe(seconds)
    metrics.requests.labels(kind=kind, outcome=outcome).inc()


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_DIR))


def worker_exited(pid: int) -> None:
    """gunicorn's `child_exit` hook: a dead worker's gauges stop counting (its counters stay)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def render(engine: Engine, clock: Callable[[], datetime]) -> tuple[bytes, str]:
    """The metrics page (Prometheus text format) and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        metrics = live()
        registry.register(metrics.ack_seconds)
        registry.register(metrics.requests)
        ProcessCollector(registry=registry)
    registry.register(DatabaseCollector(engine, clock))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class DatabaseCollector(Collector):
    """The counts in the database, read when Prometheus scrapes (a few GROUP BY queries)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine, self._clock = engine, clock

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        try:
            snapshot = read_snapshot(self._engine, self._clock())
        except Exception as error:  # noqa: BLE001 - a scrape shows the database is down
            reason = " ".join(str(error).split())[:300]
            log.warning("metrics could not read the database: %s: %s", type(error).__name__, reason)
            yield _gauge("paybot_metrics_database_up", "1 if the database could be read.", 0)
            return
        yield _gauge("paybot_metrics_database_up", "1 if the database could be read.", 1)
        yield _gauge(
            "paybot_metrics_database_seconds",
            "Time the database counts took at this scrape.",
            time.perf_counter() - started,
        )
        yield from database_metrics(snapshot)


def database_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    payments = GaugeMetricFamily(
        "paybot_payments", "Payments in each state, per company.", labels=["company", "state"]
    )
    for company in sorted({company for company, _ in snapshot.payments}):
        for state in PaymentStatus:  # every state, so that an alert on one sees a 0
            count = snapshot.payments.get((company, state.value), 0)
            payments.add_metric([company, state.value], count)
    yield payments
    batches = CounterMetricFamily(
        "paybot_batches_sent", "Batches (payment files) sent to the bank.", labels=["company"]
    )
    for company, count in sorted(snapshot.batches_sent.items()):
        batches.add_metric([company], count)
    yield batches
    yield _by_label(
        GaugeMetricFamily(
            "paybot_payment_sends",
            "Sends of payments to the bank, by what the bank answered last (state of the send).",
            labels=["state"],
        ),
        snapshot.sends,
        [state.value for state in SendState],
    )
    yield _by_label(
        CounterMetricFamily(
            "paybot_bank_files_applied",
            "Files from the bank (status reports, notifications) applied.",
            labels=["kind"],
        ),
        snapshot.return_files,
        ["pain.002", "camt.054"],
    )
    yield _by_label(
        CounterMetricFamily("paybot_alarms_raised", "Alarms raised, by kind.", labels=["kind"]),
        snapshot.alarms,
        [kind.value for kind in AlarmKind],
    )
    yield from _poll_metrics(snapshot)
    yield _gauge(
        "paybot_otp_devices_locked",
        "One-time-code devices locked now after wrong codes.",
        snapshot.otp_locked,
    )
    yield _gauge(
        "paybot_otp_devices_failing",
        "One-time-code devices whose last code was wrong.",
        snapshot.otp_failing,
    )
    yield _gauge(
        "paybot_otp_failed_attempts",
        "Wrong one-time codes in a row (since the last good code), added over all devices.",
        snapshot.otp_failures,
    )


def _poll_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    succeeded = GaugeMetricFamily(
        "paybot_bank_poll_last_success_timestamp_seconds",
        "When each bank account's inbox was last read (unix time).",
        labels=["company", "account"],
    )
    failed = GaugeMetricFamily(
        "paybot_bank_poll_last_failure_timestamp_seconds",
        "When reading each bank account's inbox last failed (unix time).",
        labels=["company", "account"],
    )
    for (company, account), (ok_at, failed_at) in sorted(snapshot.polls.items()):
        if ok_at is not None:
            succeeded.add_metric([company, account], ok_at)
        if failed_at is not None:
            failed.add_metric([company, account], failed_at)
    yield succeeded
    yield failed


def _by_label(
    family: GaugeMetricFamily | CounterMetricFamily, counts: dict[str, int], known: list[str]
) -> Metric:
    for label in sorted(set(known) | set(counts)):
        family.add_metric([label], counts.get(label, 0))
    return family


def _gauge(name: str, documentation: str, value: float) -> Metric:
    return GaugeMetricFamily(name, documentation, value=value)
