"""The daily summary of incoming payments in each company's alerts channel, and the unmatched
ones a person handles by hand from Slack (the summary's buttons, the Home tab).

When: once a banking day per company, at its `post_at` (the time of the daily proposals post,
08:00 unless set) in the business time zone. It counts the payments that came in since the
previous banking day's post time, until today's (fixed boundaries: two processes, or a late
run, count the same payments, and none is counted twice), and lists every payment still
unmatched, whenever it came. Nothing came and nothing waits: nothing is posted. A claim per
company and day makes it once across all paybot processes; the Slack side
(`paybot.handlers.incoming`) renders and posts it, and this module records it so that a
payment handled later updates its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.banking_days import banking_days_before
from paybot.core.company import CompanyInfo
from paybot.services import slack_records
from paybot.services.common import company_or_error
from paybot.services.daily_post import due_posts
from paybot.services.incoming import IncomingStatus, IncomingView, view_of
from paybot.store.uow import UnitOfWork

KIND = "incoming"  # the summary's kind among paybot's recorded Slack messages

# What the summary counts, each of the statuses it counts together.
GROUPS: dict[str, tuple[IncomingStatus, ...]] = {
    "matched": (IncomingStatus.MATCHED, IncomingStatus.SETTLED),
    "partial": (IncomingStatus.PARTIAL,),
    "overpaid": (IncomingStatus.OVERPAID,),
    "unmatched": (IncomingStatus.UNMATCHED,),
}


@dataclass(frozen=True)
class Line:
    """An incoming payment as a line shows it, and who handled it by hand (if anyone)."""

    payment: IncomingView
    handled_by: str | None = None  # their Slack user id
    handled_by_name: str | None = None
    account: str | None = None  # the GL account a payment posted by hand went to


@dataclass(frozen=True)
class Summary:
    """What a company's daily summary says: counts and sums per group of the payments that came
    in from `since` until before `until`, and the unmatched payments it lists (by id)."""

    company_org_no: str
    day: date
    since: datetime
    until: datetime
    counts: dict[str, int]
    sums: dict[str, dict[str, Decimal]]  # group -> currency -> sum
    unmatched: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.counts.values()) and not self.unmatched

    def to_json(self) -> dict[str, Any]:
        return {
            "org_no": self.company_org_no,
            "day": self.day.isoformat(),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "counts": self.counts,
            "sums": {g: {c: str(a) for c, a in s.items()} for g, s in self.sums.items()},
            "unmatched": self.unmatched,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        return cls(
            company_org_no=str(data["org_no"]),
            day=date.fromisoformat(data["day"]),
            since=datetime.fromisoformat(data["since"]),
            until=datetime.fromisoformat(data["until"]),
            counts={str(g): int(n) for g, n in data["counts"].items()},
            sums={g: {c: Decimal(a) for c, a in s.items()} for g, s in data["sums"].items()},
            unmatched=[int(i) for i in data["unmatched"]],
        )


def summary_key(company_org_no: str, day: date) -> str:
    """The claim that makes a company's summary of `day` happen once."""
    return f"post:incoming:{company_org_no}:{day.isoformat()}"


def window(company: CompanyInfo, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the previous banking day's post time until `day`'s."""
    before = banking_days_before(day, 1)
    return (
        datetime.combine(before, company.post_at, tzinfo=zone),
        datetime.combine(day, company.post_at, tzinfo=zone),
    )


def due_companies(uow: UnitOfWork, *, now: datetime, zone: ZoneInfo) -> list[CompanyInfo]:
    """Companies with an alerts channel whose post time has passed on this banking day and whose
    summary for today is not done (a claimed, unfinished one counts: the claim decides)."""
    return due_posts(uow, now=now, zone=zone, channel=lambda c: c.alerts_channel, key=summary_key)


def summary(uow: UnitOfWork, *, company_org_no: str, day: date, zone: ZoneInfo) -> Summary:
    """The company's summary of `day`, as things are now."""
    with uow:
        company = company_or_error(uow, company_org_no)
        since, until = window(company, day, zone)
        came = uow.incoming.arrived(company.id, since, until)
        waiting = uow.incoming.listed(company.id, [IncomingStatus.UNMATCHED.value])
    counts = {group: 0 for group in GROUPS}
    sums: dict[str, dict[str, Decimal]] = {group: {} for group in GROUPS}
    # What each payment was when it came: one handled by hand since then still came unmatched.
    by_status = {status.value: group for group, statuses in GROUPS.items() for status in statuses}
    for record in came:
        status = record.status
        if status in (IncomingStatus.POSTED.value, IncomingStatus.DELETED.value):
            status = IncomingStatus.UNMATCHED.value
        group = by_status.get(status)
        if group is None:  # reversals and what they took back
            continue
        counts[group] += 1
        currency = record.payment.currency
        sums[group][currency] = sums[group].get(currency, Decimal(0)) + record.payment.amount
    return Summary(
        company_org_no=company.org_no,
        day=day,
        since=since,
        until=until,
        counts=counts,
        sums=sums,
        unmatched=[record.id for record in waiting],
    )


@dataclass(frozen=True)
class ClaimedSummary:
    """A summary this caller won the claim to post: where it goes, what it says and shows."""

    key: str
    company: CompanyInfo
    channel: str
    summary: Summary
    lines: list[Line]


def begin(
    uow: UnitOfWork, *, company_org_no: str, now: datetime, zone: ZoneInfo
) -> ClaimedSummary | None:
    """Claims the company's summary for today; None when it is someone else's to make, done
    already, or has nothing to say (then it is done for today)."""
    with uow:
        company = company_or_error(uow, company_org_no)
    if not company.alerts_channel:
        return None
    today = now.astimezone(zone).date()
    key = summary_key(company.org_no, today)
    if not slack_records.claim(uow, key=key, now=now, company_org_no=company.org_no):
        return None
    said = summary(uow, company_org_no=company.org_no, day=today, zone=zone)
    if said.empty:
        slack_records.finish(uow, key=key, now=now, result={"nothing": True})
        return None
    return ClaimedSummary(
        key=key,
        company=company,
        channel=company.alerts_channel,
        summary=said,
        lines=lines(uow, company_org_no=company.org_no, payment_ids=said.unmatched),
    )


def record_posted(uow: UnitOfWork, post: ClaimedSummary, *, ts: str, now: datetime) -> None:
    """Remembers the message (so a payment handled later updates its line) and ends the claim."""
    slack_records.record_message(
        uow,
        company_org_no=post.company.org_no,
        kind=KIND,
        channel=post.channel,
        ts=ts,
        thread_ts=None,
        intro=[post.summary.to_json()],
        payment_ids=[],
        now=now,
    )
    result = {"channel": post.channel, "ts": ts, "counts": post.summary.counts}
    slack_records.finish(uow, key=post.key, now=now, result=result)


def lines(uow: UnitOfWork, *, company_org_no: str, payment_ids: Sequence[int]) -> list[Line]:
    """The payments as they are now, in the order given, with who handled them."""
    with uow:
        company = company_or_error(uow, company_org_no)
        records = {r.id: r for r in uow.incoming.of_ids(company.id, payment_ids)}
        handled = uow.incoming.handled(payment_ids)
    shown = []
    for payment_id in payment_ids:
        record = records.get(payment_id)
        if record is None:
            continue
        who = handled.get(payment_id)
        shown.append(
            Line(
                payment=view_of(company, record),
                handled_by=None if who is None else who.slack_user_id,
                handled_by_name=None if who is None else who.name,
                account=None if who is None else who.account,
            )
        )
    return shown


@dataclass(frozen=True)
class Shown:
    """A posted summary, with the payments it lists as they are now."""

    company: CompanyInfo
    summary: Summary
    lines: list[Line]


def shown(uow: UnitOfWork, *, channel: str, ts: str) -> Shown | None:
    """The summary posted as (channel, ts); None if that message is no summary."""
    with uow:
        stored = uow.slack.message(channel, ts)
        if stored is None or stored.kind != KIND or not stored.intro:
            return None
        company = uow.companies.get_by_id(stored.company_id)
    said = Summary.from_json(dict(stored.intro[0]))
    return Shown(
        company, said, lines(uow, company_org_no=company.org_no, payment_ids=said.unmatched)
    )


def unmatched(uow: UnitOfWork, *, company_org_no: str, limit: int) -> tuple[int, list[Line]]:
    """How many of the company's payments wait for a person, and the first `limit` of them."""
    with uow:
        company = company_or_error(uow, company_org_no)
        waiting = uow.incoming.listed(company.id, [IncomingStatus.UNMATCHED.value])
    first = [record.id for record in waiting[:limit]]
    return len(waiting), lines(uow, company_org_no=company.org_no, payment_ids=first)
