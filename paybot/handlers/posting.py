"""Posting the daily proposals to each company's proposals channel: the first message in the
channel, the rest in its thread, at most about one message a second per channel (Slack's
limit for chat.postMessage), once a day per company however many paybot processes run."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.errors import PaybotError
from paybot.handlers.cards import PROPOSALS
from paybot.handlers.deps import Deps
from paybot.handlers.views.digest import digest_messages
from paybot.services import daily_post, slack_records

log = logging.getLogger("paybot.slack")

KIND = PROPOSALS


@dataclass
class Pacer:
    """At least `interval` seconds between posts to one channel, counted from the end of one
    post to the start of the next; `monotonic` and `sleep` are injectable for tests."""

    interval: float = 1.0
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _done: dict[str, float] = field(default_factory=dict)
    _channels: dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def turn(self, channel: str) -> Iterator[None]:
        """Waits for the channel's turn; the post goes inside the `with` (one at a time per
        channel, other channels are not held up)."""
        with self._lock:
            own = self._channels.setdefault(channel, threading.Lock())
        with own:
            last = self._done.get(channel)
            if last is not None:
                wait = last + self.interval - self.monotonic()
                if wait > 0:
                    self.sleep(wait)
            try:
                yield
            finally:
                self._done[channel] = self.monotonic()


# One process paces all its posts together, whichever caller makes them.
PACER = Pacer()


@dataclass(frozen=True)
class PostResult:
    company_org_no: str
    messages: int
    payments: int
    channel: str
    ts: str  # the first message; the others are in its thread


def post_proposals(
    client: WebClient,
    deps: Deps,
    *,
    company_org_no: str,
    now: datetime,
    force: bool = False,
    pacer: Pacer | None = None,
) -> PostResult | None:
    """Posts the company's proposals; None when today's post is someone else's to make.

    `force` posts now whatever was posted today (the CLI's "post now"), under a claim of its
    own. A company without a proposals channel is a ValidationFailed saying how to set one.
    """
    company = daily_post.post_target(deps.uow(), company_org_no=company_org_no)
    channel = str(company.proposals_channel)
    today = now.astimezone(deps.zone).date()
    make_key = daily_post.post_now_key if force else daily_post.post_key
    key = make_key(company.org_no, today)
    pacer = pacer or PACER
    # A long post must not look abandoned while it is still going: give it time for its
    # messages (a few proposals each, a paced second apart) before another process may take over.
    waiting = daily_post.waiting(deps.uow(), company_org_no=company.org_no)
    takeover_after = slack_records.STALE_CLAIM + timedelta(seconds=pacer.interval * waiting / 2)
    if not slack_records.claim(
        deps.uow(),
        key=key,
        now=now,
        company_org_no=company.org_no,
        takeover_after=takeover_after,
    ):
        return None
    found = daily_post.digest(deps.uow(), company_org_no=company.org_no, today=today)
    first_ts: str | None = None
    messages = digest_messages(found, company.language)
    for message in messages:
        with pacer.turn(channel):
            answer = client.chat_postMessage(
                channel=channel, text=message.text, blocks=message.blocks, thread_ts=first_ts
            )
        ts = str(answer["ts"])
        slack_records.record_message(
            deps.uow(),
            company_org_no=company.org_no,
            kind=KIND,
            channel=channel,
            ts=ts,
            thread_ts=first_ts,
            intro=message.intro,
            payment_ids=message.payment_ids,
            now=now,
        )
        first_ts = first_ts or ts
    assert first_ts is not None  # digest_messages gives at least one message
    result = PostResult(
        company_org_no=company.org_no,
        messages=len(messages),
        payments=len(found.proposals),
        channel=channel,
        ts=first_ts,
    )
    slack_records.finish(
        deps.uow(),
        key=key,
        now=deps.clock(),
        result={"messages": result.messages, "payments": result.payments, "ts": result.ts},
    )
    return result


def post_due(
    client: WebClient, deps: Deps, now: datetime, *, pacer: Pacer | None = None
) -> list[PostResult]:
    """Posts for every company whose daily post is due now; one company's failure is logged
    and does not stop the others (its unfinished claim is taken over by a later run)."""
    posted = []
    for company in daily_post.due_companies(deps.uow(), now=now, zone=deps.zone):
        try:
            result = post_proposals(
                client, deps, company_org_no=company.org_no, now=now, pacer=pacer
            )
        except (SlackApiError, PaybotError) as error:
            log.error("could not post the proposals of %s: %s", company.org_no, error)
            continue
        if result is not None:
            posted.append(result)
    return posted
