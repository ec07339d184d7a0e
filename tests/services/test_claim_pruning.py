"""Pruning the once-only claims (`slack_records.prune_claims`) never lets anything happen twice:
each kind of claim is kept for as long as anything could claim its key again; on both databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from paybot.services import alerts, companies, daily_post, incoming_summary, slack_records
from paybot.services.slack_records import RETENTION
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, OSLO
from tests.services.test_alerts import (
    SENT,
    Bank,
    claim_all,
    company,
    proposals,
    to_kid_only_with_a_message,
)

PROPOSALS = "C0PROPOSALS"
# Slack's last retry of an event comes about 5 minutes after the first delivery, and a request
# signed more than 5 minutes ago is refused (SLACK.md, Timing): an hour is far past both.
SLACK_RETRIES_END = timedelta(hours=1)


def keys(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT key FROM slack_claims")).scalars())


def oslo(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=OSLO)


# --- Slack events ----------------------------------------------------------------------------


def test_a_retried_event_is_still_refused_after_pruning_inside_its_window(
    uow: UnitOfWork, engine: Engine
) -> None:
    key = "event:Ev0PRUNE1"
    assert slack_records.claim(uow, key=key, now=NOW, takeover_after=None)
    for later in (
        timedelta(seconds=1),
        timedelta(minutes=1),  # Slack's retries: at once, after a minute, after five
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(days=2, hours=23, minutes=59),
    ):
        slack_records.prune_claims(uow, now=NOW + later)
        assert key in keys(engine)
        assert not slack_records.claim(uow, key=key, now=NOW + later, takeover_after=None)


def test_an_event_claim_goes_once_no_retry_of_it_can_come(uow: UnitOfWork, engine: Engine) -> None:
    slack_records.claim(uow, key="event:Ev0OLD", now=NOW, takeover_after=None)
    slack_records.claim(uow, key="event:Ev0NEW", now=NOW + timedelta(days=3), takeover_after=None)

    pruned = slack_records.prune_claims(uow, now=NOW + timedelta(days=3, seconds=1))

    assert (pruned.total, pruned.counts["event:"]) == (1, 1)
    assert keys(engine) == {"event:Ev0NEW"}


def test_a_backlog_is_pruned_in_chunks_to_the_end(uow: UnitOfWork, engine: Engine) -> None:
    for number in range(25):
        slack_records.claim(uow, key=f"event:Ev{number:04d}", now=NOW, takeover_after=None)
    slack_records.claim(uow, key="event:Ev0FRESH", now=NOW + timedelta(days=5))

    pruned = slack_records.prune_claims(uow, now=NOW + timedelta(days=5), chunk=10)

    assert pruned.total == 25
    assert keys(engine) == {"event:Ev0FRESH"}


# --- the daily posts ------------------------------------------------------------------------


@pytest.fixture
def posting(uow: UnitOfWork) -> None:
    """Acme AS, posting its proposals at 08:00 to a channel."""
    companies.add_company(uow, org_no=ORG_NO, name="Acme AS", account="86011117947", now=NOW)
    companies.update_settings(uow, org_no=ORG_NO, proposals_channel=PROPOSALS, now=NOW)


@pytest.mark.parametrize("finished", [True, False], ids=["posted", "poster-died"])
def test_todays_daily_post_is_never_pruned(
    uow: UnitOfWork, engine: Engine, posting: None, finished: bool
) -> None:
    today = NOW.astimezone(OSLO).date()
    key = daily_post.post_key(ORG_NO, today)
    claimed_at = oslo(today, 8)
    post = daily_post.begin(uow, company_org_no=ORG_NO, now=claimed_at, zone=OSLO)
    assert post is not None and post.key == key
    if finished:
        daily_post.finish(uow, post, now=claimed_at + timedelta(minutes=1), result={"ts": "1.1"})

    for now in (oslo(today, 8, 5), oslo(today, 23, 59, 59), oslo(today + timedelta(days=1), 1)):
        slack_records.prune_claims(uow, now=now)
        assert key in keys(engine)
    late = oslo(today, 23, 59, 59)
    if finished:  # the day's post is made: no later run on the day makes it again
        assert daily_post.due_companies(uow, now=late, zone=OSLO) == []
        assert daily_post.begin(uow, company_org_no=ORG_NO, now=late, zone=OSLO) is None
    else:  # a run that died is taken over, under the same claim: still one post
        assert daily_post.begin(uow, company_org_no=ORG_NO, now=late, zone=OSLO) is not None
        assert daily_post.begin(uow, company_org_no=ORG_NO, now=late, zone=OSLO) is None


def test_a_daily_post_is_pruned_once_its_day_is_long_past(
    uow: UnitOfWork, engine: Engine, posting: None
) -> None:
    today = NOW.astimezone(OSLO).date()
    post = daily_post.begin(uow, company_org_no=ORG_NO, now=oslo(today, 8), zone=OSLO)
    assert post is not None
    daily_post.finish(uow, post, now=oslo(today, 8, 1), result={"ts": "1.1"})

    week_later = oslo(today + timedelta(days=7), 9)
    pruned = slack_records.prune_claims(uow, now=week_later)

    assert pruned.counts["post:proposals:"] == 1 and keys(engine) == set()
    # That day is no run's to post: each builds the key of its own day.
    assert daily_post.begin(uow, company_org_no=ORG_NO, now=week_later, zone=OSLO) is not None
    assert keys(engine) == {daily_post.post_key(ORG_NO, today + timedelta(days=7))}


# --- alerts ---------------------------------------------------------------------------------


def test_an_alert_is_kept_for_good_so_what_it_announced_is_never_announced_again(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    phone = company(uow)
    [payment_id] = proposals(uow, to_kid_only_with_a_message())
    Bank(tmp_path).send(uow, phone, [payment_id], SENT)
    found = alerts.pending(uow, now=SENT, zone=OSLO)
    assert [alert.key for alert in found] == [f"alert:failed:{payment_id}:1"]
    claim_all(uow, found, SENT)

    years_later = SENT + timedelta(days=800)
    pruned = slack_records.prune_claims(uow, now=years_later)

    assert pruned.total == 0
    assert alerts.pending(uow, now=years_later, zone=OSLO) == []  # the payment is still Failed


# --- every kind of claim --------------------------------------------------------------------

FAMILIES = (
    "event",
    "post:proposals",
    "post:now",
    "post:incoming",
    "alert:failed",
    "alert:no_return",
    "alert:stuck",
    "alert:paid",
    "alert:alarm",
    "alert:more",
    "unknown",
)


@dataclass(frozen=True)
class Claim:
    family: str
    key: str
    claimed_at: datetime
    done: bool


def a_claim(family: str, number: int, claimed_at: datetime, done: bool) -> Claim:
    """A claim of `family` as its caller makes it: a day's post is claimed with its day's `now`,
    so the day in its key is the business day of `claimed_at`."""
    day = claimed_at.astimezone(OSLO).date()
    org_no = f"9{number:08d}"
    key = {
        "event": lambda: f"event:Ev{number:08d}",
        "post:proposals": lambda: daily_post.post_key(org_no, day),
        "post:now": lambda: daily_post.post_now_key(org_no, day),
        "post:incoming": lambda: incoming_summary.summary_key(org_no, day),
        "alert:failed": lambda: f"alert:failed:{number}:1",
        "alert:no_return": lambda: f"alert:no_return:{number}:2",
        "alert:stuck": lambda: f"alert:stuck:{number}:1",
        "alert:paid": lambda: f"alert:paid:{number}",
        "alert:alarm": lambda: f"alert:alarm:{number}",
        "alert:more": lambda: f"alert:more:{org_no}:{number:020x}",
        "unknown": lambda: f"warm-up:{number}",
    }[family]()
    return Claim(family, key, claimed_at, done)


def still_guards(claim: Claim, now: datetime) -> bool:
    """Whether a claim still stands between something and its happening twice, by what its
    callers do (not by the retention rules)."""
    age = now - claim.claimed_at
    today = now.astimezone(OSLO).date()
    if claim.family == "event":  # a retry of the delivery may still come
        return age <= SLACK_RETRIES_END
    if claim.family in ("post:proposals", "post:incoming"):
        # A run on its day may claim it again (or take it over), and a run that began before
        # midnight may still be going.
        return claim.claimed_at.astimezone(OSLO).date() >= today - timedelta(days=1)
    if claim.family == "post:now":  # its one run may still be posting
        return age <= timedelta(days=1)
    # An alert: the alerts queries read again whatever has no claim, and a failed payment, an
    # alarm, a paid batch stay so. A key of a kind no rule knows: kept.
    return True


claims = st.lists(
    st.tuples(
        st.sampled_from(FAMILIES),
        st.integers(min_value=0, max_value=60 * 24 * 40),  # minutes before now
        st.booleans(),  # finished
    ),
    min_size=1,
    max_size=12,
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(OSLO)
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=claims, now=moments)
def test_no_claim_still_guarding_a_once_only_effect_is_pruned(
    uow: UnitOfWork, engine: Engine, drawn: list[tuple[str, int, bool]], now: datetime
) -> None:
    now = now.astimezone(UTC)  # (arithmetic on Oslo's wall clock would skip DST changes)
    made = [
        a_claim(family, number, now - timedelta(minutes=age), done)
        for number, (family, age, done) in enumerate(drawn)
    ]
    try:
        for claim in made:
            assert slack_records.claim(uow, key=claim.key, now=claim.claimed_at)
            if claim.done:
                slack_records.finish(uow, key=claim.key, now=claim.claimed_at)

        pruned = slack_records.prune_claims(uow, now=now, chunk=3)

        left = keys(engine)
        assert pruned.total == len(made) - len(left)
        for claim in made:
            if still_guards(claim, now):
                assert claim.key in left, claim
                # ... and it still refuses its key as it did (no takeover of an event's).
                assert not slack_records.claim(uow, key=claim.key, now=now, takeover_after=None)
        # The rules do prune: a claim older than its kind's retention is gone.
        for claim in made:
            for rule in RETENTION:
                if claim.key.startswith(rule.prefix) and claim.claimed_at < now - rule.keep:
                    assert claim.key not in left, claim
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM slack_claims"))


def test_every_retention_outlasts_a_day_and_any_takeover() -> None:
    """A day's post is claimed, and taken over, only on its day; an unfinished claim is taken
    over after STALE_CLAIM (a long post: a little more): each rule keeps a claim well past both."""
    for rule in RETENTION:
        assert rule.keep >= timedelta(days=2) > slack_records.STALE_CLAIM
        assert not rule.prefix.startswith("alert:")
    with pytest.raises(ValueError, match="at least"):
        slack_records.Retention("event:", timedelta(hours=1))
