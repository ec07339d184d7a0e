"""Norwegian banking days and when a signed payment leaves and is executed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from paybot.core.banking_days import (
    banking_day_on_or_after,
    banking_days_before,
    banking_time_between,
    execution_date,
    is_banking_day,
    ready_to_send,
    send_on,
)
from paybot.core.company import DispatchTiming

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 11, 23), True),  # a Monday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 12, 24), False),  # Christmas Eve: banks do not settle
        (date(2026, 12, 25), False),
        (date(2026, 12, 31), False),
        (date(2026, 5, 17), False),  # Constitution Day (a Sunday in 2026 anyway)
        (date(2026, 5, 14), False),  # Ascension Day
        (date(2026, 4, 2), False),  # Maundy Thursday
    ],
)
def test_banking_days_follow_the_norwegian_calendar(day: date, open_: bool) -> None:
    assert is_banking_day(day) is open_


def test_a_due_date_on_a_holiday_executes_the_next_banking_day() -> None:
    assert banking_day_on_or_after(date(2026, 12, 24)) == date(2026, 12, 28)


def test_a_due_date_in_the_past_executes_on_the_next_banking_day() -> None:
    assert execution_date(date(2026, 11, 1), today=date(2026, 11, 21)) == date(2026, 11, 23)


def test_days_before_count_banking_days_only() -> None:
    assert banking_days_before(date(2026, 11, 23), 1) == date(2026, 11, 20)
    assert banking_days_before(date(2026, 12, 28), 2) == date(2026, 12, 22)


@pytest.mark.parametrize(
    ("timing", "expected"),
    [
        (DispatchTiming.DUE, date(2026, 12, 1)),
        (DispatchTiming.ONE_DAY, date(2026, 11, 30)),
        (DispatchTiming.TWO_DAYS, date(2026, 11, 27)),
        (DispatchTiming.THREE_DAYS, date(2026, 11, 26)),
        (DispatchTiming.IMMEDIATE, date(2026, 11, 23)),
    ],
)
def test_the_company_timing_says_when_a_payment_leaves(
    timing: DispatchTiming, expected: date
) -> None:
    assert send_on(date(2026, 12, 1), timing, today=date(2026, 11, 23)) == expected


def test_immediate_waits_for_the_undo_window() -> None:
    signed = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    common = {
        "due": date(2026, 12, 1),
        "timing": DispatchTiming.IMMEDIATE,
        "signed_at": signed,
        "today": date(2026, 11, 23),
        "undo_window": timedelta(seconds=60),
    }
    assert not ready_to_send(now=signed + timedelta(seconds=59), **common)  # type: ignore[arg-type]
    assert ready_to_send(now=signed + timedelta(seconds=60), **common)  # type: ignore[arg-type]


def test_banking_time_skips_weekends() -> None:
    friday_noon = datetime(2026, 11, 20, 12, 0, tzinfo=OSLO)
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=OSLO)
    assert banking_time_between(friday_noon, monday_noon, OSLO) == timedelta(hours=24)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=OSLO)
    assert banking_time_between(friday_noon, saturday, OSLO) == timedelta(hours=12)
