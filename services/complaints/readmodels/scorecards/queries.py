"""Department scorecards as the web layer reads them: the figures of any period and department.

How each figure is defined: see `complaints.readmodels.scorecards`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Tracking
from eventsourcing.postgres import PostgresDatastore

from complaints.application.service import Complaints
from complaints.readmodels.projection import Lag
from complaints.readmodels.scorecards.buckets import (
    DAY,
    MONTH,
    WEEK,
    Change,
    Recount,
    Sums,
    fingerprint,
    start_of,
)
from complaints.readmodels.scorecards.facts import CaseFacts
from complaints.readmodels.scorecards.figures import (
    RATES,
    TIMES,
    Entry,
    FigureCodes,
    Tally,
    WorkingDays,
    figure_codes,
)
from complaints.readmodels.scorecards.postgres import ScorecardPostgresRecorder
from complaints.readmodels.scorecards.sqlite import ScorecardSQLiteRecorder
from shared.locale import CITY_TIME

DEPARTMENT = "department"  # scorecards are summed per department; week views per WEEK


@dataclass(frozen=True)
class Scorecard:
    department: str | None  # None: the total over every case received in the period
    figures: dict[str, int | float | None]


@dataclass(frozen=True)
class ScorecardReport:
    period_from: datetime
    period_to: datetime
    departments: list[Scorecard]
    total: Scorecard
    lag: Lag


@dataclass(frozen=True)
class WeekFigures:
    """One ISO week of a period (Monday 00:00 to Monday 00:00 in the city), cut to the period."""

    year: int  # the ISO year and week number
    week: int
    starts: datetime
    ends: datetime  # not included
    figures: dict[str, int | float | None]


class ScorecardRecorder(Protocol):
    """What the SQLite and the PostgreSQL scorecard recorders both do."""

    def create_table(self) -> None: ...

    def recreate_tables(self) -> None: ...

    def load(self, case_ids: Collection[str]) -> dict[str, CaseFacts]: ...

    def apply(self, changes: Sequence[Change], tracking: Tracking, *, after: int) -> None: ...

    def calendar_counted(self) -> str | None: ...

    def recount(self, recount: Recount) -> int: ...

    def sums(
        self, by: str, ranges: Sequence[tuple[str, date, date]], department: str | None = None
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]: ...

    def between(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> list[CaseFacts]: ...

    def in_filing_order(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> Iterator[CaseFacts]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...


# The longest period a scorecard, its week view or the dashboard is asked for: five years, the
# longest a supervisor compares, read from at most 60 months of buckets.
LONGEST_PERIOD_YEARS = 5


def within_longest_period(first: date, last: date) -> bool:
    """Whether the days from `first` to `last` (both included) make at most five years."""
    try:
        limit = first.replace(year=first.year + LONGEST_PERIOD_YEARS)
    except ValueError:  # 29 February: five years on, the year has none
        limit = first.replace(year=first.year + LONGEST_PERIOD_YEARS, day=28) + timedelta(days=1)
    return last < limit


class Scorecards:
    """The case facts, and the figures of any period and department."""

    def __init__(
        self,
        recorder: ScorecardRecorder,
        events: ApplicationRecorder,
        calendar: Callable[[], WorkingDays],
        categories: Sequence[str] = (),
    ) -> None:
        self.recorder = recorder
        self.events = events
        # Asked at each query: a newly loaded official schedule counts working days at once.
        self.calendar = calendar
        # The figures: every catalogue's, and the cases received in each category of this one.
        self.codes: FigureCodes = figure_codes(tuple(categories))

    def _figures(self, sums: Sums) -> dict[str, int | float | None]:
        """The figures of `self.codes`: a category no case came in counts 0; cases in a
        category of an earlier catalogue count in every figure but the categories'."""
        figures = sums.figures()
        return {code: figures.get(code, 0) for code in self.codes.figures}

    def scorecard(
        self,
        period_from: date | datetime,
        period_to: date | datetime,
        department: str | None = None,
    ) -> ScorecardReport:
        """Each department's figures (or only `department`'s) and the total over every case
        received in [period_from, period_to); a date is the start of that day in the city."""
        start, end = _period(period_from, period_to)
        lag = self.lag()
        by_department = self._sums(start, end, DEPARTMENT)
        total = Sums()
        for sums in by_department.values():
            total.merge(sums)
        chosen = [department] if department else sorted(
            code for code, sums in by_department.items() if code and sums.counts["received"])
        return ScorecardReport(
            period_from=start,
            period_to=end,
            departments=[
                Scorecard(code, self._figures(by_department.get(code, Sums()))) for code in chosen
            ],
            total=Scorecard(None, self._figures(total)),
            lag=lag,
        )

    def cases_behind(
        self,
        figure: str,
        period_from: date | datetime,
        period_to: date | datetime,
        department: str | None = None,
    ) -> list[Entry]:
        """The entries behind one figure of `department` (None: the total), in filing order."""
        if figure not in self.codes:
            raise ValueError(f"no figure {figure!r}; choose from {', '.join(self.codes.figures)}")
        start, end = _period(period_from, period_to)
        cases = self._cases(start, end, department)
        return Tally(self.calendar()).add_all(cases).behind(figure)

    def cases_behind_page(
        self,
        figure: str,
        period_from: date | datetime,
        period_to: date | datetime,
        department: str | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[int, list[Entry]]:
        """How many entries are behind one figure of `department` (None: the total), and
        those from `offset`, at most `limit`, in filing order: `cases_behind` paged.

        The number is the figure's own count, from the buckets; the entries are folded from
        the facts of the cases in filing order, read in chunks only as far as the page, so a
        first page costs the same whatever the period (a deep page costs its offset).
        """
        if figure not in self.codes:
            raise ValueError(f"no figure {figure!r}; choose from {', '.join(self.codes.figures)}")
        start, end = _period(period_from, period_to)
        grouped = self._sums(start, end, DEPARTMENT)
        if department:
            sums = grouped.get(department, Sums())
        else:
            sums = Sums()
            for part in grouped.values():
                sums.merge(part)
        # A rate's cases are those of each numerator in turn, as `Tally.behind` lists them.
        if figure in RATES:
            parts = [(name, sums.counts[name]) for name in RATES[figure][0]]
        elif figure in TIMES:
            parts = [(figure, sum(sums.reply_days[TIMES[figure]].values()))]
        else:
            parts = [(figure, sums.counts[figure])]
        total = sum(count for _, count in parts)
        calendar = self.calendar()
        page: list[Entry] = []
        for name, count in parts:
            if offset >= count:
                offset -= count
                continue
            if len(page) >= limit:
                break
            seen = 0
            for facts in self.recorder.in_filing_order(start, end, department or None):
                if len(page) >= limit or seen >= count:
                    break
                entries = Tally(calendar).add_all([facts]).behind(name)
                if seen + len(entries) > offset:
                    page.extend(entries[max(0, offset - seen) :][: limit - len(page)])
                seen += len(entries)
            offset = 0
        return total, page

    def weekly(
        self,
        period_from: date | datetime,
        period_to: date | datetime,
        department: str | None = None,
    ) -> list[WeekFigures]:
        """The figures of each ISO week of [period_from, period_to), of `department`'s cases
        (None: every case), every week listed even when nothing came in. The first and last
        weeks are cut to the period, so each week's figures are the scorecard of its
        [starts, ends): the cases received in it, however late their later steps."""
        start, end = _period(period_from, period_to)
        by_week = self._sums(start, end, WEEK, department)
        weeks = []
        monday = _monday_of(start)
        while _moment(monday) < end:
            following = monday + timedelta(days=7)
            year, week, _ = monday.isocalendar()
            weeks.append(WeekFigures(
                year, week, max(start, _moment(monday)), min(end, _moment(following)),
                self._figures(by_week.get(monday, Sums())),
            ))
            monday = following
        return weeks

    def count_on_current_calendar(self) -> bool:
        """Recount the aggregates if they were counted on another calendar than the current
        one (or never); whether it did. The projection asks before each batch."""
        calendar = self.calendar()
        print_ = fingerprint(calendar)
        if self.recorder.calendar_counted() == print_:
            return False
        self.recorder.recount(Recount(calendar, print_))
        return True

    def _sums(
        self, start: datetime, end: datetime, by: str, department: str | None = None
    ) -> dict[Any, Sums]:
        """The sums of the cases received in [start, end) per department or per week (its
        Monday): the buckets of the whole days, and the facts of the partial days at its ends.
        While the aggregates stand on another calendar than the current one (a reload not yet
        recounted), every case of the period is folded from its facts instead."""
        calendar = self.calendar()
        grouped: dict[Any, Sums] = defaultdict(Sums)
        days, edges = _whole_days(start, end)
        if self.recorder.calendar_counted() != fingerprint(calendar):
            days, edges = None, [(start, end)]
        if days is not None:
            buckets, replies = self.recorder.sums(by, _ranges(by, *days), department)
            for group, category, channel, *stored in buckets:
                grouped[_group(by, group)].add_bucket(category, channel, stored)
            for group, unit, days_taken, replies_counted in replies:
                grouped[_group(by, group)].add_replies(unit, days_taken, replies_counted)
        for edge_start, edge_end in edges:
            tallies: dict[Any, Tally] = defaultdict(lambda: Tally(calendar))
            for facts in self.recorder.between(edge_start, edge_end, department):
                group = facts.department if by == DEPARTMENT else _monday_of(facts.filed_at)
                tallies[group].add(facts)
            for group, tally in tallies.items():
                grouped[group].add_tally(tally)
        return grouped

    def lag(self) -> Lag:
        # Tracked first: a head read afterwards can only make `behind` larger, never hide lag.
        tracked = self.recorder.max_tracking_id(Complaints.name) or 0
        return Lag(tracked=tracked, head=self.events.max_notification_id() or 0)

    def _cases(self, start: datetime, end: datetime, department: str | None) -> list[CaseFacts]:
        cases = self.recorder.between(start, end, department)
        # Sorted here, not in SQL, so both stores give the same order whatever their collation.
        return sorted(cases, key=lambda facts: (facts.filed_at, facts.reference))


def open_scorecards(app: Complaints, *, create: bool = False) -> Scorecards:
    """The scorecards in the case store beside the events, on the application's calendar."""
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    recorder: ScorecardRecorder
    if isinstance(datastore, PostgresDatastore):
        recorder = ScorecardPostgresRecorder(datastore)
    else:
        recorder = ScorecardSQLiteRecorder(datastore)
    if create:
        recorder.create_table()
    return Scorecards(recorder, app.recorder, lambda: app.deadlines.calendar,
                      tuple(app.routing.categories))


def _period(period_from: date | datetime, period_to: date | datetime) -> tuple[datetime, datetime]:
    start, end = _moment(period_from), _moment(period_to)
    if end < start:
        raise ValueError("the period ends before it starts")
    return start, end


def _whole_days(
    start: datetime, end: datetime
) -> tuple[tuple[date, date] | None, list[tuple[datetime, datetime]]]:
    """The whole city days [first, end) inside [start, end), and the parts of days left at its
    ends (none when the period starts and ends at midnight in the city)."""
    first = start.astimezone(CITY_TIME).date()
    if _moment(first) < start:
        first += timedelta(days=1)
    last = end.astimezone(CITY_TIME).date()
    if first >= last:
        return None, [(start, end)] if start < end else []
    edges = []
    if start < _moment(first):
        edges.append((start, _moment(first)))
    if _moment(last) < end:
        edges.append((_moment(last), end))
    return (first, last), edges


def _ranges(by: str, first: date, end: date) -> list[tuple[str, date, date]]:
    """The whole days [first, end) as buckets to read: whole months (for a scorecard) or
    whole weeks (for a week view) from their grain's buckets, the days left from the days'."""
    grain = MONTH if by == DEPARTMENT else WEEK
    inner_first = start_of(grain, first)
    if inner_first < first:
        inner_first = start_of(grain, inner_first + timedelta(days=31 if grain == MONTH else 7))
    inner_end = start_of(grain, end)
    if inner_first >= inner_end:
        return [(DAY, first, end)]
    ranges = [(DAY, first, inner_first), (grain, inner_first, inner_end), (DAY, inner_end, end)]
    return [(grain, low, high) for grain, low, high in ranges if low < high]


def _group(by: str, group: Any) -> Any:
    """A bucket group as the facts name it: no department is None."""
    if by == DEPARTMENT:
        return group or None
    return group


def _monday_of(moment: datetime) -> date:
    """The Monday of the ISO week `moment` falls in, on the city's calendar."""
    day = moment.astimezone(CITY_TIME).date()
    return day - timedelta(days=day.weekday())


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a period's ends need a time zone")
        return value
    return datetime.combine(value, time.min, tzinfo=CITY_TIME)
