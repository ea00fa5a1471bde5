"""Due times of each stage: the limits per category walked on the working-day calendar.

Every due time is a count of working days from the moment its stage began. Keeping the
count (not only the date) lets the same walk be taken again: when the filer's answer
resumes a paused clock (the days waited are added), when a supervisor extends a stage,
and when an official schedule replaces a provisional year.
"""

from __future__ import annotations

import time as monotonic_time
from collections.abc import Mapping
from datetime import datetime, time
from pathlib import Path
from typing import Any

from complaints.domain.deadline import Deadline, DueTime
from complaints.domain.values import Stage
from complaints.timelimits.calendar import WorkingCalendar
from complaints.timelimits.limits import TimeLimits
from shared.locale import CITY_TIME

__all__ = ["CITY_TIME", "Deadlines"]


# The clock states (as the case index keeps them) that run against someone, not the filer.
CLOCKS_AGAINST_SOMEONE = ("running", "warned", "breached")
# How often a long-running process looks for an official schedule loaded meanwhile.
CALENDAR_CHECK_SECONDS = 30.0


class Deadlines:
    """The limits and the calendar; the calendar follows the schedules directory.

    An operator loads a year's official schedule into `calendar_dir` (`huiyin calendar
    load`); every process notices within `CALENDAR_CHECK_SECONDS` and walks new due times
    on it. Due times already recorded are recomputed as events, by that command and by the
    watchdog (`calendar_version` tells it the calendar changed).
    """

    def __init__(
        self, calendar: WorkingCalendar, limits: TimeLimits, calendar_dir: Path | None = None
    ) -> None:
        self._calendar = calendar
        self.limits = limits
        self.calendar_dir = calendar_dir
        self._stamp = _schedules_stamp(calendar_dir)
        self._next_check = monotonic_time.monotonic() + CALENDAR_CHECK_SECONDS
        self.calendar_version = 0

    @classmethod
    def load(
        cls, calendar_dir: Path | None = None, limits: TimeLimits | None = None
    ) -> Deadlines:
        return cls(WorkingCalendar.load(calendar_dir), limits or TimeLimits.load(), calendar_dir)

    @property
    def calendar(self) -> WorkingCalendar:
        if self.calendar_dir is not None and monotonic_time.monotonic() >= self._next_check:
            self.reload_calendar()
        return self._calendar

    def reload_calendar(self) -> bool:
        """Read the schedules directory again if it changed; whether it had."""
        self._next_check = monotonic_time.monotonic() + CALENDAR_CHECK_SECONDS
        stamp = _schedules_stamp(self.calendar_dir)
        if stamp == self._stamp:
            return False
        self._calendar = WorkingCalendar.load(self.calendar_dir)
        self._stamp = stamp
        self.calendar_version += 1
        return True

    @property
    def max_extension(self) -> int:
        return self.limits.max_extension

    def start(self, stage: Stage, category: str, at: datetime) -> DueTime:
        """The due time of a stage of a case in `category` that begins at `at`."""
        return self._walk(at, self.limits.working_days(category, stage))

    def extended(self, deadline: Deadline, working_days: int) -> DueTime:
        return self._walk(deadline.started_at, deadline.working_days + working_days)

    def resumed(self, deadline: Deadline, supplied_at: datetime) -> DueTime:
        """The due time after the filer answered: the working days waited do not count."""
        paused_since = deadline.paused_since or supplied_at
        waited = max(0, self.calendar.working_days_between(paused_since, supplied_at))
        return self._walk(deadline.started_at, deadline.working_days + waited)

    def recomputed(self, deadline: Deadline) -> DueTime:
        """The same count of working days walked on the calendar as it now stands."""
        return self._walk(deadline.started_at, deadline.working_days)

    def warn_from(self, deadline: Deadline) -> datetime:
        """The start of the last working day before the due day: the department is warned."""
        day_before = self.calendar.add_working_days(deadline.due_at, -1).at
        return datetime.combine(day_before.date(), time.min, tzinfo=CITY_TIME)

    def working_days_left(self, due_at: datetime, now: datetime) -> int:
        """Whole working days from today to the due day; 0 on the due day, negative after."""
        return self.calendar.working_days_between(now, due_at)

    def time_left(self, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """A listed case's clock as of `now`: `working_days_left` and `overdue`.

        `row` has `due_at` and `deadline_state` as the case index keeps them (running,
        warned, paused, breached). Overdue means the due time in force has passed on a clock
        that runs against someone: a paused clock waits for the filer, and a stage that was
        breached and then extended is overdue again only once its new due time passes.
        """
        due_at = row.get("due_at")
        if not due_at:
            return {"working_days_left": None, "overdue": False}
        due = datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at
        return {
            "working_days_left": self.working_days_left(due, now),
            "overdue": row.get("deadline_state") in CLOCKS_AGAINST_SOMEONE and now > due,
        }

    def _walk(self, start: datetime, working_days: int) -> DueTime:
        due = self.calendar.add_working_days(start, working_days)
        return DueTime(due.at, due.provisional, working_days)


def _schedules_stamp(calendar_dir: Path | None) -> tuple[tuple[str, int], ...]:
    if calendar_dir is None or not calendar_dir.is_dir():
        return ()
    return tuple(
        sorted((path.name, path.stat().st_mtime_ns) for path in calendar_dir.glob("*.json"))
    )
