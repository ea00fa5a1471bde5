"""The scorecards pre-aggregated: each case's contribution to the figures, summed in buckets.

A case *contributes* to the scorecards of any period its filing falls in: every count of
`figures.COUNTS` it adds to, and the working days of each of its timed replies. The
contribution is what `figures.Tally` counts for that one case, so the buckets and the fold
over facts cannot disagree on a definition.

Contributions are summed in *buckets*: filing day (city time) × department × category ×
channel, one integer column per stored count (`STORED_COUNTS`). The breakdowns by channel
and by category are the key itself (`received_via_web` is the `received` of the web
buckets), so they need no column. Time to reply is kept as integer histograms, filing day ×
department × working days → replies: working days are whole numbers, so the median and the
nearest-rank 90th percentile read from a histogram are exactly those of the list of values.
No figure splits times by category or channel, so the histograms leave them out and a
period's histogram is a few rows per day.

A scorecard of a period sums the buckets of its whole days; `Sums` turns those sums into
the figures with the same arithmetic the fold uses (`figures.figures_of`).

Working days depend on the official calendar, which an operator can reload at runtime. The
aggregates remember the calendar they were counted with (`fingerprint`); see
`projection.ScorecardProjection` for how they are recounted when it changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from complaints.domain.values import Channel
from complaints.readmodels.scorecards.facts import CaseFacts
from complaints.readmodels.scorecards.figures import (
    CALENDAR_DAYS,
    CATEGORY_BREAKDOWN,
    COUNTS,
    WORKING_DAYS,
    Tally,
    WorkingDays,
    figures_of,
    is_count,
)
from shared.locale import CITY_TIME

_CHANNELS = {channel.value for channel in Channel}
# The counts derived from a bucket's key, not stored in a column: those of each channel here,
# and those of each category (CATEGORY_BREAKDOWN), whatever the catalogue names.
KEYED_COUNTS = frozenset(name for name in COUNTS if name.startswith("received_via_"))
STORED_COUNTS = tuple(name for name in COUNTS if name not in KEYED_COUNTS)
NO_DEPARTMENT = ""  # the key of the cases no department led


@dataclass(frozen=True)
class BucketKey:
    day: date  # the filing day in the city
    department: str  # NO_DEPARTMENT for a case never assigned
    category: str
    channel: str


@dataclass(frozen=True)
class Contribution:
    """What one case adds to its bucket, counted on the calendar named by `calendar`."""

    key: BucketKey
    counts: tuple[int, ...]  # in the order of STORED_COUNTS
    reply_days: tuple[tuple[str, int], ...]  # (unit, days) of each timed reply in each unit
    calendar: str


class _Counting(Tally):
    """The fold, counting each entry instead of listing it."""

    def __init__(self, calendar: WorkingDays) -> None:  # no lists of entries
        self.calendar = calendar
        self.reply_days: list[int] = []
        self.reply_calendar_days: list[int] = []
        self.counts: Counter[str] = Counter()

    def count(self, facts: CaseFacts, name: str, number: int | None, stage: str | None) -> None:
        self.counts[name] += 1


def contribution(facts: CaseFacts, calendar: WorkingDays, print_: str) -> Contribution:
    """The case's contribution to its bucket: what the fold counts for it alone."""
    tally = _Counting(calendar)
    tally.add(facts)
    counts = tally.counts
    return Contribution(
        key=key_of(facts),
        counts=tuple(counts[name] for name in STORED_COUNTS),
        reply_days=(*((WORKING_DAYS, days) for days in tally.reply_days),
                    *((CALENDAR_DAYS, days) for days in tally.reply_calendar_days)),
        calendar=print_,
    )


def key_of(facts: CaseFacts) -> BucketKey:
    return BucketKey(
        day=facts.filed_at.astimezone(CITY_TIME).date(),
        department=facts.department or NO_DEPARTMENT,
        category=facts.category,
        channel=facts.channel,
    )


@dataclass
class Deltas:
    """What a batch of changes does to the buckets and histograms, netted per key."""

    buckets: dict[BucketKey, list[int]]
    histograms: dict[tuple[date, str, str, int], int]  # (day, department, unit, days)

    @classmethod
    def of(cls, changes: Iterable[tuple[Contribution | None, Contribution]]) -> Deltas:
        deltas = cls({}, {})
        for before, after in changes:
            if before == after:
                continue
            if before is not None:
                deltas.add(before, -1)
            deltas.add(after, 1)
        return deltas

    def add(self, part: Contribution, sign: int) -> None:
        row = self.buckets.setdefault(part.key, [0] * len(STORED_COUNTS))
        for index, value in enumerate(part.counts):
            row[index] += sign * value
        for unit, days in part.reply_days:
            key = (part.key.day, part.key.department, unit, days)
            self.histograms[key] = self.histograms.get(key, 0) + sign

    def bucket_rows(self) -> list[tuple[BucketKey, list[int]]]:
        return [(key, row) for key, row in self.buckets.items() if any(row)]

    def histogram_rows(self) -> list[tuple[tuple[date, str, str, int], int]]:
        return [(key, n) for key, n in self.histograms.items() if n]

    def in_grain(self, grain: str) -> Deltas:
        """The same deltas summed into the buckets of a coarser grain, sorted by key."""
        buckets: dict[BucketKey, list[int]] = {}
        for key, row in self.buckets.items():
            moved = BucketKey(start_of(grain, key.day), key.department, key.category,
                              key.channel)
            into = buckets.setdefault(moved, [0] * len(STORED_COUNTS))
            for index, value in enumerate(row):
                into[index] += value
        histograms: dict[tuple[date, str, str, int], int] = {}
        for (day, department, unit, days), n in self.histograms.items():
            moved_key = (start_of(grain, day), department, unit, days)
            histograms[moved_key] = histograms.get(moved_key, 0) + n
        return Deltas(
            dict(sorted(buckets.items(), key=lambda item: (
                item[0].day, item[0].department, item[0].category, item[0].channel))),
            dict(sorted(histograms.items())),
        )


class Sums:
    """Summed buckets and histograms of some cases, as figures.

    A bucket's stored counts are added as a row of integers (a week view adds thousands of
    buckets; naming each count as it is added was most of its time), and named once, when
    the figures are asked for.
    """

    def __init__(self) -> None:
        self._stored = [0] * len(STORED_COUNTS)
        self._named: Counter[str] = Counter()  # keyed counts, and counts of folded cases
        self.reply_days: dict[str, Counter[int]] = {WORKING_DAYS: Counter(),
                                                     CALENDAR_DAYS: Counter()}

    @property
    def counts(self) -> Counter[str]:
        counts = Counter(dict(zip(STORED_COUNTS, self._stored, strict=True)))
        counts.update(self._named)
        return counts

    def add_bucket(self, category: str | None, channel: str | None,
                   stored: Sequence[int]) -> None:
        """A bucket's stored counts; or, summed over its other key, the cases received in a
        category (channel None) or through a channel (category None): `BucketSQL.bucket_sums`
        gives a group's sums over every key (both None) and those apart."""
        if (category is None) == (channel is None):
            self._stored[:] = map(operator.add, self._stored, stored)
        received = stored[_RECEIVED]
        if channel in _CHANNELS:
            self._named[f"received_via_{channel}"] += received
        if category is not None:
            self._named[CATEGORY_BREAKDOWN + category] += received

    def add_replies(self, unit: str, days: int, replies: int) -> None:
        self.reply_days[unit][days] += replies

    def add_tally(self, tally: Tally) -> None:
        """Cases folded from their facts (a period's partial edge days)."""
        for name, entries in tally.entries.items():
            if is_count(name):
                self._named[name] += len(entries)
        self.reply_days[WORKING_DAYS].update(tally.reply_days)
        self.reply_days[CALENDAR_DAYS].update(tally.reply_calendar_days)

    def merge(self, other: Sums) -> Sums:
        self._stored[:] = map(operator.add, self._stored, other._stored)
        self._named.update(other._named)
        for unit, histogram in other.reply_days.items():
            self.reply_days[unit].update(histogram)
        return self

    def figures(self) -> dict[str, int | float | None]:
        return figures_of(self.counts, self.reply_days[WORKING_DAYS],
                          self.reply_days[CALENDAR_DAYS])


_RECEIVED = STORED_COUNTS.index("received")

# One fingerprint per calendar object: a calendar is immutable once built (a reload builds a
# new one), so its fingerprint is computed once.
_PRINTS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


# What the aggregates hold, beside the calendar they were counted on: a new definition (here,
# first-dispatch accuracy beside reply times in calendar and working days) changes every
# fingerprint, so aggregates counted by an earlier version are summed again from the facts,
# as after a calendar reload.
DEFINITION = ("reply times in working and calendar days; first-dispatch accuracy; answered "
              "at first contact")


def fingerprint(calendar: Any) -> str:
    """What the working days a calendar counts depend on: its official schedules.

    Years without a schedule follow fixed rules (weekends and the statutory holidays that can
    be computed), so the official schedules in force name the calendar. A calendar of another
    kind (a test's) is named by its class and its own `fingerprint` when it has one.
    """
    try:
        return _PRINTS[calendar]
    except (KeyError, TypeError):
        pass
    digest = hashlib.sha256(DEFINITION.encode())
    if hasattr(calendar, "official_years") and hasattr(calendar, "schedule"):
        for year in calendar.official_years():
            schedule = calendar.schedule(year)
            digest.update(f"{year}|".encode())
            for kind in (schedule.holidays, schedule.workdays):
                digest.update(",".join(sorted(day.isoformat() for day in kind)).encode())
                digest.update(b"|")
    else:
        digest.update(type(calendar).__qualname__.encode())
        digest.update(str(getattr(calendar, "fingerprint", "")).encode())
    value = digest.hexdigest()[:32]
    with contextlib.suppress(TypeError):
        _PRINTS[calendar] = value
    return value


def stored_values(values: Mapping[str, Any] | Sequence[Any]) -> list[int]:
    """A bucket row's stored counts, from a row mapping or a sequence in STORED_COUNTS order."""
    if isinstance(values, Mapping):
        return [int(values[name]) for name in STORED_COUNTS]
    return [int(value) for value in values]


@dataclass(frozen=True)
class Change:
    """One case's new facts, with its contribution before (None: a new case) and after."""

    facts: CaseFacts
    before: Contribution | None
    after: Contribution


class StaleCalendar(Exception):
    """Changes counted on a calendar other than the one the aggregates were counted with."""


class Recount:
    """Every case's contribution summed afresh from the facts, on one calendar."""

    def __init__(self, calendar: WorkingDays, print_: str) -> None:
        self.calendar = calendar
        self.print = print_
        self.deltas = Deltas({}, {})

    def add(self, facts: CaseFacts) -> None:
        self.deltas.add(contribution(facts, self.calendar, self.print), 1)


# The grains the buckets are summed at: filing day, ISO week (its Monday), month (its first
# day). A period's whole months are read from the month buckets, the days left at its ends
# from the day buckets; a week view reads whole weeks from the week buckets. So a five-year
# scorecard sums at most 60 months and 61 days of buckets, whatever the size of history.
DAY, WEEK, MONTH = "day", "week", "month"
GRAINS = (DAY, WEEK, MONTH)


def start_of(grain: str, day: date) -> date:
    if grain == WEEK:
        return day - timedelta(days=day.weekday())
    if grain == MONTH:
        return day.replace(day=1)
    return day


# The histograms of earlier versions, in working days alone.
_OLD_HISTOGRAMS = {grain: "scorecard_reply_days" + ("" if grain == DAY else f"_{grain}")
                   for grain in GRAINS}


def table_names(grain: str) -> tuple[str, str]:
    """The bucket table and the histogram table of a grain."""
    suffix = "" if grain == DAY else f"_{grain}"
    return f"scorecard_buckets{suffix}", f"scorecard_reply_times{suffix}"


class BucketSQL:
    """The statements both stores run on the buckets, in their own dialect.

    `name(table)` writes a table's name; `mark(name)` a named parameter; `day_type` is the
    column type of a day; `week_of_day` the expression of the Monday of `day`'s ISO week.
    Every grain's tables have the same columns: `day` is the first day of the bucket's grain.
    `rows(columns)` is where the rows added to a table come from, given their (name, type):
    by default one row of parameters per execution (VALUES); PostgreSQL adds every row in one
    statement, from one JSON array (`json_to_recordset`).
    """

    def __init__(self, *, name, mark, day_type: str, week_of_day: str, lock: str = "",
                 rows: Callable[[Sequence[tuple[str, str]]], str] | None = None) -> None:
        if rows is None:
            def rows(columns: Sequence[tuple[str, str]]) -> str:
                return "VALUES (" + ", ".join(mark(column) for column, _ in columns) + ")"
        columns = ", ".join(f"{count} integer NOT NULL DEFAULT 0" for count in STORED_COUNTS)
        calendar = name("scorecard_calendar")
        key = ("day", "department", "category", "channel")
        self.create, self.empty = [], []
        self.add_to_bucket, self.add_replies = {}, {}
        self._tables = {}
        for grain in GRAINS:
            buckets, replies = (name(table) for table in table_names(grain))
            self._tables[grain] = (buckets, replies)
            made = [
                f"CREATE TABLE IF NOT EXISTS {buckets} (day {day_type} NOT NULL, "
                "department text NOT NULL, category text NOT NULL, channel text NOT NULL, "
                f"{columns}, PRIMARY KEY (day, department, category, channel))",
                f"CREATE TABLE IF NOT EXISTS {replies} (day {day_type} NOT NULL, "
                "department text NOT NULL, unit text NOT NULL, days integer NOT NULL, "
                "replies integer NOT NULL, PRIMARY KEY (day, department, unit, days))",
            ]
            # Kept in working days alone by earlier versions: their counts are summed again
            # into the table above (see `DEFINITION` in `fingerprint`).
            self.create += [*made, f"DROP TABLE IF EXISTS {name(_OLD_HISTOGRAMS[grain])}"]
            # A recount makes the tables anew, so buckets of an earlier definition (fewer
            # counts, fewer columns) are summed again with this one's columns.
            self.empty += [f"DROP TABLE IF EXISTS {buckets}", f"DROP TABLE IF EXISTS {replies}",
                           *made]
            self.add_to_bucket[grain] = (
                f"INSERT INTO {buckets} AS t ({', '.join((*key, *STORED_COUNTS))}) "
                + rows([*zip(key, (day_type, "text", "text", "text"), strict=True),
                        *((count, "integer") for count in STORED_COUNTS)])
                + " ON CONFLICT (day, department, category, channel) DO UPDATE SET "
                + ", ".join(f"{count} = t.{count} + excluded.{count}"
                            for count in STORED_COUNTS)
            )
            self.add_replies[grain] = (
                f"INSERT INTO {replies} AS t (day, department, unit, days, replies) "
                + rows([("day", day_type), ("department", "text"), ("unit", "text"),
                        ("days", "integer"), ("replies", "integer")])
                + " ON CONFLICT (day, department, unit, days) DO UPDATE SET "
                "replies = t.replies + excluded.replies"
            )
        self.create.append(f"CREATE TABLE IF NOT EXISTS {calendar} (fingerprint text NOT NULL)")
        self.empty.append(f"DELETE FROM {calendar}")
        self.read_calendar = f"SELECT fingerprint FROM {calendar}"
        self.lock_calendar = self.read_calendar + lock
        self.write_calendar = f"INSERT INTO {calendar} (fingerprint) VALUES ({mark('print')})"
        self._mark = mark
        self._week = week_of_day

    def bucket_sums(self, grain: str, by: str, department: bool) -> str:
        """Stored counts of a grain's buckets summed per group (`by`: 'department', or 'week'
        for the Monday of the bucket's week), category and channel apart: a group's sums over
        every category and channel (both NULL), then its cases received in each category
        (channel NULL) and through each channel (category NULL), their other counts 0. A
        group's rows are then a few dozen, not one per category and channel."""
        group = self._group(grain, by)
        table, where = self._tables[grain][0], self._where(department)
        sums = ", ".join(f"sum({count})" for count in STORED_COUNTS)
        received = ", ".join("sum(received)" if count == "received" else "0"
                             for count in STORED_COUNTS)
        nothing = "CAST(NULL AS text)"
        return (f"SELECT {group} AS grp, {nothing} AS category, {nothing} AS channel, {sums} "
                f"FROM {table} {where} GROUP BY {group} UNION ALL "
                f"SELECT {group}, category, {nothing}, {received} "
                f"FROM {table} {where} GROUP BY {group}, category UNION ALL "
                f"SELECT {group}, {nothing}, channel, {received} "
                f"FROM {table} {where} GROUP BY {group}, channel")

    def reply_sums(self, grain: str, by: str, department: bool) -> str:
        group = self._group(grain, by)
        return (f"SELECT {group} AS grp, unit, days, sum(replies) AS replies "
                f"FROM {self._tables[grain][1]} "
                f"{self._where(department)} GROUP BY {group}, unit, days")

    def _group(self, grain: str, by: str) -> str:
        if by == "department":
            return "department"
        return "day" if grain == WEEK else self._week

    def _where(self, department: bool) -> str:
        mark = self._mark
        where = f"WHERE day >= {mark('first')} AND day < {mark('end')}"
        return where + (f" AND department = {mark('department')}" if department else "")


def bucket_params(key: BucketKey, row: Sequence[int], day: Any) -> dict[str, Any]:
    return {"day": day, "department": key.department, "category": key.category,
            "channel": key.channel, **dict(zip(STORED_COUNTS, row, strict=True))}
