"""Official schedules of holidays and make-up workdays: read, checked and stored.

A year's schedule comes from the `chinesecalendar` package (the State Council's notices it was
released with) or from a file an operator loads (`huiyin calendar load`) into the schedules
directory, one <year>.json each, which overrides the package for that year. A file is checked
whole before it is stored, and stored at once, so no process reads half of one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import chinese_calendar

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCHEDULE_FILE = re.compile(r"\d{4}\.json")
_FIELDS = ("year", "source", "holidays", "workdays")


class ScheduleError(ValueError):
    """A schedule is malformed or cannot be read; the message says where and why."""




@dataclass(frozen=True)
class Schedule:
    """One year's schedule as the State Council publishes it (…部分节假日安排的通知).

    Dates lie in the year or in the December before it: a New Year's Day break may begin
    there (2018-12-30 to 2019-01-01 was announced with 2019). Workdays are make-up workdays.
    """

    year: int
    source: str
    holidays: Mapping[date, str]
    workdays: Mapping[date, str]

    @classmethod
    def parse(cls, text_or_mapping: str | bytes | Mapping[str, Any]) -> Schedule:
        raw = _decode(text_or_mapping)
        missing = [field for field in _FIELDS if field not in raw]
        unknown = sorted(set(raw) - set(_FIELDS))
        if missing or unknown:
            raise ScheduleError(
                f"a schedule has exactly the fields {', '.join(_FIELDS)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        year, source = raw["year"], raw["source"]
        if type(year) is not int or not 1000 <= year <= 9999:
            raise ScheduleError(f"year must be a four-digit whole number, not {year!r}")
        if not isinstance(source, str) or not source.strip():
            raise ScheduleError("source must name the notice the schedule comes from")
        schedule = cls(
            year=year,
            source=source.strip(),
            holidays=MappingProxyType(_named_days(raw["holidays"], "holidays", year)),
            workdays=MappingProxyType(_named_days(raw["workdays"], "workdays", year)),
        )
        schedule._check()
        return schedule

    def _check(self) -> None:
        if not self.holidays:
            raise ScheduleError(f"the {self.year} schedule names no holidays")
        for day in sorted(self.workdays):
            if day in self.holidays:
                raise ScheduleError(f"{day} is both a holiday and a make-up workday")
            if day.weekday() < 5:
                raise ScheduleError(
                    f"workdays: {day} is a {WEEKDAYS[day.weekday()]}, a working day anyway; "
                    "a make-up workday is a Saturday or a Sunday"
                )

    def to_json(self) -> str:
        document = {
            "year": self.year,
            "source": self.source,
            "holidays": {day.isoformat(): self.holidays[day] for day in sorted(self.holidays)},
            "workdays": {day.isoformat(): self.workdays[day] for day in sorted(self.workdays)},
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _decode(text_or_mapping: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    raw: Any = text_or_mapping
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw, object_pairs_hook=_refuse_repeated_keys)
        except ScheduleError:
            raise
        except ValueError as error:
            raise ScheduleError(f"the schedule is not valid JSON: {error}") from None
    if not isinstance(raw, Mapping):
        raise ScheduleError("a schedule is a JSON object of year, source, holidays and workdays")
    return raw


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ScheduleError(f"{key} appears twice")
        seen[key] = value
    return seen


def _named_days(entries: Any, field: str, year: int) -> dict[date, str]:
    if not isinstance(entries, Mapping):
        raise ScheduleError(f"{field} must map dates (YYYY-MM-DD) to names, such as 春节")
    days = {}
    for text, name in entries.items():
        try:
            day = date.fromisoformat(text) if _ISO_DAY.fullmatch(str(text)) else None
        except ValueError:
            day = None
        if day is None:
            raise ScheduleError(f"{field}: {text!r} is not a date written YYYY-MM-DD")
        if day.year != year and (day.year, day.month) != (year - 1, 12):
            raise ScheduleError(
                f"{field}: {text} lies outside {year} (only {year} and the December before it)"
            )
        if not isinstance(name, str) or not name.strip():
            raise ScheduleError(f"{field}: {text} needs a name, such as 春节")
        days[day] = name.strip()
    return days


def read_schedule(path: Path) -> Schedule:
    """The schedule in a file; ScheduleError names the file and what is wrong with it."""
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise ScheduleError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ScheduleError(f"{path}: is not UTF-8 text") from None
    try:
        return Schedule.parse(text)
    except ScheduleError as error:
        raise ScheduleError(f"{path}: {error}") from None


def read_schedules(schedules_dir: Path | None) -> list[Schedule]:
    """Every <year>.json in the directory (none if there is no directory), in file-name order."""
    if schedules_dir is None or not schedules_dir.is_dir():
        return []
    schedules = []
    for path in sorted(schedules_dir.iterdir()):
        if not _SCHEDULE_FILE.fullmatch(path.name):
            continue
        schedule = read_schedule(path)
        if str(schedule.year) != path.stem:
            raise ScheduleError(
                f"{path}: holds the {schedule.year} schedule; name it {schedule.year}.json"
            )
        schedules.append(schedule)
    return schedules


def store_schedule(schedule: Schedule, schedules_dir: Path) -> Path:
    """Write the schedule to <dir>/<year>.json at once: readers see the old file or the new."""
    schedules_dir.mkdir(parents=True, exist_ok=True)
    target = schedules_dir / f"{schedule.year}.json"
    handle, temporary = tempfile.mkstemp(
        dir=schedules_dir, prefix=f".{schedule.year}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(schedule.to_json())
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target




@cache
def package_schedules() -> dict[int, Schedule]:
    """The package's data as one schedule per calendar year, with the holidays' Chinese names."""
    source = f"chinesecalendar {chinese_calendar.__version__}"
    new_years_day = chinese_calendar.Holiday.new_years_day.value
    years: dict[int, tuple[dict[date, str], dict[date, str]]] = {}
    for kind, days in enumerate((chinese_calendar.holidays, chinese_calendar.workdays)):
        for day, name in days.items():
            # A New Year's Day break that begins in December was announced with the next year.
            announced = day.year + 1 if day.month == 12 and name == new_years_day else day.year
            years.setdefault(announced, ({}, {}))[kind][day] = _chinese_name(name)
    return {
        year: Schedule(year, source, MappingProxyType(rest), MappingProxyType(work))
        for year, (rest, work) in years.items()
    }


def _chinese_name(english: str) -> str:
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english
