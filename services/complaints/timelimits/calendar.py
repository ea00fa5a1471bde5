"""China's official working-day calendar, counted in the city's time zone (Asia/Shanghai).

A year is *official* when its schedule is known: the `chinesecalendar` package carries the
State Council's schedules it was released with (which years is read from its data, so a newer
release makes a year official by itself), and an operator may load a year's schedule as a file
(`huiyin calendar load`), which overrides the package for that year. Official schedules include
make-up workdays (调休): a Saturday or Sunday worked to bridge a holiday.

Any other year is *provisional*: the State Council publishes a year's schedule only late in the
year before, yet deadlines reach into it. A provisional year rests on weekends and on the
statutory holidays that can be computed in advance under the 全国年节及纪念日放假办法 as revised
in 2025: 元旦 (1 January), 春节 (除夕, the day before 正月初一, to 正月初三: four days),
清明 (the day of the solar term), 劳动节 (1 and 2 May), 端午 (五月初五), 中秋 (八月十五) and
国庆节 (1 to 3 October). Make-up workdays, bridging days and the weekday given back for a
holiday that falls on a weekend (补假) are decided only by each year's notice, so a provisional
year has none of them; its deadlines are marked provisional and recomputed once the schedule
is loaded. Lunar dates come from `lunardate`, the 清明 solar term from `chinesecalendar`.
Official schedules, the package's and the loaded files, are read and checked in `schedules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import chinese_calendar
from lunardate import LunarDate

from complaints.timelimits.schedules import (
    Schedule,
    ScheduleError,
    package_schedules,
    read_schedules,
)
from shared.locale import CITY_TIME

END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Due:
    """A due time, and whether it rests on a provisional year's calendar."""

    at: datetime
    provisional: bool


@dataclass(frozen=True)
class Holiday:
    """A named day of a year's calendar, as shown to an operator."""

    day: date
    name: str
    kind: Literal["holiday", "workday"]
    provisional: bool


@dataclass(frozen=True)
class _Year:
    """One year's answers, computed once: a flag per day and the running count of working days."""

    first: int  # ordinal of 1 January
    working: bytes  # 1 for a working day, indexed by days since 1 January
    running: tuple[int, ...]  # running[i]: working days among the year's first i days
    provisional: bool


class WorkingCalendar:
    """Working days on the official calendar; years without a schedule are provisional."""

    def __init__(self, schedules: Iterable[Schedule] = ()) -> None:
        loaded: dict[int, Schedule] = {}
        for schedule in schedules:
            if schedule.year in loaded:
                raise ScheduleError(f"two schedules for {schedule.year}")
            loaded[schedule.year] = schedule
        self._official = {**package_schedules(), **loaded}
        self._years: dict[int, _Year] = {}

    @classmethod
    def load(cls, schedules_dir: Path | None) -> WorkingCalendar:
        """The package's schedules and every <year>.json in the directory (if there is one)."""
        return cls(read_schedules(schedules_dir))

    def is_working_day(self, day: date) -> bool:
        year = self._year(day.year)
        return bool(year.working[day.toordinal() - year.first])

    def is_official(self, year: int) -> bool:
        return year in self._official

    def official_years(self) -> list[int]:
        return sorted(self._official)

    def schedule(self, year: int) -> Schedule | None:
        """The official schedule in force for the year (loaded, else the package's), if any."""
        return self._official.get(year)

    def add_working_days(self, start: datetime, days: int) -> Due:
        """The end of the `days`-th working day after start's city day (before it, if negative).

        Provisional when any day walked over lies in a provisional year; zero days is the end
        of start's own day and depends on no calendar.
        """
        day = city_day(start)
        step = timedelta(days=1 if days > 0 else -1)
        remaining, provisional = abs(days), False
        while remaining:
            day += step
            year = self._year(day.year)
            provisional = provisional or year.provisional
            remaining -= year.working[day.toordinal() - year.first]
        return Due(datetime.combine(day, END_OF_DAY, tzinfo=CITY_TIME), provisional)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days d with start's city day < d <= end's; negative when end comes first."""
        first, last = city_day(start), city_day(end)
        if last < first:
            return -self._count(last, first)
        return self._count(first, last)

    def holidays(self, year: int) -> list[Holiday]:
        """The year's holidays and make-up workdays, for an operator to read."""
        provisional = not self.is_official(year)
        listed = []
        day = date(year, 1, 1)
        while day.year == year:
            working, name = self._rule(day)
            if name is not None:
                listed.append(Holiday(day, name, "workday" if working else "holiday", provisional))
            day += timedelta(days=1)
        return listed

    def _count(self, after: date, upto: date) -> int:
        total = 0
        for number in range(after.year, upto.year + 1):
            year = self._year(number)
            low = after.toordinal() - year.first + 1 if number == after.year else 0
            high = upto.toordinal() - year.first + 1 if number == upto.year else len(year.working)
            total += year.running[high] - year.running[low]
        return total

    def _year(self, number: int) -> _Year:
        # Races between threads only compute the same year twice.
        year = self._years.get(number)
        if year is None:
            first = date(number, 1, 1)
            days = date(number, 12, 31).toordinal() - first.toordinal() + 1
            flags = bytes(self._rule(first + timedelta(days=i))[0] for i in range(days))
            year = self._years[number] = _Year(
                first=first.toordinal(),
                working=flags,
                running=tuple(accumulate(flags, initial=0)),
                provisional=not self.is_official(number),
            )
        return year

    def _rule(self, day: date) -> tuple[bool, str | None]:
        """Whether the day is worked, and the name of the holiday or make-up workday it is."""
        # A December day may belong to the next year's New Year's Day break.
        for number in (day.year + 1, day.year) if day.month == 12 else (day.year,):
            schedule = self._official.get(number)
            if schedule is not None:
                if day in schedule.workdays:
                    return True, schedule.workdays[day]
                if day in schedule.holidays:
                    return False, schedule.holidays[day]
        if day.year in self._official:
            return day.weekday() < 5, None
        name = statutory_holidays(day.year).get(day)
        return day.weekday() < 5 and name is None, name


def city_day(moment: datetime) -> date:
    """The day in the city on which an aware moment falls."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; the calendar needs one")
    return moment.astimezone(CITY_TIME).date()


@cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The rest days a provisional year is given: those the 2025 rules fix in advance."""
    try:
        new_year = LunarDate(year, 1, 1).to_solar_date()
        dragon_boat = LunarDate(year, 5, 5).to_solar_date()
        mid_autumn = LunarDate(year, 8, 15).to_solar_date()
        qingming = next(
            day
            for day, term in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
            if term == "清明"
        )
    except (ValueError, NotImplementedError):
        raise ValueError(
            f"no provisional calendar for {year}: the lunar tables cover 1900 to 2099"
        ) from None
    days = [
        (date(year, 1, 1), "元旦"),
        *((new_year + timedelta(days=offset), "春节") for offset in (-1, 0, 1, 2)),
        (qingming, "清明"),
        (date(year, 5, 1), "劳动节"),
        (date(year, 5, 2), "劳动节"),
        (dragon_boat, "端午"),
        (mid_autumn, "中秋"),
        *((date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    named: dict[date, str] = {}
    for day, name in days:
        named[day] = f"{named[day]}、{name}" if day in named else name
    return MappingProxyType(named)
