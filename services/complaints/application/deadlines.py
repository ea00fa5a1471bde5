"""Due times of each stage, counted in working days in the city's time zone (Asia/Shanghai).

This first clock counts Monday to Friday; the official calendar with holidays and
make-up workdays replaces `is_working_day` without changing its callers.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CITY_TIME = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

ACCEPT_WORKING_DAYS = 1
REPLY_WORKING_DAYS = 15


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the `days`-th working day after `start`'s day, in the city's time."""
    day = start.astimezone(CITY_TIME).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, END_OF_DAY, tzinfo=CITY_TIME)


def accept_by(filed_at: datetime) -> datetime:
    return add_working_days(filed_at, ACCEPT_WORKING_DAYS)


def reply_by(assigned_at: datetime) -> datetime:
    return add_working_days(assigned_at, REPLY_WORKING_DAYS)
