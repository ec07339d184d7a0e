"""Norwegian banking days, and when a signed payment is sent and executed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from paybot.core.company import DispatchTiming

# Banks in Norway do not settle on Christmas Eve or New Year's Eve, though neither is a public
# holiday.
_BANK_CLOSED = ((12, 24), (12, 31))

_DAYS_BEFORE = {
    DispatchTiming.ONE_DAY: 1,
    DispatchTiming.TWO_DAYS: 2,
    DispatchTiming.THREE_DAYS: 3,
}


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NO", years=year))


def is_banking_day(day: date) -> bool:
    return (
        day.weekday() < 5
        and (day.month, day.day) not in _BANK_CLOSED
        and day not in _public_holidays(day.year)
    )


def banking_day_on_or_after(day: date) -> date:
    while not is_banking_day(day):
        day += timedelta(days=1)
    return day


def banking_days_before(day: date, count: int) -> date:
    """The banking day `count` banking days before `day`."""
    for _ in range(count):
        day -= timedelta(days=1)
        while not is_banking_day(day):
            day -= timedelta(days=1)
    return day


def execution_date(due: date, today: date) -> date:
    """When the bank should pay: the due date moved to a banking day, never in the past."""
    return banking_day_on_or_after(max(due, today))


def send_on(due: date, timing: DispatchTiming, today: date) -> date:
    """The first day a signed payment may leave for the bank under the company's timing."""
    if timing is DispatchTiming.IMMEDIATE:
        return today
    pay_day = banking_day_on_or_after(due)
    if timing is DispatchTiming.DUE:
        return pay_day
    return banking_days_before(pay_day, _DAYS_BEFORE[timing])


def banking_time_between(start: datetime, end: datetime, zone: ZoneInfo) -> timedelta:
    """How much of the time from `start` to `end` fell on banking days (in `zone`)."""
    total = timedelta(0)
    cursor = start.astimezone(zone)
    end = end.astimezone(zone)
    while cursor < end:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=zone)
        stop = min(next_midnight, end)
        if is_banking_day(cursor.date()):
            total += stop - cursor
        cursor = stop
    return total


def ready_to_send(
    *,
    due: date,
    timing: DispatchTiming,
    signed_at: datetime,
    now: datetime,
    today: date,
    undo_window: timedelta,
) -> bool:
    """Whether a Due payment goes in this dispatch. "Immediately" waits out the undo window."""
    if timing is DispatchTiming.IMMEDIATE:
        return now >= signed_at + undo_window
    return today >= send_on(due, timing, today)
