"""The scheduled jobs do the work of the commands, and only the process holding the database's
scheduler lease runs them; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from paybot import jobs
from paybot.bank.sandbox import read_order
from paybot.cli.main import app
from paybot.config import Settings
from paybot.container import Container
from paybot.container import reset as reset_container
from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import Entry, EntryTransaction, Notification
from paybot.core.company import DispatchTiming
from paybot.core.states import PaymentStatus
from paybot.jobs import JobRunner
from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import companies, proposals, slack_records
from paybot.store.leases import Lease, current_leader, lease_for
from paybot.store.uow import UnitOfWork
from tests.builders import (
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

PROPOSALS = "C0PROPOSALS"
MONDAY_EIGHT_OSLO = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@dataclass
class Clock:
    """paybot's clock in these tests: still unless a test moves it."""

    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at


@dataclass
class World:
    """A company whose bank is two folders, with one proposal; paybot's parts on a fake clock."""

    parts: Container
    clock: Clock
    uow: UnitOfWork
    outbox: Path
    inbox: Path
    phone: Authenticator
    payment: int

    def status(self) -> PaymentStatus:
        found = proposals.list_payments(self.uow, company_org_no=ORG_NO, statuses=None)
        return next(p.status for p in found if p.id == self.payment)

    def sent_files(self) -> list[Path]:
        return sorted(self.outbox.glob("*.xml"))

    def sign_and_send(self) -> None:
        sign_with(self.uow, self.phone, [self.payment])
        self.clock.at = self.phone.at + timedelta(minutes=5)  # past the undo window
        jobs.run_job("dispatch_due", self.parts)


def parts_for(database_url: str, tmp_path: Path, clock: Clock, **values: Any) -> Container:
    settings = Settings(
        database_url=database_url,
        files_dir=tmp_path / "files",
        lease_check_seconds=0.05,
        **values,
    )
    return Container(settings, clock=clock)


@pytest.fixture
def world(
    uow: UnitOfWork, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)  # nothing goes to a real Slack
    phone = a_company(uow)
    assert phone is not None
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    companies.set_bank_account(
        uow,
        org_no=ORG_NO,
        account=COMPANY_ACCOUNT,
        values={"gateway": "directory", "outbox": str(outbox), "inbox": str(inbox)},
        now=NOW,
    )
    [payment] = ledger_with(uow, [an_item()], [a_supplier()]).values()
    clock = Clock()
    parts = parts_for(database_url, tmp_path, clock)
    yield World(parts, clock, uow, outbox, inbox, phone, payment.id)
    parts.engine.dispose()


def outcomes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("job ")]


# --- what each job does ---------------------------------------------------------------------


def test_dispatch_due_sends_a_signed_payment_whose_time_has_come(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    jobs.run_job("dispatch_due", world.parts)
    assert world.sent_files() == [] and world.status() is PaymentStatus.PROPOSED

    world.sign_and_send()

    [batch] = world.sent_files()
    [ordered] = read_order(batch.read_bytes())
    assert ordered.amount == Decimal("1250.00")
    assert world.status() is PaymentStatus.PROCESSING
    assert outcomes(caplog) == [
        "job dispatch_due ran: 0 batch(es) sent",
        "job dispatch_due ran: 1 batch(es) sent",
    ]


def _booking(e2e: str, amount: Decimal) -> bytes:
    """The bank's camt.054: the payment left the company's account."""
    entry = Entry(
        account=COMPANY_ACCOUNT,
        amount=amount,
        currency="NOK",
        direction="DBIT",
        status="BOOK",
        booking_date=date(2026, 11, 24),
        value_date=date(2026, 11, 24),
        bank_reference=f"REF-{e2e}"[:35],
        transactions=(EntryTransaction(end_to_end_id=e2e, amount=amount, currency="NOK"),),
    )
    out = io.BytesIO()
    notice = Notification("BOOKED-1", datetime(2026, 11, 24, tzinfo=UTC), "camt.054.001.02")
    write_camt054(out, notice, [entry])
    return out.getvalue()


def test_poll_returns_applies_the_banks_answer_waiting_in_the_inbox(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    world.sign_and_send()
    [ordered] = read_order(world.sent_files()[0].read_bytes())
    world.inbox.mkdir(parents=True, exist_ok=True)
    (world.inbox / "booked.xml").write_bytes(_booking(ordered.end_to_end_id, ordered.amount))

    world.clock.at += timedelta(hours=2)
    jobs.run_job("poll_returns", world.parts)

    assert world.status() is PaymentStatus.PAID
    assert not (world.inbox / "booked.xml").exists()  # taken, and not read again
    assert "job poll_returns ran: 1 return file(s) read" in outcomes(caplog)


def test_check_missing_returns_fails_a_payment_the_bank_never_answered(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    world.sign_and_send()
    jobs.run_job("check_missing_returns", world.parts)
    assert world.status() is PaymentStatus.PROCESSING  # not late yet

    world.clock.at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # past 24 banking hours
    jobs.run_job("check_missing_returns", world.parts)

    assert world.status() is PaymentStatus.FAILED
    assert (
        outcomes(caplog)[-1]
        == "job check_missing_returns ran: 1 payment(s) without an answer failed"
    )


def test_prune_claims_forgets_the_claims_nothing_can_claim_again(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    slack_records.claim(world.uow, key="event:Ev0OLD", now=NOW, takeover_after=None)
    slack_records.claim(world.uow, key="alert:paid:1", now=NOW)
    world.clock.at = NOW + timedelta(days=4)
    slack_records.claim(world.uow, key="event:Ev0NEW", now=world.clock.at, takeover_after=None)

    jobs.run_job("prune_claims", world.parts)

    assert outcomes(caplog) == ["job prune_claims ran: 1 claim(s) pruned"]
    assert slack_records.claimed(
        world.uow, keys=["event:Ev0OLD", "alert:paid:1", "event:Ev0NEW"]
    ) == {"alert:paid:1", "event:Ev0NEW"}


def test_post_proposals_posts_the_daily_post_to_slack_once(
    world: World, database_url: str, tmp_path: Path
) -> None:
    companies.update_settings(world.uow, org_no=ORG_NO, proposals_channel=PROPOSALS, now=NOW)
    with FakeSlackServer() as fake:
        clock = Clock(MONDAY_EIGHT_OSLO)
        parts = parts_for(
            database_url,
            tmp_path,
            clock,
            SLACK_BOT_TOKEN=fake.slack.token,
            slack_api_url=fake.url,
        )
        try:
            jobs.run_job("post_proposals", parts)
            clock.at += timedelta(minutes=1)
            jobs.run_job("post_proposals", parts)
        finally:
            parts.engine.dispose()
        posts = _posts(fake.slack)
    assert len(posts) == 1 and f"details:{world.payment}" in str(posts[0]["blocks"])


def test_the_cards_follow_what_the_jobs_do_to_a_payment(
    world: World, database_url: str, tmp_path: Path
) -> None:
    """Sent (Processing) and answered (Paid) by jobs, not clicks: the daily post's card says so."""
    companies.update_settings(world.uow, org_no=ORG_NO, proposals_channel=PROPOSALS, now=NOW)
    with FakeSlackServer() as fake:
        parts = parts_for(
            database_url,
            tmp_path,
            world.clock,
            SLACK_BOT_TOKEN=fake.slack.token,
            slack_api_url=fake.url,
        )
        world.parts = parts
        try:
            world.clock.at = MONDAY_EIGHT_OSLO
            jobs.run_job("post_proposals", parts)
            [(key, _)] = [(k, b) for k, b in fake.slack.messages.items() if k[0] == PROPOSALS]
            world.sign_and_send()
            assert "Processing" in str(fake.slack.messages[key]["blocks"])
            [ordered] = read_order(world.sent_files()[0].read_bytes())
            world.inbox.mkdir(parents=True, exist_ok=True)
            booked = _booking(ordered.end_to_end_id, ordered.amount)
            (world.inbox / "booked.xml").write_bytes(booked)
            jobs.run_job("poll_returns", parts)
        finally:
            parts.engine.dispose()
        assert world.status() is PaymentStatus.PAID
        assert "Paid" in str(fake.slack.messages[key]["blocks"])


def _posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [
        body
        for (channel, _), body in slack.messages.items()
        if channel == PROPOSALS and not body.get("thread_ts")
    ]


def test_a_job_that_fails_is_logged_and_the_next_still_runs(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(parts: Container | None = None) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setitem(jobs.JOBS, "dispatch_due", (broken, timedelta(minutes=1)))
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    jobs.run_job("dispatch_due", world.parts)
    jobs.run_job("check_missing_returns", world.parts)
    assert outcomes(caplog) == [
        "job dispatch_due failed",
        "job check_missing_returns ran: 0 payment(s) without an answer failed",
    ]


# --- one scheduler per database ---------------------------------------------------------------


@dataclass
class FakeScheduler:
    """Stands in for APScheduler: says when it was started and shut down."""

    started: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)
    waited: bool | None = None

    @property
    def running(self) -> bool:
        return self.started.is_set() and not self.stopped.is_set()

    def start(self) -> None:
        self.started.set()

    def shutdown(self, wait: bool = True) -> None:
        self.waited = wait
        self.stopped.set()


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 30) -> None:
    """Polls for `condition` (the lease thread works on its own time), failing after `deadline`."""
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.02)


class CountedLease:
    """A real lease that counts its candidate's tries."""

    def __init__(self, lease: Lease) -> None:
        self.lease, self.holder, self.tries = lease, lease.holder, 0

    def try_acquire(self, now: datetime) -> bool:
        self.tries += 1
        return self.lease.try_acquire(now)

    def renew(self, now: datetime) -> bool:
        return self.lease.renew(now)

    def release(self) -> None:
        self.lease.release()


def runner(parts: Container, made: list[FakeScheduler], lease: Lease) -> JobRunner:
    def make(_: JobRunner) -> Any:
        made.append(FakeScheduler())
        return made[-1]

    return JobRunner(parts, lease=lease, make_scheduler=make)


def test_of_two_processes_one_runs_the_jobs_and_the_other_takes_over_when_it_stops(
    world: World, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    first_made: list[FakeScheduler] = []
    second_made: list[FakeScheduler] = []
    first = runner(world.parts, first_made, lease_for(engine, "a:1:x")).start()
    wait_for(lambda: first.leading, "the first candidate leads")
    tried = CountedLease(lease_for(engine, "b:2:y"))
    second = runner(world.parts, second_made, tried).start()
    try:
        # The second tries every 0.05 s; it gets nowhere while the first leads.
        wait_for(lambda: tried.tries >= 3, "the second candidate tries a few times")
        assert not second.leading and second_made == []
        assert first_made[0].started.is_set()
        leader = current_leader(engine, world.clock())
        assert leader is not None and leader.holder == "a:1:x"

        first.stop()
        assert first_made[0].stopped.is_set() and first_made[0].waited  # a running job finishes
        wait_for(lambda: second.leading, "the second candidate takes over")
        leader = current_leader(engine, world.clock())
        assert leader is not None and leader.holder == "b:2:y"
        assert second_made[0].started.is_set()
    finally:
        first.stop()
        second.stop()
    assert current_leader(engine, world.clock()) is None  # released
    said = [r.getMessage() for r in caplog.records]
    assert said.count("became the scheduler (holder a:1:x)") == 1
    assert said.count("became the scheduler (holder b:2:y)") == 1
    assert any(
        line.startswith("stopping: the scheduled jobs end here") and "(holder a:1:x)" in line
        for line in said
    )


class LosingLease:
    """A lease that is held until the test takes it away."""

    holder = "c:3:z"

    def __init__(self) -> None:
        self.lost = threading.Event()
        self.released = False

    def try_acquire(self, now: datetime) -> bool:
        return not self.lost.is_set()

    def renew(self, now: datetime) -> bool:
        return not self.lost.is_set()

    def release(self) -> None:
        self.released = True


def test_a_process_that_loses_the_lease_stops_its_jobs_at_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    made: list[FakeScheduler] = []
    lease = LosingLease()

    def make(_: JobRunner) -> Any:
        made.append(FakeScheduler())
        return made[-1]

    leader = JobRunner(world.parts, lease=lease, make_scheduler=make).start()
    try:
        wait_for(lambda: leader.leading, "it leads")
        lease.lost.set()
        wait_for(lambda: made[0].stopped.is_set(), "its scheduler is shut down")
        assert made[0].waited is False  # without waiting for a job under way
        assert not leader.leading
        leader.run_job("dispatch_due")  # a run already queued does nothing
    finally:
        leader.stop()
    assert lease.released
    said = [r.getMessage() for r in caplog.records]
    assert "lost the lease (holder c:3:z): the jobs stop here" in said
    assert not any(m.startswith("job ") for m in said)


def test_a_holder_whose_database_session_ends_stops_its_jobs_and_becomes_a_candidate_again(
    world: World, engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the lease's own connection: PostgreSQL only")
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    made: list[FakeScheduler] = []
    leader = runner(world.parts, made, lease_for(engine, "e:5:v")).start()
    try:
        wait_for(lambda: leader.leading, "it leads")
        with engine.connect() as connection:  # as the server does when keepalives go unanswered
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            )
        wait_for(lambda: made[0].stopped.is_set(), "its scheduler stops")
        assert made[0].waited is False
        wait_for(lambda: len(made) == 2 and leader.leading, "it takes the free lease again")
    finally:
        leader.stop()
    said = [r.getMessage() for r in caplog.records]
    assert said.count("lost the lease (holder e:5:v): the jobs stop here") == 1
    assert said.count("became the scheduler (holder e:5:v)") == 2


def test_a_job_is_not_run_once_the_database_ended_the_holder_s_session(
    world: World, engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process may hold the lock as soon as the session ends: the next job notices,
    not the renewal a period later (here an hour away)."""
    if database_url.startswith("sqlite"):
        pytest.skip("the lease's own connection: PostgreSQL only")
    caplog.set_level(logging.INFO, logger="paybot.jobs")
    made: list[FakeScheduler] = []
    leader = runner(world.parts, made, lease_for(engine, "f:6:u"))
    leader.check_every = leader.renew_every = 3600
    leader.start()
    try:
        wait_for(lambda: leader.leading, "it leads")
        leader.run_job("check_missing_returns")  # while the lease holds, the job runs
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            )
        other = lease_for(engine, "g:7:t")
        assert other.try_acquire(world.clock())  # someone else leads now
        leader.run_job("check_missing_returns")
        assert not leader.leading
        wait_for(lambda: made[0].stopped.is_set(), "its scheduler stops")
        other.release()
    finally:
        leader.stop()
    said = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("job check_missing_returns ran") for m in said) == 1
    assert "lost the lease (holder f:6:u): job check_missing_returns not run" in said


def test_a_scheduler_that_will_not_start_gives_the_lease_up_and_is_tried_again(
    world: World, engine: Engine
) -> None:
    made: list[FakeScheduler] = []
    released = threading.Event()

    class Watched(CountedLease):
        def release(self) -> None:
            released.set()
            super().release()

    def make(_: JobRunner) -> Any:
        if not made:
            made.append(FakeScheduler())
            raise RuntimeError("no threads left")
        made.append(FakeScheduler())
        return made[-1]

    leader = JobRunner(
        world.parts, lease=Watched(lease_for(engine, "d:4:w")), make_scheduler=make
    ).start()
    try:
        wait_for(lambda: len(made) == 2 and leader.leading, "it leads at the second try")
        assert released.is_set()  # in between, another process could have taken over
        assert made[1].started.is_set()
    finally:
        leader.stop()


def test_the_lease_holder_runs_the_jobs_on_their_schedule(world: World) -> None:
    """The real scheduler: every job is due at once, so a signed payment goes out."""
    sign_with(world.uow, world.phone, [world.payment])
    world.clock.at = world.phone.at + timedelta(minutes=5)
    stop = threading.Event()
    forever = threading.Thread(target=jobs.run_forever, args=(world.parts,), kwargs={"stop": stop})
    forever.start()
    try:
        wait_for(lambda: world.status() is PaymentStatus.PROCESSING, "the payment is sent")
        assert len(world.sent_files()) == 1
    finally:
        stop.set()
        forever.join(60)
    assert not forever.is_alive()
    assert current_leader(world.parts.engine, world.clock()) is None


def test_paybot_jobs_stops_on_sigterm_and_releases_the_lease(
    world: World, database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PAYBOT_DATABASE_URL": database_url,
        "PAYBOT_FILES_DIR": str(tmp_path / "files"),
        "PAYBOT_LEASE_CHECK_SECONDS": "0.1",
    }
    env.pop("SLACK_BOT_TOKEN", None)
    sign_with(world.uow, world.phone, [world.payment])  # due at once (the undo window is past)
    process = subprocess.Popen(
        [sys.executable, "-m", "paybot", "jobs"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: world.status() is PaymentStatus.PROCESSING, "sent", deadline=60)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "became the scheduler (holder " in output
    assert "job dispatch_due ran: 1 batch(es) sent" in output
    assert len(world.sent_files()) == 1
    assert current_leader(world.parts.engine, datetime.now(UTC)) is None


def test_jobs_status_names_the_process_that_runs_the_jobs(
    world: World, engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    reset_container()
    try:
        said = CliRunner().invoke(app, ["jobs", "--status"])
        assert said.exit_code == 1 and "No process runs the scheduled jobs" in said.output
        lease = lease_for(engine, "host-a:4242:cafe")
        assert lease.try_acquire(datetime.now(UTC))
        try:
            said = CliRunner().invoke(app, ["jobs", "--status"])
            assert said.exit_code == 0, said.output
            assert "The scheduled jobs run in host-a:4242:cafe (host:pid:id)" in said.output
        finally:
            lease.release()
    finally:
        reset_container()
