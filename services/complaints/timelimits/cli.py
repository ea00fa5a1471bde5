"""`huiyin calendar`: load a year's official schedule, and show a year's calendar.

Loading walks the provisional due times again through `recompute`, which the command line
(`complaints.cli`) gives it: that step needs the whole service, built from the settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from complaints.settings import Settings
from complaints.timelimits.calendar import WorkingCalendar
from complaints.timelimits.schedules import (
    WEEKDAYS,
    Schedule,
    ScheduleError,
    read_schedule,
    store_schedule,
)

UNUSABLE = 2


@dataclass(frozen=True)
class StoredSchedule:
    schedule: Schedule
    path: Path
    replaced: str  # what the calendar counted that year by until now


def load_schedule(
    settings: Settings,
    arguments: argparse.Namespace,
    *,
    recompute: Callable[[Settings, str], int],
) -> int:
    """Check a schedule file, store it, and walk every provisional due time again on it.

    Each due time that moved (or became official) gets a DeadlineRecomputed event naming
    the schedule, so a case's history says why its deadline changed. The watchdog does the
    same when it notices the new file, so a case filed meanwhile is not missed.
    """
    try:
        stored = install_schedule(Path(arguments.file), settings.calendar_dir)
    except (ScheduleError, OSError) as error:
        print(f"huiyin calendar: {error}", file=sys.stderr)
        return UNUSABLE
    schedule = stored.schedule
    print(
        f"huiyin calendar: stored the {schedule.year} schedule in {stored.path} "
        f"({len(schedule.holidays)} holiday(s), {len(schedule.workdays)} make-up workday(s), "
        f"from {schedule.source}); it replaces {stored.replaced}"
    )
    reason = f"the official {schedule.year} schedule was loaded ({schedule.source})"
    moved = recompute(settings, reason)
    print(f"huiyin calendar: {moved} provisional due time(s) recomputed")
    return 0


def install_schedule(file: Path, schedules_dir: Path) -> StoredSchedule:
    """Validate the schedule in a file and store it as <schedules_dir>/<year>.json."""
    schedule = read_schedule(file)
    replaced = _standing(schedule.year, schedules_dir)
    return StoredSchedule(schedule, store_schedule(schedule, schedules_dir), replaced)


def show_calendar(settings: Settings, arguments: argparse.Namespace) -> int:
    """Print a year's holidays and make-up workdays, and whether the year is official."""
    year = arguments.year
    try:
        calendar = WorkingCalendar.load(settings.calendar_dir)
        named = calendar.holidays(year)
    except ValueError as error:
        print(f"huiyin calendar: {error}", file=sys.stderr)
        return UNUSABLE
    schedule = calendar.schedule(year)
    if schedule is None:
        print(
            f"{year}: provisional, no official schedule loaded: weekends and the statutory "
            "holidays known in advance, no make-up workdays"
        )
    else:
        print(f"{year}: official, from {schedule.source}")
    for entry in named:
        kind = "holiday" if entry.kind == "holiday" else "make-up workday"
        weekday = WEEKDAYS[entry.day.weekday()]
        print(f"  {entry.day.isoformat()} {weekday:<9}  {kind:<15}  {entry.name}")
    return 0


def _standing(year: int, schedules_dir: Path) -> str:
    if (schedules_dir / f"{year}.json").exists():
        return "the schedule loaded before"
    packaged = WorkingCalendar().schedule(year)
    if packaged is not None:
        return f"the data of {packaged.source}"
    return "the provisional calendar"
