"""Two `paybot serve` instances against one PostgreSQL: either answers Slack, the scheduled jobs
run in exactly one of them, and when that one is killed they move to the other."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from paybot.core.banking_days import is_banking_day
from paybot.core.company import DispatchTiming
from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import companies, proposals
from paybot.store.leases import current_leader
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

SECRET = "two-instances-secret"
PROPOSALS = "C0PROPOSALS"
ZONE = "Europe/Oslo"
DEADLINE = 60.0
JOB = "paybot.jobs job "  # how a job's outcome starts in the log
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _post(url: str, body: str) -> tuple[int, str]:
    """A request signed as Slack signs it."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    request = urllib.request.Request(url, body.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def _status_command(url: str) -> tuple[int, str]:
    form = {"command": "/bank", "text": "status", "user_id": SIGNER.slack_user_id, "team_id": ""}
    return _post(url, urllib.parse.urlencode(form))


def _approve(url: str, fake: FakeSlackServer, payment_id: int) -> tuple[int, str]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": APPROVER.slack_user_id, "team_id": ""},
        "team": {"id": ""},
        "api_app_id": "A0PAYBOT",
        "trigger_id": fake.slack.new_trigger(),
        "actions": [
            {
                "action_id": Act.APPROVE.value,
                "block_id": f"b{payment_id}",
                "action_ts": str(time.time()),
                "type": "button",
                "value": str(payment_id),
            }
        ],
        "container": {
            "type": "message",
            "channel_id": PROPOSALS,
            "message_ts": "1700000000.000100",
            "is_ephemeral": False,
        },
        "channel": {"id": PROPOSALS},
        "message": {"ts": "1700000000.000100", "text": ""},
        "response_url": fake.response_url(f"approve-{payment_id}"),
    }
    return _post(url, "payload=" + urllib.parse.quote(json.dumps(payload)))


def _eventually(probe: Callable[[], T | None], what: str, deadline: float = DEADLINE) -> T:
    """Polls `probe` until it gives something (processes work on their own time)."""
    give_up = time.monotonic() + deadline
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > give_up:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.1)


@dataclass
class Instance:
    """One `paybot serve` (a gunicorn master and its workers, in a process group of its own)."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def said(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, line: str) -> int:
        return self.said().count(line)

    def runs(self, pid: int) -> bool:
        """Whether process `pid` is this instance's master or one of its workers."""
        try:
            return os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def kill(self) -> None:
        """Both master and workers die at once, as when their machine goes."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        try:  # no worker left behind whatever happened
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _start(name: str, env: dict[str, str], tmp_path: Path) -> Instance:
    port = _free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "paybot", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,  # no .env of the working copy
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill whole
        )
    instance = Instance(name, process, f"http://127.0.0.1:{port}/slack/events", log)

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"paybot serve {name} stopped:\n{instance.said()}")
        try:
            return _status_command(instance.url)[0] == 200
        except (OSError, urllib.error.URLError):
            return False

    _eventually(answers, f"paybot serve {name} answers")
    return instance


@dataclass
class Setup:
    uow: UnitOfWork
    phone: Authenticator
    outbox: Path
    payments: list[int]

    def status(self, payment_id: int) -> PaymentStatus:
        found = proposals.list_payments(self.uow, company_org_no=ORG_NO, statuses=None)
        return next(p.status for p in found if p.id == payment_id)

    def batches(self) -> list[Path]:
        return sorted(self.outbox.glob("*.xml"))


@pytest.fixture
def setup(uow: UnitOfWork, database_url: str, tmp_path: Path) -> Setup:
    if database_url.startswith("sqlite"):
        pytest.skip("several instances against one database: PostgreSQL only")
    phone = a_company(uow)
    assert phone is not None
    outbox = tmp_path / "outbox"
    companies.update_settings(
        uow,
        org_no=ORG_NO,
        timing=DispatchTiming.IMMEDIATE,
        proposals_channel=PROPOSALS,
        post_at="00:00",  # due as soon as the jobs run, on a banking day
        now=NOW,
    )
    companies.set_bank_account(
        uow,
        org_no=ORG_NO,
        account=COMPANY_ACCOUNT,
        values={"gateway": "directory", "outbox": str(outbox), "inbox": str(tmp_path / "inbox")},
        now=NOW,
    )
    items = [
        an_item(amount=Decimal(100 + n), reference_type=ReferenceType.MESSAGE, reference=f"F {n}")
        for n in range(4)
    ]
    found = ledger_with(uow, items, [a_supplier()])
    ids = sorted(p.id for p in found.values())
    sign_with(uow, phone, [ids[2]])  # due at once: the first run of the jobs sends it
    return Setup(uow, phone, outbox, ids)


@pytest.fixture
def fake() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


@pytest.fixture
def instances(
    setup: Setup, database_url: str, fake: FakeSlackServer, tmp_path: Path
) -> Iterator[tuple[Instance, Instance]]:
    env = {
        **os.environ,
        "PAYBOT_DATABASE_URL": database_url,
        "PAYBOT_FILES_DIR": str(tmp_path / "files"),
        "PAYBOT_SECRET_KEY": "x" * 43 + "=",
        "PAYBOT_SLACK_API_URL": fake.url,
        "PAYBOT_TIMEZONE": ZONE,
        "PAYBOT_LEASE_CHECK_SECONDS": "1",
        "SLACK_BOT_TOKEN": fake.slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    for name in ("SLACK_APP_TOKEN", "PROMETHEUS_MULTIPROC_DIR", "PAYBOT_BIND", "PAYBOT_WORKERS"):
        env.pop(name, None)
    started: list[Instance] = []
    try:
        started.append(_start("a", env, tmp_path))
        started.append(_start("b", env, tmp_path))
        yield started[0], started[1]
    finally:
        for instance in started:
            instance.stop()


def _leader(engine: Engine, a: Instance, b: Instance) -> Instance | None:
    """The instance whose process holds the lease (the holder names host:pid:random)."""
    leader = current_leader(engine, datetime.now(UTC))
    if leader is None:
        return None
    pid = int(leader.holder.split(":")[1])
    return next((i for i in (a, b) if i.runs(pid)), None)


def test_two_instances_answer_slack_and_run_the_jobs_once_and_take_over_from_a_dead_one(
    setup: Setup,
    instances: tuple[Instance, Instance],
    engine: Engine,
    fake: FakeSlackServer,
) -> None:
    a, b = instances
    first, second, third, fourth = setup.payments

    # Slack may call either instance: both answer, both act.
    assert _status_command(a.url)[0] == 200 and _status_command(b.url)[0] == 200
    assert _approve(a.url, fake, first)[0] == 200
    assert _approve(b.url, fake, second)[0] == 200
    _eventually(
        lambda: {setup.status(first), setup.status(second)} == {PaymentStatus.APPROVED},
        "both approvals are recorded",
    )

    # One of them runs the jobs: the payment signed before they started is sent once.
    leader = _eventually(lambda: _leader(engine, a, b), "an instance takes the lease")
    other = b if leader is a else a
    _eventually(lambda: setup.status(third) is PaymentStatus.PROCESSING, "the leader sends it")
    _eventually(lambda: leader.count(JOB + "dispatch_due ran: 1 batch(es) sent"), "its line")
    _eventually(lambda: leader.count(JOB + "post_proposals ran"), "the daily post job's line")
    assert len(setup.batches()) == 1
    assert leader.count("became the scheduler (holder ") == 1
    assert other.count("became the scheduler") == 0 and other.count(JOB) == 0

    # The daily post went out once (both instances could have made it); not on a holiday.
    today = datetime.now(ZoneInfo(ZONE)).date()
    posts = [
        body
        for (channel, _), body in fake.slack.messages.items()
        if channel == PROPOSALS and not body.get("thread_ts")
    ]
    assert len(posts) == (1 if is_banking_day(today) else 0)

    # The leader dies whole: the other takes the jobs over within the lease check time, and
    # sends what is signed now (the dead one cannot).
    leader.kill()
    sign_with(setup.uow, setup.phone, [fourth])
    # (Until then the row still names the dead holder, for up to two renewal periods.)
    _eventually(lambda: _leader(engine, a, b) is other, "the other takes over")
    _eventually(lambda: other.count("became the scheduler (holder "), "it says so")
    # Its first run sends it, or the next a minute later if that ran before the signature.
    _eventually(lambda: setup.status(fourth) is PaymentStatus.PROCESSING, "the other sends it", 120)
    # The job logs its line after its transaction commits: wait for it as for the leader's.
    _eventually(lambda: other.count(JOB + "dispatch_due ran: 1 batch(es) sent"), "its line")
    assert other.count(JOB + "dispatch_due ran: 1 batch(es) sent") == 1
    assert len(setup.batches()) == 2
    assert setup.status(third) is PaymentStatus.PROCESSING  # sent once, not again
    assert other.count("became the scheduler (holder ") == 1
    assert _status_command(other.url)[0] == 200
