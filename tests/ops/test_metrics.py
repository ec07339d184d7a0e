"""GET /metrics: what the database holds (read at each scrape, whoever did the work) and what the
Slack endpoint answered, in Prometheus' text format; summed over processes in multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, insert

from paybot.container import Container
from paybot.core.errors import InvalidOtp, PaybotError
from paybot.core.sends import AlarmKind
from paybot.ops.web import with_ops
from paybot.services import otp, returns
from paybot.services.common import resolve_actor
from paybot.store.banking import BankAccountSettings
from paybot.store.models import Batch
from paybot.store.uow import UnitOfWork
from tests.builders import (
    BOX,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    SIGNER,
    a_company,
    an_item,
    ledger_with,
    sign_with,
)
from tests.ops.conftest import PATH, OpsEndpoint, get
from tests.slack.conftest import Clock

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(text: str) -> Samples:
    """Every sample of a metrics page: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metrics_of(parts: Container) -> Samples:
    def slack(environ: object, start_response: Any) -> list[bytes]:
        raise AssertionError("not a Slack request")

    status, headers, body = get(with_ops(slack, parts=parts, path=PATH), "/metrics")
    assert status == "200 OK"
    assert headers["Content-Type"].startswith("text/plain; version=")
    return scrape(body.decode())


class Inbox:
    """A bank account's inbox that is empty, or cannot be read."""

    def __init__(self, broken: bool) -> None:
        self.broken = broken

    def incoming(self) -> list[str]:
        if self.broken:
            raise PaybotError("The bank's server did not answer.")
        return []


def test_database_counts_after_some_activity(
    parts: Container, uow: UnitOfWork, engine: Engine, clock: Clock
) -> None:
    phone = a_company(uow)
    assert phone is not None
    payments = ledger_with(uow, [an_item(), an_item(), an_item()])
    first = next(iter(payments.values()))
    sign_with(uow, phone, [first.id])  # Proposed -> Due
    with uow, pytest.raises(InvalidOtp):  # a wrong code, recorded
        otp.use_code(uow, BOX, resolve_actor(uow, SIGNER), "000000", NOW + timedelta(days=1))
    with uow:
        company = uow.companies.get(ORG_NO)
        assert company is not None
        account = uow.bank.accounts(company.id)[0]
        uow.alarms.raise_once(
            key="returned:1",
            company_id=company.id,
            kind=AlarmKind.RETURNED,
            message="The money came back.",
            details={},
            now=NOW,
        )
        uow.bank.claim_return_file(sha256="a" * 64, name="r.xml", kind="pain.002", now=NOW)
        uow.commit()
    with engine.begin() as connection:
        connection.execute(
            insert(Batch).values(
                company_id=company.id,
                bank_account_id=account.id,
                number=1,
                status="sent",
                message_id="PAYBOT-B1",
                file_format="pain.001.001.03",
                created_at=NOW,
                sent_at=NOW,
            )
        )
    failed_at, read_at = NOW + timedelta(minutes=5), NOW + timedelta(minutes=10)
    returns.poll(uow, lambda a: Inbox(broken=True), now=failed_at)  # type: ignore[arg-type,return-value]
    returns.poll(uow, lambda a: Inbox(broken=False), now=read_at)  # type: ignore[arg-type,return-value]

    samples = metrics_of(parts)

    def value(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    assert value("paybot_metrics_database_up") == 1
    assert value("paybot_payments", company=ORG_NO, state="proposed") == 2
    assert value("paybot_payments", company=ORG_NO, state="due") == 1
    assert value("paybot_payments", company=ORG_NO, state="failed") == 0
    assert value("paybot_batches_sent_total", company=ORG_NO) == 1
    assert value("paybot_bank_files_applied_total", kind="pain.002") == 1
    assert value("paybot_bank_files_applied_total", kind="camt.054") == 0
    assert value("paybot_alarms_raised_total", kind="returned") == 1
    assert value("paybot_alarms_raised_total", kind="twice") == 0
    assert value("paybot_otp_failed_attempts") == 1
    assert value("paybot_otp_devices_failing") == 1
    assert value("paybot_otp_devices_locked") == 0
    where = {"company": ORG_NO, "account": COMPANY_ACCOUNT}
    assert value("paybot_bank_poll_last_success_timestamp_seconds", **where) == read_at.timestamp()
    assert value("paybot_bank_poll_last_failure_timestamp_seconds", **where) == (
        failed_at.timestamp()
    )
    with uow:
        last = uow.polls.last(account.id)
    assert last is not None and last.error == "The bank's server did not answer."


def test_poll_records_each_account_it_read(uow: UnitOfWork) -> None:
    a_company(uow, with_people=False)
    seen: list[BankAccountSettings] = []

    def gateways(account: BankAccountSettings) -> Inbox:
        seen.append(account)
        return Inbox(broken=False)

    returns.poll(uow, gateways, now=NOW)  # type: ignore[arg-type]
    with uow:
        last = uow.polls.last(seen[0].id)
    assert last is not None and (last.succeeded_at, last.failed_at) == (NOW, None)


def test_an_unreadable_database_gives_a_page_that_says_so(
    parts: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr("paybot.ops.metrics.read_snapshot", broken)
    samples = metrics_of(parts)
    assert samples[("paybot_metrics_database_up", ())] == 0
    assert not any(name == "paybot_payments" for name, _ in samples)


def test_slack_requests_counted_by_kind_and_outcome(
    ops_endpoint: OpsEndpoint, uow: UnitOfWork
) -> None:
    a_company(uow)

    def counts() -> Samples:
        status, text = ops_endpoint.fetch("/metrics")
        assert status == 200
        return scrape(text)

    before = counts()
    assert ops_endpoint.command(SIGNER.slack_user_id, "help")[0] == 200
    assert ops_endpoint.command(SIGNER.slack_user_id, "help", sign=False)[0] == 401
    after = counts()

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("paybot_slack_requests_total", kind="command", outcome="2xx") == 1
    assert grew("paybot_slack_requests_total", kind="unknown", outcome="unsigned") == 1
    assert grew("paybot_slack_ack_seconds_count", kind="command") == 1
    assert grew("paybot_slack_ack_seconds_bucket", kind="command", le="+Inf") == 1


MULTIPROCESS_WORKER = """
import sys
from paybot.ops import metrics
metrics.observe_request("action", "2xx", 0.02)
metrics.observe_request("action", "unsigned", 4.0)
"""

MULTIPROCESS_SCRAPE = """
import sys
from datetime import UTC, datetime
from paybot.ops import metrics
from paybot.store.db import make_engine
engine = make_engine(sys.argv[1])
for pid in sys.argv[2:]:
    metrics.worker_exited(int(pid))
body, _ = metrics.render(engine, lambda: datetime.now(UTC))
sys.stdout.write(body.decode())
"""


def test_multiprocess_mode_sums_the_workers(sqlite_template: Path, tmp_path: Path) -> None:
    """Two worker processes count requests; a third (any worker) answers the scrape."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_WORKER], env=env, check=True, timeout=120
        )
    scraped = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRAPE, f"sqlite:///{sqlite_template}", "999999"],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    samples = scrape(scraped.stdout)
    labels = (("kind", "action"), ("outcome", "2xx"))
    assert samples[("paybot_slack_requests_total", labels)] == 2
    assert samples[("paybot_slack_ack_seconds_count", (("kind", "action"),))] == 4
    assert samples[("paybot_slack_ack_seconds_bucket", (("kind", "action"), ("le", "3.0")))] == 2
    assert samples[("paybot_metrics_database_up", ())] == 1
