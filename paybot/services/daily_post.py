"""The daily proposals post: which companies are due for it now, and what it shows.

Each company's post goes out once a banking day, at its `post_at` in the business time zone
(08:00 unless set), to its proposals channel. A claim per company and day makes
it once across all paybot processes (`begin`); the Slack side
(`paybot.handlers.proposal_posts`) renders and posts the messages, and this module records them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from paybot.core.banking_days import is_banking_day
from paybot.core.company import CompanyInfo
from paybot.core.errors import ValidationFailed
from paybot.core.payments import Flag, LastStep, PaymentView
from paybot.core.states import PaymentStatus
from paybot.services import slack_records
from paybot.services.common import company_or_error
from paybot.store.uow import UnitOfWork

# Approved proposals still wait for a signer, so the post shows them too.
SHOWN = (PaymentStatus.PROPOSED, PaymentStatus.APPROVED)


@dataclass(frozen=True)
class Digest:
    """What a company's proposals post shows, in the order it shows it."""

    company: CompanyInfo
    counts: dict[Flag, int]
    totals: dict[str, Decimal]
    proposals: list[PaymentView]
    steps: dict[int, LastStep] = field(default_factory=dict)
    today: date | None = None
    # How many of the proposals came in as EHF invoices (straight from the supplier).
    electronic: int = 0

    @property
    def blue(self) -> list[PaymentView]:
        return [p for p in self.proposals if p.flag is Flag.BLUE]


def post_key(company_org_no: str, today: date) -> str:
    """The claim that makes a company's daily post happen once."""
    return f"post:proposals:{company_org_no}:{today.isoformat()}"


def post_now_key(company_org_no: str, today: date) -> str:
    """A claim of its own for a post asked for now (it never stands in for the daily one)."""
    return f"post:proposals:{company_org_no}:{today.isoformat()}:now:{uuid4().hex}"


def due_companies(uow: UnitOfWork, *, now: datetime, zone: ZoneInfo) -> list[CompanyInfo]:
    """Companies with a proposals channel whose post time has passed on this banking day and
    whose post for today is not done yet.

    A post claimed but not finished still counts as due: the claim decides whether this caller
    may post it (another process is posting it, or died doing so and may be taken over).
    """
    return due_posts(uow, now=now, zone=zone, channel=lambda c: c.proposals_channel, key=post_key)


def due_posts(
    uow: UnitOfWork,
    *,
    now: datetime,
    zone: ZoneInfo,
    channel: Callable[[CompanyInfo], str | None],
    key: Callable[[str, date], str],
) -> list[CompanyInfo]:
    """Companies with a `channel` whose post time has passed on this banking day and whose
    once-a-day post (claimed under `key(org_no, day)`) is not done: the daily proposals post,
    the incoming summary."""
    local = now.astimezone(zone)
    today = local.date()
    if not is_banking_day(today):
        return []
    with uow:
        waiting = [
            company
            for company in uow.companies.all()
            if channel(company) and local >= datetime.combine(today, company.post_at, tzinfo=zone)
        ]
        return [c for c in waiting if uow.slack.claim_result(key(c.org_no, today)) is None]


def post_target(uow: UnitOfWork, *, company_org_no: str) -> CompanyInfo:
    """The company, if it has a proposals channel to post to; else how to set one."""
    with uow:
        company = company_or_error(uow, company_org_no)
    if not company.proposals_channel:
        raise ValidationFailed(
            {
                "proposals_channel": f"{company.name} has no proposals channel; set one with "
                f"`paybot company set --org-no {company.org_no} --proposals-channel C...`"
            }
        )
    return company


def waiting(uow: UnitOfWork, *, company_org_no: str) -> int:
    """How many payments the post would show (proposed and approved)."""
    with uow:
        counts = uow.payments.counts_by_status(company_or_error(uow, company_org_no).id)
    return sum(counts.get(status, 0) for status in SHOWN)


def digest(uow: UnitOfWork, *, company_org_no: str, today: date | None = None) -> Digest:
    """The company's proposals and approved payments (by due date, then id), with counts per
    flag, totals per currency, and the last step taken on each."""
    with uow:
        company = company_or_error(uow, company_org_no)
        found = uow.payments.list(company_id=company.id, statuses=SHOWN)
        steps = uow.slack.last_steps(p.id for p in found)
        electronic = uow.ehf.count_for_payments(p.id for p in found)
    # Both databases then agree on where payments without a due date go: last.
    found.sort(key=lambda p: (p.due_date is None, p.due_date or date.max, p.id))
    flags = Counter(p.flag for p in found)
    totals: dict[str, Decimal] = {}
    for payment in found:
        totals[payment.currency] = totals.get(payment.currency, Decimal(0)) + payment.amount
    ordered = sorted(totals, key=lambda currency: (currency != company.currency, currency))
    return Digest(
        company=company,
        counts={flag: flags.get(flag, 0) for flag in Flag},
        totals={currency: totals[currency] for currency in ordered},
        proposals=found,
        steps=steps,
        today=today,
        electronic=electronic,
    )


@dataclass(frozen=True)
class ClaimedPost:
    """A post this caller won the claim to make: where it goes and what it shows."""

    key: str
    company: CompanyInfo
    channel: str
    digest: Digest


def begin(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    now: datetime,
    zone: ZoneInfo,
    force: bool = False,
    seconds_per_message: float = 1.0,
) -> ClaimedPost | None:
    """Claims the company's post for today and reads what it shows; None when it is someone
    else's to make (another process has it, or it is done).

    `force` is a post asked for now (the CLI's "post now"), under a claim of its own. A company
    without a proposals channel is a ValidationFailed saying how to set one.
    """
    company = post_target(uow, company_org_no=company_org_no)
    today = now.astimezone(zone).date()
    key = (post_now_key if force else post_key)(company.org_no, today)
    # A long post must not look abandoned while it is still going: give it time for its
    # messages (a few proposals each, paced apart) before another process may take over.
    shown = waiting(uow, company_org_no=company.org_no)
    takeover_after = slack_records.STALE_CLAIM + timedelta(seconds=seconds_per_message * shown / 2)
    if not slack_records.claim(
        uow, key=key, now=now, company_org_no=company.org_no, takeover_after=takeover_after
    ):
        return None
    return ClaimedPost(
        key=key,
        company=company,
        channel=str(company.proposals_channel),
        digest=digest(uow, company_org_no=company.org_no, today=today),
    )


def record_posted(
    uow: UnitOfWork,
    post: ClaimedPost,
    *,
    kind: str,
    ts: str,
    thread_ts: str | None,
    intro: Sequence[dict[str, Any]],
    payment_ids: Sequence[int],
    now: datetime,
) -> None:
    """Remembers one message of the post (so actions on its payments can update it)."""
    slack_records.record_message(
        uow,
        company_org_no=post.company.org_no,
        kind=kind,
        channel=post.channel,
        ts=ts,
        thread_ts=thread_ts,
        intro=intro,
        payment_ids=payment_ids,
        now=now,
    )


def finish(uow: UnitOfWork, post: ClaimedPost, *, now: datetime, result: dict[str, Any]) -> None:
    """The post is made: today's claim is done and nobody makes it again."""
    slack_records.finish(uow, key=post.key, now=now, result=result)
