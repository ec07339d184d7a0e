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

from paybot.app import web_client
from paybot.cli import context as ctx
from paybot.cli.wiring import dispatch_options, gateway_for
from paybot.core.errors import PaybotError
from paybot.handlers import alerting, posting
from paybot.handlers.deps import Deps
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
    result = dispatching.dispatch(
        ctx.uow(), gateway_for, now=datetime.now(UTC), options=dispatch_options()
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
    for result in returns.poll(ctx.uow(), gateway_for, now=datetime.now(UTC)):
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
    settings = ctx.settings()
    late = returns.check_missing(
        ctx.uow(),
        now=datetime.now(UTC),
        after=timedelta(hours=settings.no_return_hours),
        zone=settings.zone,
    )
    if late:
        log.warning("no answer from the bank for payments %s: now Failed", late)


def post_proposals() -> None:
    """The daily proposals post of every company whose time has come (once a day each)."""
    settings = ctx.settings()
    if settings.slack_bot_token is None:
        _no_slack_token()
        return
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    deps = Deps(uow=ctx.uow, box=ctx.secret_box, zone=settings.zone)
    for result in posting.post_due(client, deps, datetime.now(UTC)):
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
    settings = ctx.settings()
    if settings.slack_bot_token is None:
        _no_token_for_alerts()
        return
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    deps = Deps(uow=ctx.uow, box=ctx.secret_box, zone=settings.zone)
    posted = alerting.send_alerts(client, deps, now=datetime.now(UTC))
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
    store = SQLAlchemyJobStore(url=ctx.settings().database_url, tablename="apscheduler_jobs")
    scheduler = kind(jobstores={"default": store}, timezone=ctx.settings().zone)
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
