"""Department scorecards as the web layer reads them: the figures of any period and department.

How each figure is defined: see `complaints.readmodels.scorecards`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder, Tracking
from eventsourcing.postgres import PostgresDatastore

from complaints.application.service import Complaints
from complaints.readmodels.projection import Lag
from complaints.readmodels.scorecards.facts import CaseFacts
from complaints.readmodels.scorecards.figures import FIGURES, Entry, Tally, WorkingDays
from complaints.readmodels.scorecards.postgres import ScorecardPostgresRecorder
from complaints.readmodels.scorecards.sqlite import ScorecardSQLiteRecorder
from shared.locale import CITY_TIME


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

    def apply(self, cases: Sequence[CaseFacts], tracking: Tracking, *, after: int) -> None: ...

    def between(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> list[CaseFacts]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...


class Scorecards:
    """The case facts, and the figures of any period and department."""

    def __init__(
        self,
        recorder: ScorecardRecorder,
        events: ApplicationRecorder,
        calendar: Callable[[], WorkingDays],
    ) -> None:
        self.recorder = recorder
        self.events = events
        # Asked at each query: a newly loaded official schedule counts working days at once.
        self.calendar = calendar

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
        calendar = self.calendar()
        by_department: dict[str | None, list[CaseFacts]] = defaultdict(list)
        for facts in self._cases(start, end, None):
            by_department[facts.department].append(facts)
        tallies = {code: Tally(calendar).add_all(cases) for code, cases in by_department.items()}
        total = Tally(calendar)
        for tally in tallies.values():
            total.merge(tally)
        chosen = [department] if department else sorted(code for code in tallies if code)
        return ScorecardReport(
            period_from=start,
            period_to=end,
            departments=[
                Scorecard(code, tallies.get(code, Tally(calendar)).figures()) for code in chosen
            ],
            total=Scorecard(None, total.figures()),
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
        if figure not in FIGURES:
            raise ValueError(f"no figure {figure!r}; choose from {', '.join(FIGURES)}")
        start, end = _period(period_from, period_to)
        cases = self._cases(start, end, department)
        return Tally(self.calendar()).add_all(cases).behind(figure)

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
        calendar = self.calendar()
        by_week: dict[date, list[CaseFacts]] = defaultdict(list)
        for facts in self._cases(start, end, department):
            by_week[_monday_of(facts.filed_at)].append(facts)
        weeks = []
        monday = _monday_of(start)
        while _moment(monday) < end:
            following = monday + timedelta(days=7)
            year, week, _ = monday.isocalendar()
            cases = by_week.get(monday, [])
            weeks.append(WeekFigures(
                year, week, max(start, _moment(monday)), min(end, _moment(following)),
                Tally(calendar).add_all(cases).figures(),
            ))
            monday = following
        return weeks

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
    return Scorecards(recorder, app.recorder, lambda: app.deadlines.calendar)


def _period(period_from: date | datetime, period_to: date | datetime) -> tuple[datetime, datetime]:
    start, end = _moment(period_from), _moment(period_to)
    if end < start:
        raise ValueError("the period ends before it starts")
    return start, end


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
