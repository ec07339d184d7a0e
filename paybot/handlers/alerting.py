"""Posting the alerts to each company's alerts channel, each once across all paybot processes,
paced with the daily proposals (about one message a second per channel)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.handlers import cards
from paybot.handlers.deps import Deps
from paybot.handlers.proposal_posts import PACER, Pacer
from paybot.handlers.views import alerts as views
from paybot.services import alerts, slack_records
from paybot.services.alerts import Alert, AlertKind

log = logging.getLogger("paybot.slack")

KIND = "alert"


def send_alerts(
    client: WebClient,
    deps: Deps,
    *,
    now: datetime,
    pacer: Pacer | None = None,
    stuck_after: timedelta = alerts.STUCK_AFTER,
) -> int:
    """Posts every pending alert whose claim this process wins; returns the messages posted.

    A post Slack refuses leaves its claim unfinished: a later run takes it over and tries again
    (after `slack_records.STALE_CLAIM`).
    """
    pacer = pacer or PACER
    posted = 0
    found = alerts.pending(deps.uow(), now=now, zone=deps.zone, stuck_after=stuck_after)
    for alert in found:
        try:
            if alert.kind is AlertKind.MORE:
                posted += _send_summary(client, deps, alert, now, pacer)
            else:
                posted += _send(client, deps, alert, now, pacer)
        except SlackApiError as error:
            log.error("could not post alert %s to %s: %s", alert.key, alert.channel, error)
    return posted


def _send(client: WebClient, deps: Deps, alert: Alert, now: datetime, pacer: Pacer) -> int:
    uow = deps.uow
    if not slack_records.claim(uow(), key=alert.key, now=now, company_org_no=alert.company_org_no):
        return 0
    with pacer.turn(alert.channel):
        answer = client.chat_postMessage(channel=alert.channel, **views.message(alert, deps.zone))
    ts = str(answer["ts"])
    if alert.payment is not None:
        # Any later action on the payment updates this alert in place too.
        slack_records.record_message(
            uow(),
            company_org_no=alert.company_org_no,
            kind=KIND,
            channel=alert.channel,
            ts=ts,
            thread_ts=None,
            intro=views.intro(alert, deps.zone),
            payment_ids=[alert.payment.id],
            now=now,
        )
        versions = {alert.payment.id: alert.payment.version}
        cards.catch_up(client, deps, channel=alert.channel, ts=ts, versions=versions)
    slack_records.finish(uow(), key=alert.key, now=now, result={"channel": alert.channel, "ts": ts})
    return 1


def _send_summary(client: WebClient, deps: Deps, alert: Alert, now: datetime, pacer: Pacer) -> int:
    """One message counting the alerts left out; each counted alert is claimed by it, so it is
    never announced on its own later."""
    uow = deps.uow
    org_no = alert.company_org_no
    if not slack_records.claim(uow(), key=alert.key, now=now, company_org_no=org_no):
        return 0
    won = [
        (kind, key)
        for kind, key in alert.covers
        if slack_records.claim(uow(), key=key, now=now, company_org_no=org_no)
    ]
    ts = None
    if won:
        with pacer.turn(alert.channel):
            answer = client.chat_postMessage(
                channel=alert.channel,
                **views.summary(Counter(kind for kind, _ in won), alert.language),
            )
        ts = str(answer["ts"])
    for _, key in won:
        slack_records.finish(uow(), key=key, now=now, result={"summary": alert.key, "ts": ts})
    slack_records.finish(uow(), key=alert.key, now=now, result={"covers": len(won), "ts": ts})
    return 1 if won else 0
