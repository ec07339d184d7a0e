"""The daily proposals post to Slack: the first message in the company's proposals channel, the
rest in its thread, at most about one message a second per channel (Slack's limit for
chat.postMessage). What is due, the claims and which payments it shows are
`paybot.services.daily_post`'s; this module renders the messages and makes the Slack calls."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from paybot.core.errors import PaybotError
from paybot.handlers import cards
from paybot.handlers.cards import PROPOSALS
from paybot.handlers.deps import Deps
from paybot.handlers.views.digest import digest_messages
from paybot.services import daily_post

log = logging.getLogger("paybot.slack")


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
    pacer = pacer or PACER
    post = daily_post.begin(
        deps.uow(),
        company_org_no=company_org_no,
        now=now,
        zone=deps.zone,
        force=force,
        seconds_per_message=pacer.interval,
    )
    if post is None:
        return None
    first_ts: str | None = None
    built = {p.id: p.version for p in post.digest.proposals}
    messages = digest_messages(post.digest, post.company.language, deps.zone)
    for message in messages:
        with pacer.turn(post.channel):
            answer = client.chat_postMessage(
                channel=post.channel, text=message.text, blocks=message.blocks, thread_ts=first_ts
            )
        ts = str(answer["ts"])
        daily_post.record_posted(
            deps.uow(),
            post,
            kind=PROPOSALS,
            ts=ts,
            thread_ts=first_ts,
            intro=message.intro,
            payment_ids=message.payment_ids,
            now=now,
        )
        cards.catch_up(client, deps, channel=post.channel, ts=ts, versions=built)
        first_ts = first_ts or ts
    assert first_ts is not None  # digest_messages gives at least one message
    result = PostResult(
        company_org_no=post.company.org_no,
        messages=len(messages),
        payments=len(post.digest.proposals),
        channel=post.channel,
        ts=first_ts,
    )
    daily_post.finish(
        deps.uow(),
        post,
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
