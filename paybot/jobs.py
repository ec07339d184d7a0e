"""Scheduled jobs: send what is due, read the bank's answers, notice missing answers, post to Slack.

The schedules are here in code (APScheduler's memory job store). Every `paybot serve` worker and
every `paybot jobs` process is a candidate, but only the holder of the database's scheduler lease
(paybot.store.leases) runs the jobs: one scheduler per database. A candidate tries to take the
lease every PAYBOT_LEASE_CHECK_SECONDS, so the jobs move on within about that long when their
process dies. Every job is still safe to run twice at once (dispatch locks the company and claims
each payment once; a return file is applied once; Slack posts are claimed), which covers the
moment between a holder losing its connection and noticing it.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from paybot.container import Container, container
from paybot.core.errors import PaybotError
from paybot.handlers import alerting, cards, incoming, proposal_posts
from paybot.services import dispatching, ehf_inbox, returns, slack_records
from paybot.store.leases import RENEW_EVERY, Lease, lease_for

log = logging.getLogger("paybot.jobs")


def dispatch_due(parts: Container | None = None) -> str:
    """Sends every signed payment whose time has come."""
    parts = parts or container()
    result = dispatching.dispatch(
        parts.checked_uow(), parts.gateway_for, now=parts.clock(), options=parts.dispatch_options()
    )
    for batch in result.sent:
        log.info("sent batch %s of %s: %s payment(s)", batch.number, batch.company, batch.payments)
    _show_moved(parts, [pid for batch in result.sent for pid in batch.payment_ids])
    for message_id, why in result.refused:
        log.error("did not send %s: %s", message_id, why)
    for message_id, why, retry_at in result.retrying:
        log.warning("could not deliver %s (%s); trying again at %s", message_id, why, retry_at)
    for message_id, why in result.unknown:
        log.error("upload of %s broke off (%s): a person checks the netbank", message_id, why)
    return f"{len(result.sent)} batch(es) sent"


def poll_returns(parts: Container | None = None) -> str:
    """Reads the bank's answers waiting in every account's inbox, and (for an account with an
    incoming agreement) the payments in: OCR Giro files, camt.054 credits."""
    parts = parts or container()
    results = returns.poll(parts.checked_uow(), parts.gateway_for, now=parts.clock())
    for result in results:
        if result.error:
            log.error("return file %s not taken: %s", result.name, result.error)
            continue
        taken = result.incoming
        if taken is not None and taken.payments:
            log.info(
                "incoming payments in %s: %s (%s voucher(s) posted)",
                result.name,
                ", ".join(f"{n} {status}" for status, n in sorted(taken.counts.items())),
                taken.vouchers,
            )
        if result.kind == "ocr_giro":
            continue
        log.info(
            "return file %s: %s paid, %s failed, %s returned, %s on hold, unmatched %s",
            result.name,
            len(result.paid),
            len(result.failed),
            len(result.returned),
            len(result.held),
            result.unmatched or "none",
        )
        _show_moved(parts, [*result.paid, *result.failed, *result.returned, *result.held])
    return f"{sum(1 for r in results if not r.error)} return file(s) read"


def check_missing_returns(parts: Container | None = None) -> str:
    """Fails payments the bank has not answered for in time."""
    parts = parts or container()
    late = returns.check_missing(
        parts.checked_uow(),
        now=parts.clock(),
        after=timedelta(hours=parts.settings.no_return_hours),
        zone=parts.zone,
    )
    if late:
        log.warning("no answer from the bank for payments %s: now Failed", late)
        _show_moved(parts, late)
    return f"{len(late)} payment(s) without an answer failed"


def prune_claims(parts: Container | None = None) -> str:
    """Forgets the once-only claims that nothing can claim again (slack_records.RETENTION: Slack
    events after days, a day's posts once the day is long past); alert claims are kept."""
    parts = parts or container()
    pruned = slack_records.prune_claims(parts.checked_uow(), now=parts.clock())
    if pruned.total:
        log.info(
            "pruned claims: %s",
            ", ".join(f"{n} {prefix.rstrip(':')}" for prefix, n in pruned.counts.items() if n),
        )
    return f"{pruned.total} claim(s) pruned"


def _show_moved(parts: Container, payment_ids: list[int]) -> None:
    """The cards showing payments a job moved on (Processing, Paid, Failed…) say so, as they do
    after a click; a card that cannot be updated leaves the payment as it is."""
    if not payment_ids or parts.slack_client is None:
        return
    try:
        cards.refresh(parts.slack_client, parts.deps, payment_ids)
    except Exception:  # Slack away: the job's work is done, the cards catch up on the next change
        log.exception("could not update the cards of payments %s", payment_ids)


def post_proposals(parts: Container | None = None) -> str:
    """The daily proposals post of every company whose time has come (once a day each)."""
    parts = parts or container()
    if parts.slack_client is None:
        _no_slack_token()
        return "no Slack token"
    posted = proposal_posts.post_due(parts.slack_client, parts.deps, parts.clock())
    for result in posted:
        log.info(
            "posted %s proposal(s) of %s to %s in %s message(s)",
            result.payments,
            result.company_org_no,
            result.channel,
            result.messages,
        )
    return f"{len(posted)} daily post(s) made"


@cache
def _no_slack_token() -> None:
    """Said once per process, not every minute."""
    log.info("SLACK_BOT_TOKEN is not set: the daily proposals are not posted to Slack")


def send_alerts(parts: Container | None = None) -> str:
    """Failures, missing returns, silent payments and paid batches to each alerts channel."""
    parts = parts or container()
    if parts.slack_client is None:
        _no_token_for_alerts()
        return "no Slack token"
    posted = alerting.send_alerts(parts.slack_client, parts.deps, now=parts.clock())
    return f"{posted} alert(s) posted"


@cache
def _no_token_for_alerts() -> None:
    """Said once per process, not every minute."""
    log.info("SLACK_BOT_TOKEN is not set: no alerts are posted to Slack")


def post_incoming(parts: Container | None = None) -> str:
    """The daily summary of incoming payments of every company whose time has come (its
    post_at, on banking days; once a day each, and only when there is something to say)."""
    parts = parts or container()
    if parts.slack_client is None:
        _no_token_for_alerts()
        return "no Slack token"
    posted = incoming.post_due(parts.slack_client, parts.deps, parts.clock())
    for org_no in posted:
        log.info("posted the incoming payments summary of %s", org_no)
    return f"{len(posted)} incoming summary post(s) made"


def read_ehf_inbox(parts: Container | None = None) -> str:
    """Imports the EHF files dropped into the inbox folder (PAYBOT_EHF_INBOX), each for the
    company that is its buyer; moves each to done/ or rejected/. A refused file is an alarm in
    its buyer's alerts channel; one whose buyer is no company here is only logged."""
    parts = parts or container()
    inbox = parts.settings.ehf_inbox
    if inbox is None:
        return "no EHF inbox"
    validator = parts.ehf_validator
    if validator is None:
        _no_ubl_schemas()
        return "no UBL schemas"
    outcomes = ehf_inbox.read_inbox(parts.checked_uow(), validator, inbox, now=parts.clock())
    for outcome in outcomes:
        if outcome.imported is None:
            _log_refused(outcome)
        elif outcome.outcome == "known":
            log.info("EHF file %s known already: %s", outcome.path.name, outcome.imported.detail)
        else:
            log.info(
                "EHF file %s imported for %s: payment %s",
                outcome.path.name,
                outcome.imported.company_org_no,
                outcome.imported.payment_id,
            )
    return f"{len(outcomes)} EHF file(s) read"


def _log_refused(outcome: ehf_inbox.FileOutcome) -> None:
    name, problem, alarmed = outcome.path.name, outcome.problem, outcome.alarmed
    if alarmed is None:
        log.error(
            "EHF file %s refused: %s; its buyer cannot be read or is no company in paybot, so "
            "no alerts channel is told: only this log says that it is not paid",
            name,
            problem,
        )
    elif alarmed.new:
        log.error(
            "EHF file %s refused: %s; alarm raised for %s", name, problem, alarmed.company_org_no
        )
    else:
        log.error(
            "EHF file %s refused: %s; %s had the alarm for this file before",
            name,
            problem,
            alarmed.company_org_no,
        )


@cache
def _no_ubl_schemas() -> None:
    """Said once per process, not every minute."""
    log.error(
        "PAYBOT_EHF_INBOX is set but PAYBOT_UBL_SCHEMA_DIR is not: the inbox is not read until "
        "the UBL 2.1 schemas are there"
    )


Job = Callable[[Container | None], str]

# What runs, and how often.
JOBS: dict[str, tuple[Job, timedelta]] = {
    "dispatch_due": (dispatch_due, timedelta(minutes=1)),
    "post_proposals": (post_proposals, timedelta(minutes=1)),
    "send_alerts": (send_alerts, timedelta(minutes=1)),
    "post_incoming": (post_incoming, timedelta(minutes=1)),
    "read_ehf_inbox": (read_ehf_inbox, timedelta(minutes=1)),
    "poll_returns": (poll_returns, timedelta(minutes=5)),
    "check_missing_returns": (check_missing_returns, timedelta(minutes=15)),
    "prune_claims": (prune_claims, timedelta(days=1)),
}


def run_job(name: str, parts: Container | None = None) -> None:
    """Runs one job and logs its outcome; no failure of a job may stop the scheduler."""
    job, _ = JOBS[name]
    try:
        outcome = job(parts)
    except PaybotError as exc:
        log.error("job %s failed: %s", name, exc.user_message)
    except Exception:  # a scheduler thread must outlive any one run
        log.exception("job %s failed", name)
    else:
        log.info("job %s ran: %s", name, outcome)


def scheduler(
    run: Callable[[str], None], zone: tzinfo, every: Mapping[str, timedelta] | None = None
) -> BackgroundScheduler:
    """A scheduler of paybot's jobs (kept in memory), each due at once; `run(name)` runs one.
    `every` sets other intervals than JOBS' (the demo, where time moves fast).

    On its own it runs the jobs whoever else does: `JobRunner` starts it only while its process
    holds the lease.
    """
    jobs = BackgroundScheduler(timezone=zone)
    for name, (_, interval) in JOBS.items():
        seconds = max(1, int((every or {}).get(name, interval).total_seconds()))
        jobs.add_job(
            run,
            "interval",
            args=[name],
            seconds=seconds,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=seconds,
            next_run_time=datetime.now(UTC),
        )
    return jobs


class JobRunner:
    """A lease candidate on a thread of its own; while it holds the lease, the scheduler runs."""

    def __init__(
        self,
        parts: Container,
        *,
        lease: Lease | None = None,
        check_every: float | None = None,
        make_scheduler: Callable[[JobRunner], BackgroundScheduler] | None = None,
    ) -> None:
        self.parts = parts
        self.lease = lease or lease_for(parts.engine)
        self.check_every = check_every or parts.settings.lease_check_seconds
        # Renew at least as often as candidates look, so the row is never older than a check.
        self.renew_every = min(RENEW_EVERY.total_seconds(), self.check_every)
        self._make_scheduler = make_scheduler or (
            lambda runner: scheduler(runner.run_job, runner.parts.zone)
        )
        self._stopping = threading.Event()
        self._leading = threading.Event()
        # Wakes the leader's renewal loop early: to stop, or when a job found the lease lost.
        self._wake = threading.Event()
        # The lease's connection is used by the candidate thread and by the jobs' threads.
        self._lease_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._candidate, name="paybot-scheduler-lease", daemon=True
        )

    @property
    def holder(self) -> str:
        return self.lease.holder

    @property
    def leading(self) -> bool:
        """Whether this runner holds the lease and runs the jobs now."""
        return self._leading.is_set()

    def start(self) -> JobRunner:
        self._thread.start()
        return self

    def stop(self, timeout: float = 60) -> None:
        """Stops the scheduler (letting a running job finish) and releases the lease."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_job(self, name: str) -> None:
        """A job run by the scheduler, only while the lease is still this process's. It is
        renewed first: a session the database ended (another process may hold the lock by now)
        is noticed before the job, not up to a renewal period later."""
        if not self.leading:
            return
        if not self._renew():
            self._leading.clear()
            log.warning("lost the lease (holder %s): job %s not run", self.holder, name)
            self._wake.set()
            return
        run_job(name, self.parts)

    def _candidate(self) -> None:
        try:
            while not self._stopping.is_set():
                if self._acquire():
                    try:
                        self._lead()
                    except Exception:  # this process stays a candidate whatever broke
                        log.exception("the scheduler stopped (holder %s)", self.holder)
                        self._safely(self._release)
                self._stopping.wait(self.check_every)
        finally:
            self._safely(self._release)

    def _acquire(self) -> bool:
        try:
            with self._lease_lock:
                return self.lease.try_acquire(self.parts.clock())
        except Exception as exc:  # the database may be away for a while: try again later
            log.warning("could not try the scheduler lease: %s", exc)
            return False

    def _lead(self) -> None:
        log.info("became the scheduler (holder %s)", self.holder)
        jobs = self._make_scheduler(self)
        lost = False
        try:
            self._leading.set()
            jobs.start()
            while True:
                self._wake.wait(self.renew_every)
                self._wake.clear()
                if self._stopping.is_set():
                    log.info(
                        "stopping: the scheduled jobs end here and the lease is given up (holder "
                        "%s); another process takes them over",
                        self.holder,
                    )
                    break
                if not self._renew():
                    lost = True
                    log.warning("lost the lease (holder %s): the jobs stop here", self.holder)
                    return
        finally:
            self._leading.clear()
            # Lost: at once. Stopping: a job under way finishes before the lease is released.
            if jobs.running:
                self._safely(lambda: jobs.shutdown(wait=not lost))

    def _renew(self) -> bool:
        try:
            with self._lease_lock:
                return self.lease.renew(self.parts.clock())
        except Exception as exc:  # whatever broke, this process no longer knows it leads
            log.warning("could not renew the scheduler lease: %s", exc)
            return False

    def _release(self) -> None:
        with self._lease_lock:
            self.lease.release()

    @staticmethod
    def _safely(action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:  # stopping must go on whatever the database says
            log.exception("stopping the scheduler")


def run_in_background(parts: Container) -> JobRunner:
    """Starts this process's candidacy for the scheduler (a daemon thread); `stop()` ends it."""
    return JobRunner(parts).start()


def run_forever(parts: Container, *, stop: threading.Event | None = None) -> None:
    """Runs as a candidate until SIGTERM or Ctrl-C (or `stop` is set), then releases the lease."""
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_signal) if in_main_thread else None
    runner = run_in_background(parts)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping the scheduled jobs")
        runner.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
