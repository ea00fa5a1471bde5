"""Department scorecards: the case events folded into per-case facts, and figures over a period.

How each figure is defined
--------------------------
- A case belongs to the department that led it last (the latest Assigned lead, or the
  department a case was last transferred to; a transfer back to intake does not erase it).
  A case never assigned belongs to no department and counts only in the total.
- The period is the cases *received* in it: filed at a moment (when it happened in the
  world, `occurred_at`) in [from, to). Every figure of a period is about those cases,
  whenever the later steps happened, so a month's scorecard settles as its cases do.
- Every time is when a thing happened in the world, never when it was recorded.
- `received`: cases filed in the period.
- `accepted`: accept stages ended by Assigned or Referred (one per filing, per transfer back
  to intake, per reopening before assignment); `accepted_on_time`: those ended at or before
  the due time in force. The due time in force for a stage is the one the latest event
  gave it (the stage's start, information supplied, an extension, a recomputation); a stage
  given no due time cannot be late.
- `replies`: the first reply (Responded) of each round; `replied_on_time`: those at or before
  the reply stage's due time in force, after extensions; `replied_cases`: cases replied at least
  once.
- `time_to_reply_median`, `time_to_reply_p90`: working days (Asia/Shanghai, China's official
  calendar; days d with start day < d <= reply day) from the start of the reply stage in force
  (the last assignment, transfer to a department or reopening) to the reply; the median, and
  the nearest-rank 90th percentile.
- Ratings count per round: `rated_good` (4–5), `rated_neutral` (3), `rated_bad` (1–2) and
  `ratings` (their sum) leave out the ratings a supervisor invalidated, which count apart
  by class: `ratings_invalid`, `ratings_malicious`.
- `satisfaction_rate` = (rated_good + rated_neutral) / ratings.
- `bad_reviews_upheld`: re-checks concluded upheld; `rectified`: rectifications;
  `rectified_on_time`: those at or before the rectify stage's due time in force.
- `return_visits`: return visits (FollowedUp); `return_visit_rate` = return_visits / rectified.
- `reopened_cases`: cases reopened after a reply; `reopen_rate` = reopened_cases / replied_cases.
- `breaches`, `escalations`: DeadlineBreached and Escalated events, in all and per stage
  (`breaches_accept`, `breaches_reply`, `breaches_rectify`, `breaches_return_visit`, the same
  for escalations).
- The cases received, broken down: `received_via_<channel>` (web, api, hotline, window,
  letter, email), `received_in_<category>` (each category of the routing table),
  `outcome_<outcome>` (the outcome of the latest reply that stands: resolved, …), and
  `open_cases` (not closed).
- Rates: `accepted_on_time_rate`, `replied_on_time_rate`, `rectified_on_time_rate` as above;
  every rate is a fraction from 0 to 1 (4 decimals), null when its denominator is 0; times are
  null when nothing was replied.

The cases behind a figure are the entries its count is made of (a case, with the round or
stage it counts for): as many as the figure for a count, the numerator's for a rate, the
timed replies for a time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    Tracking,
)
from eventsourcing.postgres import PostgresDatastore

from complaints.application.deadlines import CITY_TIME
from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, CASE_TOPIC_PREFIX, Batch, is_case_event
from complaints.readmodels.case_index import Lag
from complaints.readmodels.postgres_scorecards import ScorecardPostgresRecorder
from complaints.readmodels.projection import TrackedProjection
from complaints.readmodels.scorecard_facts import FOLDED_EVENTS, CaseFacts, facts_of_filing
from complaints.readmodels.scorecard_figures import FIGURES, Entry, Tally, WorkingDays
from complaints.readmodels.sqlite_scorecards import ScorecardSQLiteRecorder

log = logging.getLogger(__name__)


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


class ScorecardProjection(TrackedProjection):
    """Folds notifications into case facts.

    Events are decoded from the notifications with the application's mapper, and only those
    a scorecard reads; aggregates are never loaded. Each case's facts also remember the last
    version folded, so an event can never be folded twice.
    """

    label = "scorecards"

    def __init__(
        self, app: Complaints, scorecards: Scorecards, batch_size: int = BATCH_SIZE
    ) -> None:
        super().__init__(app, scorecards.recorder, batch_size)
        self.scorecards = scorecards

    def changes(self, batch: Batch) -> list[CaseFacts]:
        events = [n for n in batch.notifications if is_case_event(n)]
        cases = self.scorecards.recorder.load({str(n.originator_id) for n in events})
        changed: dict[str, CaseFacts] = {}
        for notification in events:
            key = str(notification.originator_id)
            facts = _folded(self.app, cases.get(key), key, notification)
            if facts is not None:
                cases[key] = changed[key] = facts
        return list(changed.values())

    def rebuild(self) -> int:
        """Empty the facts and their tracking, then fold the whole log again."""
        self.scorecards.recorder.recreate_tables()
        return self.catch_up()


def _folded(
    app: Complaints, facts: CaseFacts | None, key: str, notification: Notification
) -> CaseFacts | None:
    """The facts after one more event of the case, or None when the event changes nothing."""
    version = notification.originator_version
    if facts is not None and version <= facts.version:
        return None  # folded already
    name = notification.topic[len(CASE_TOPIC_PREFIX) :]
    if name not in FOLDED_EVENTS:
        if facts is not None:
            facts.version = version
        return facts
    event = app.mapper.to_domain_event(notification)
    if name == "Filed":
        facts = facts_of_filing(key, event)
    elif facts is None:
        return None  # a case whose filing this table never saw: nothing to count it in
    else:
        facts.apply(name, event)
    facts.version = version
    return facts


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
