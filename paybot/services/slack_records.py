"""What paybot keeps about its Slack messages: which payments a message shows (so any action can
update it in place), and claims that make a post, an alert or an event happen once across all
paybot processes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from paybot.core.company import CompanyInfo, Language
from paybot.core.payments import LastStep, PaymentView
from paybot.core.posting import VoucherRef
from paybot.core.states import PaymentStatus
from paybot.services.common import company_or_error
from paybot.store.slack import StoredMessage
from paybot.store.uow import UnitOfWork

# A claim whose process died before finishing may be taken over after this long.
STALE_CLAIM = timedelta(minutes=10)
# The shortest a claim is kept: past the end of its business day in any time zone, and past any
# takeover of an unfinished claim (STALE_CLAIM, a little more for a long post).
MIN_KEEP = timedelta(days=2)


@dataclass(frozen=True)
class Retention:
    """Claims whose key starts with `prefix` are forgotten `keep` after they were last claimed."""

    prefix: str
    keep: timedelta

    def __post_init__(self) -> None:
        if self.keep < MIN_KEEP:
            raise ValueError(f"a claim is kept at least {MIN_KEEP}, not {self.keep}")


# How long each kind of claim is kept: past the last moment anything could claim its key again.
# A key no rule names is kept for good, and so is every alert's (`alert:`): the alerts channel's
# queries (store/alert_queries.py) take a missing claim for "not announced yet", and a failed
# payment, an alarm or a paid batch stays one: its alert, pruned, would be announced again. They
# come a few per payment, not one per request.
RETENTION = (
    # Slack delivers an event again within about 5 minutes (and signs each delivery for 5);
    # an event's claim is never taken over (handlers/middleware.py).
    Retention("event:", timedelta(days=3)),
    # A day's post is claimed, and taken over, only with that day's `now` (the key names the
    # day): once the day is over, no run builds its key again. A post asked for now has a key
    # of its own (`...:now:<random>`) that no other run builds.
    Retention("post:proposals:", timedelta(days=7)),
    Retention("post:incoming:", timedelta(days=7)),
)
# Claims deleted per transaction.
PRUNE_CHUNK = 1000


@dataclass(frozen=True)
class ShownMessage:
    """A posted message, with the payments it shows as they are now."""

    channel: str
    ts: str
    thread_ts: str | None
    kind: str
    intro: list[dict[str, Any]]
    company: CompanyInfo
    payments: list[PaymentView]
    steps: dict[int, LastStep]
    # The voucher each posted payment was posted as.
    vouchers: dict[int, VoucherRef] = field(default_factory=dict)

    @property
    def language(self) -> Language:
        return self.company.language


def claim(
    uow: UnitOfWork,
    *,
    key: str,
    now: datetime,
    company_org_no: str | None = None,
    takeover_after: timedelta | None = STALE_CLAIM,
) -> bool:
    """True for exactly one caller of `key`, across processes; committed at once."""
    with uow:
        company_id = company_or_error(uow, company_org_no).id if company_org_no else None
        stale_before = None if takeover_after is None else now - takeover_after
        won = uow.slack.claim(key, now, company_id=company_id, stale_before=stale_before)
        uow.commit()
    return won


def finish(
    uow: UnitOfWork, *, key: str, now: datetime, result: dict[str, Any] | None = None
) -> None:
    with uow:
        uow.slack.finish(key, now, result)
        uow.commit()


def claimed(uow: UnitOfWork, *, keys: Iterable[str]) -> set[str]:
    with uow:
        return uow.slack.claimed(keys)


@dataclass(frozen=True)
class Pruned:
    """How many claims each rule forgot (by key prefix)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def prune_claims(uow: UnitOfWork, *, now: datetime, chunk: int = PRUNE_CHUNK) -> Pruned:
    """Forgets the claims that no caller can claim again (`RETENTION`), `chunk` claims per
    transaction, until none is left to forget."""
    counts: dict[str, int] = {}
    for rule in RETENTION:
        counts[rule.prefix] = 0
        while True:
            with uow:
                gone = uow.slack.prune_claims(rule.prefix, now - rule.keep, limit=chunk)
                uow.commit()
            counts[rule.prefix] += gone
            if gone < chunk:
                break
    return Pruned(counts)


def record_message(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    kind: str,
    channel: str,
    ts: str,
    thread_ts: str | None,
    intro: Sequence[dict[str, Any]],
    payment_ids: Sequence[int],
    now: datetime,
) -> None:
    with uow:
        company = company_or_error(uow, company_org_no)
        uow.slack.add_message(
            company_id=company.id,
            kind=kind,
            channel=channel,
            ts=ts,
            thread_ts=thread_ts,
            intro=intro,
            payment_ids=payment_ids,
            now=now,
        )
        uow.commit()


def messages_showing(uow: UnitOfWork, *, payment_ids: Iterable[int]) -> list[ShownMessage]:
    """Every message that shows one of the payments, with all its payments as they are now."""
    with uow:
        return _shown(uow, uow.slack.messages_showing(payment_ids))


def message_at(uow: UnitOfWork, *, channel: str, ts: str) -> ShownMessage | None:
    """The recorded message at (channel, ts), with its payments as they are now."""
    with uow:
        stored = uow.slack.message(channel, ts)
        return _shown(uow, [stored])[0] if stored is not None else None


def _shown(uow: UnitOfWork, stored: list[StoredMessage]) -> list[ShownMessage]:
    """The stored messages with their payments as they are now, read in the open unit of work."""
    everything = {pid for message in stored for pid in message.payment_ids}
    steps = uow.slack.last_steps(everything)
    payments = {p.id: p for p in uow.payments.list(payment_ids=everything)}
    posted = [p.id for p in payments.values() if p.status is PaymentStatus.POSTED]
    vouchers = uow.postings.vouchers_of(posted) if posted else {}
    companies = {c: uow.companies.get_by_id(c) for c in {m.company_id for m in stored}}
    shown = []
    for message in stored:
        listed = [payments.get(pid) for pid in message.payment_ids]
        shown.append(
            ShownMessage(
                channel=message.channel,
                ts=message.ts,
                thread_ts=message.thread_ts,
                kind=message.kind,
                intro=message.intro,
                company=companies[message.company_id],
                payments=[p for p in listed if p is not None],
                steps={pid: steps[pid] for pid in message.payment_ids if pid in steps},
                vouchers={p: vouchers[p] for p in message.payment_ids if p in vouchers},
            )
        )
    return shown


def last_steps(uow: UnitOfWork, *, payment_ids: Iterable[int]) -> dict[int, LastStep]:
    with uow:
        return uow.slack.last_steps(payment_ids)
