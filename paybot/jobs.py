"""Scheduled jobs: send what is due, read the bank's answers, notice missing answers.

The job store is a table in paybot's own database, so a restart loses nothing. Several paybot
processes may run the scheduler against one PostgreSQL: every job is safe to run twice at once
(dispatch locks the company and claims each payment once; a return file is applied once).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import cache

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from paybot.container import container
from paybot.core.errors import PaybotError
from paybot.handlers import alerting, posting
from paybot.services import dispatching, returns

log = logging.getLogger("paybot.jobs")

JOBS = {
    "dispatch_due": timedelta(minutes=1),
    "post_proposals": timedelta(minutes=1),
    "send_alerts": timedelta(minutes=1),
    "poll_returns": timedelta(minutes=5),
    "check_missing_returns": timedelta(minutes=15),
}


def dispatch_due() -> None:
    parts = container()
    result = dispatching.dispatch(
        parts.checked_uow(), parts.gateway_for, now=parts.clock(), options=parts.dispatch_options()
    )
    for batch in result.sent:
        log.info("sent batch %s of %s: %s payment(s)", batch.number, batch.company, batch.payments)
    for message_id, why in result.refused:
        log.error("did not send %s: %s", message_id, why)
    for message_id, why, retry_at in result.retrying:
        log.warning("could not deliver %s (%s); trying again at %s", message_id, why, retry_at)
    for message_id, why in result.unknown:
        log.error("upload of %s broke off (%s): a person checks the netbank", message_id, why)


def poll_returns() -> None:
    parts = container()
    for result in returns.poll(parts.checked_uow(), parts.gateway_for, now=parts.clock()):
        if result.error:
            log.error("return file %s not taken: %s", result.name, result.error)
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


def check_missing_returns() -> None:
    parts = container()
    late = returns.check_missing(
        parts.checked_uow(),
        now=parts.clock(),
        after=timedelta(hours=parts.settings.no_return_hours),
        zone=parts.zone,
    )
    if late:
        log.warning("no answer from the bank for payments %s: now Failed", late)


def post_proposals() -> None:
    """The daily proposals post of every company whose time has come (once a day each)."""
    parts = container()
    if parts.slack_client is None:
        _no_slack_token()
        return
    for result in posting.post_due(parts.slack_client, parts.deps, parts.clock()):
        log.info(
            "posted %s proposal(s) of %s to %s in %s message(s)",
            result.payments,
            result.company_org_no,
            result.channel,
            result.messages,
        )


@cache
def _no_slack_token() -> None:
    """Said once per process, not every minute."""
    log.info("SLACK_BOT_TOKEN is not set: the daily proposals are not posted to Slack")


def send_alerts() -> None:
    """Failures, missing returns, silent payments and paid batches to each alerts channel."""
    parts = container()
    if parts.slack_client is None:
        _no_token_for_alerts()
        return
    posted = alerting.send_alerts(parts.slack_client, parts.deps, now=parts.clock())
    if posted:
        log.info("posted %s alert(s)", posted)


@cache
def _no_token_for_alerts() -> None:
    """Said once per process, not every minute."""
    log.info("SLACK_BOT_TOKEN is not set: no alerts are posted to Slack")


def _guarded(name: str) -> None:
    """Runs one job; an expected failure is logged, never allowed to stop the scheduler."""
    try:
        globals()[name]()
    except PaybotError as exc:
        log.error("%s: %s", name, exc.user_message)


def scheduler(kind: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """The scheduler with paybot's jobs, kept in the `apscheduler_jobs` table; each runs at once."""
    parts = container()
    store = SQLAlchemyJobStore(url=parts.settings.database_url, tablename="apscheduler_jobs")
    scheduler = kind(jobstores={"default": store}, timezone=parts.zone)
    for name, every in JOBS.items():
        seconds = int(every.total_seconds())
        scheduler.add_job(
            "paybot.jobs:_guarded",
            "interval",
            args=[name],
            seconds=seconds,
            id=name,
            name=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=seconds,
            next_run_time=datetime.now(UTC),
        )
    return scheduler
