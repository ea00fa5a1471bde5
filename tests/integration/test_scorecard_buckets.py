"""The pre-aggregated scorecards give exactly the figures of folding every case's facts.

The reference is the fold the scorecards used before they were pre-aggregated: every case of
the period loaded and counted by `Tally` (kept as the definition of each figure, and as the
engine of the cases behind a figure). Each test compares it with the buckets on each store,
for many periods, every department and the total.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import Tracking

from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.readmodels.scorecards import ScorecardProjection, Scorecards
from complaints.readmodels.scorecards.buckets import Recount, StaleCalendar, fingerprint
from complaints.readmodels.scorecards.facts import CaseFacts
from complaints.readmodels.scorecards.figures import RATES, Tally, is_count
from complaints.timelimits.calendar import WorkingCalendar
from complaints.timelimits.schedules import Schedule
from complaints.web.runtime import SCORECARDS
from tests.fixtures.samples import CFPB_SAMPLE

CITY = ZoneInfo("Asia/Shanghai")
SUPERVISOR = Principal("supervisor-1", Role.SUPERVISOR)
INTAKE = Principal("intake-1", Role.INTAKE)


def city(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
         second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=CITY)


def handler(department: str) -> Principal:
    return Principal(f"handler-{department}", Role.HANDLER, department=department)


# Day-aligned periods (dates are the start of that day in the city) and periods whose ends
# cut through a day, around the sample's filings at 09:00 in the city.
PERIODS = [
    *((date(2023, 8, day), date(2023, 8, day) + timedelta(days=1)) for day in range(1, 32)),
    (date(2023, 8, 1), date(2023, 9, 1)),
    (date(2023, 7, 15), date(2023, 9, 10)),
    (date(2023, 1, 1), date(2024, 1, 1)),
    (date(2021, 1, 1), date(2026, 1, 1)),
    (date(2000, 1, 1), date(2030, 1, 1)),
    (date(2023, 8, 10), date(2023, 8, 10)),
    (city(2023, 8, 3, 8, 30), city(2023, 8, 17, 9, 30)),
    (city(2023, 8, 10, 8), city(2023, 8, 10, 10)),
    (city(2023, 8, 10, 9), city(2023, 8, 11, 9)),
    (city(2023, 8, 5, 23, 59, 59, 999_999), city(2023, 8, 7, 0, 0, 0, 1)),
    (datetime(2023, 8, 1, tzinfo=UTC), datetime(2023, 9, 1, tzinfo=UTC)),
    (city(2021, 1, 1, 12), city(2026, 1, 1, 6)),
    (city(2022, 12, 31, 9, 0, 0, 1), city(2023, 12, 31, 8, 59)),
]
WEEK_PERIODS = [
    (date(2023, 8, 1), date(2023, 9, 1)),
    (date(2023, 8, 7), date(2023, 8, 14)),
    (city(2023, 8, 3, 8, 30), city(2023, 8, 29, 15)),
    (date(2021, 1, 1), date(2026, 1, 1)),
]


@pytest.fixture
def scorecards(app) -> Scorecards:
    return app.extensions[SCORECARDS]


@pytest.fixture
def complaints(runtime):
    return runtime.services.complaints


@pytest.fixture
def sample_history(complaints, scorecards):
    """The CFPB sample imported and counted, then its cases moved after being counted: rated
    and reopened, given a bad review, invalidated, transferred, breached."""
    import_file(complaints, CFPB_SAMPLE, load_mapping(shipped_mapping("cfpb-2023"),
                                                      complaints.routing))
    projection = ScorecardProjection(complaints, scorecards)
    projection.catch_up()
    every = sorted(scorecards.recorder.between(city(2000, 1, 1), city(2030, 1, 1)),
                   key=lambda facts: facts.reference)
    waiting = [facts for facts in every if facts.department and not facts.replied_rounds]
    assert len(waiting) > 60
    for number, facts in enumerate(waiting[:48]):
        case_id, later = UUID(facts.case_id), facts.filed_at + timedelta(days=20)
        complaints.respond(handler(facts.department), case_id, "explained", "已答复",
                           occurred_at=facts.filed_at + timedelta(days=1 + number % 13))
        score = 4 + number % 8 // 4 if number % 4 == 0 else 1 + number % 5
        complaints.rate_case(INTAKE, case_id, score, occurred_at=later)
        if number % 4 == 0:
            complaints.reopen_case(SUPERVISOR, case_id, "复查", occurred_at=later)
            complaints.respond(handler(facts.department), case_id, "resolved", "已办结",
                               occurred_at=later + timedelta(days=3 + number % 7))
        elif number % 4 == 1:
            complaints.invalidate_rating(SUPERVISOR, case_id, "malicious", "辱骂",
                                         occurred_at=later)
        elif number % 4 == 2 and number % 5 <= 1:
            complaints.conclude_review(SUPERVISOR, case_id, True, "属实", occurred_at=later)
    waiting = waiting[48:]
    departments = sorted(complaints.routing.departments)
    for number, facts in enumerate(waiting[:10]):
        case_id = UUID(facts.case_id)
        if number % 2:
            other = next(code for code in departments if code != facts.department)
            complaints.transfer_case(handler(facts.department), case_id, other, "不属本部门",
                                     occurred_at=facts.filed_at + timedelta(days=2))
        else:
            complaints.watch_deadline(case_id)
    projection.catch_up()
    return every


def folded(scorecards: Scorecards, start, end) -> tuple[dict[str, dict], dict]:
    """The reference: each department's figures and the total, folded from every case."""
    calendar = scorecards.calendar()
    start, end = _moment(start), _moment(end)
    tallies: dict[str | None, Tally] = defaultdict(lambda: Tally(calendar))
    for facts in scorecards.recorder.between(start, end):
        tallies[facts.department].add(facts)
    total = Tally(calendar)
    for tally in tallies.values():
        total.merge(tally)
    return ({code: complete(scorecards, tally) for code, tally in tallies.items() if code},
            complete(scorecards, total))


def complete(scorecards: Scorecards, tally: Tally) -> dict:
    """A tally's figures as a scorecard gives them: each category of the catalogue's, with 0
    for one no case came in."""
    figures = tally.figures()
    return {code: figures.get(code, 0) for code in scorecards.codes.figures}


def folded_weeks(scorecards: Scorecards, start, end, department) -> dict[date, dict]:
    calendar = scorecards.calendar()
    tallies: dict[date, Tally] = defaultdict(lambda: Tally(calendar))
    for facts in scorecards.recorder.between(_moment(start), _moment(end), department):
        day = facts.filed_at.astimezone(CITY).date()
        tallies[day - timedelta(days=day.weekday())].add(facts)
    return {monday: complete(scorecards, tally) for monday, tally in tallies.items()}


def assert_same_as_folded(scorecards: Scorecards, departments: list[str]) -> None:
    for start, end in PERIODS:
        by_department, total = folded(scorecards, start, end)
        report = scorecards.scorecard(start, end)
        assert {card.department: card.figures for card in report.departments} == by_department
        assert [card.department for card in report.departments] == sorted(by_department)
        assert report.total.figures == total, (start, end)
        empty = complete(scorecards, Tally(scorecards.calendar()))
        for code in departments:
            (card,) = scorecards.scorecard(start, end, code).departments
            assert card.figures == by_department.get(code, empty), (start, end, code)
    for start, end in WEEK_PERIODS:
        for code in (None, *departments):
            expected = folded_weeks(scorecards, start, end, code)
            weeks = scorecards.weekly(start, end, code)
            empty = complete(scorecards, Tally(scorecards.calendar()))
            assert {_monday(week.starts): week.figures for week in weeks} == {
                _monday(week.starts): expected.get(_monday(week.starts), empty) for week in weeks}
            assert sum(week.figures["received"] for week in weeks) == sum(
                figures["received"] for figures in expected.values())


def test_every_figure_is_the_folds_for_every_period_and_department(
    scorecards, complaints, sample_history
):
    departments = sorted(complaints.routing.departments)
    assert_same_as_folded(scorecards, departments)
    # And the sample is not trivial: the figures that can move did.
    total = scorecards.scorecard(date(2000, 1, 1), date(2030, 1, 1)).total.figures
    assert total["received"] == len(sample_history)
    for name in ("reopened_cases", "ratings_malicious", "bad_reviews_upheld", "breaches",
                 "rated_good", "rated_bad"):
        assert total[name] > 0, name
    assert total["time_to_reply_median"] is not None


def test_the_cases_behind_agree_with_the_figures(scorecards, complaints, sample_history):
    for start, end in [(date(2023, 8, 1), date(2023, 9, 1)),
                       (city(2023, 8, 3, 8, 30), city(2023, 8, 17, 9, 30))]:
        report = scorecards.scorecard(start, end)
        for card in [*report.departments, report.total]:
            for figure in scorecards.codes.figures:
                behind = scorecards.cases_behind(figure, start, end, card.department)
                if is_count(figure):
                    expected = card.figures[figure]
                elif figure in RATES:
                    expected = sum(card.figures[name] for name in RATES[figure][0])
                else:  # a time: the replies whose time is recorded
                    expected = (card.figures["replies"]
                                - card.figures["replies_time_not_recorded"])
                assert len(behind) == expected, (card.department, figure)


def test_a_rebuild_sums_the_buckets_the_increments_left(scorecards, complaints, sample_history):
    period = (date(2021, 1, 1), date(2026, 1, 1))
    incremental = scorecards.scorecard(*period), scorecards.weekly(*period)

    ScorecardProjection(complaints, scorecards).rebuild()

    assert (scorecards.scorecard(*period), scorecards.weekly(*period)) == incremental


def test_a_new_calendar_is_counted_exactly_before_and_after_its_recount(
    app, complaints, sample_history
):
    current = {"calendar": WorkingCalendar()}
    scorecards = Scorecards(app.extensions[SCORECARDS].recorder, complaints.recorder,
                            lambda: current["calendar"])
    projection = ScorecardProjection(complaints, scorecards)
    projection.catch_up()
    # The timed replies are the staff's (the CFPB's have no recorded time): the earliest
    # references, filed in June and July.
    period = (date(2023, 6, 1), date(2023, 9, 1))
    before = scorecards.scorecard(*period).total.figures
    # An operator loads a 2023 schedule that makes June to August a holiday.
    current["calendar"] = WorkingCalendar([Schedule.parse({
        "year": 2023, "source": "test",
        "holidays": {(date(2023, 6, 1) + timedelta(days=n)).isoformat(): "测试假期"
                     for n in range(92)},
        "workdays": {},
    })])

    # Not yet recounted: every figure folded on the new calendar, none from stale buckets.
    assert scorecards.recorder.calendar_counted() != fingerprint(current["calendar"])
    assert_same_as_folded(scorecards, sorted(complaints.routing.departments))
    after = scorecards.scorecard(*period).total.figures
    assert after["time_to_reply_p90"] != before["time_to_reply_p90"] or (
        after["time_to_reply_median"] != before["time_to_reply_median"])

    # The projection recounts before its next batch, even with nothing pending.
    assert projection.process(projection.pending()) == 0
    assert scorecards.recorder.calendar_counted() == fingerprint(current["calendar"])
    assert_same_as_folded(scorecards, sorted(complaints.routing.departments))
    assert scorecards.scorecard(*period).total.figures == after


class _WritingMeanwhile(Recount):
    """A recount during which another connection commits a write, as the application does
    while the projections process recounts (a filing, say), as the recount reads its first
    facts; it remembers what that write met."""

    def __init__(self, calendar, print_, path) -> None:
        super().__init__(calendar, print_)
        self.path, self.other_write = path, None

    def add(self, facts) -> None:
        if self.other_write is None:
            other = sqlite3.connect(self.path, timeout=0.2, isolation_level=None)
            try:
                other.execute("CREATE TABLE IF NOT EXISTS meanwhile (n integer)")
                self.other_write = "committed"
            except sqlite3.OperationalError as error:
                self.other_write = str(error)
            finally:
                other.close()
        super().add(facts)


# SQLite alone: a transaction that reads first takes a snapshot, and SQLite refuses it the
# write lock at once ("database is locked", no waiting) if another write committed since.
@pytest.mark.parametrize("store", ["sqlite"])
def test_a_recount_takes_the_write_lock_before_it_reads_on_sqlite(
    app, settings, complaints, sample_history, store
):
    scorecards = app.extensions[SCORECARDS]
    period = (date(2021, 1, 1), date(2026, 1, 1))
    counted = scorecards.scorecard(*period), scorecards.weekly(*period)
    calendar = scorecards.calendar()
    recount = _WritingMeanwhile(calendar, fingerprint(calendar), str(settings.sqlite_path))

    assert scorecards.recorder.recount(recount) == len(sample_history)

    # The other write waited for the recount, rather than the recount failing after it.
    assert recount.other_write == "database is locked"
    assert (scorecards.scorecard(*period), scorecards.weekly(*period)) == counted


def test_changes_counted_on_another_calendar_are_refused(app, complaints, sample_history):
    scorecards = app.extensions[SCORECARDS]
    projection = ScorecardProjection(complaints, scorecards)
    facts: CaseFacts = next(
        facts for facts in sorted(scorecards.recorder.between(city(2000, 1, 1), city(2030, 1, 1)),
                                  key=lambda facts: facts.reference)
        if facts.outcome and not facts.closed)
    complaints.close_case(SUPERVISOR, UUID(facts.case_id), occurred_at=facts.filed_at
                          + timedelta(days=40))
    batch = projection.pending()
    changes = projection.changes(batch)
    stale = [type(change)(change.facts, change.before,
                          type(change.after)(change.after.key, change.after.counts,
                                             change.after.reply_days, "another calendar"))
             for change in changes]
    with pytest.raises(StaleCalendar):
        scorecards.recorder.apply(stale, Tracking(complaints.name, batch.notifications[-1].id),
                                  after=batch.after)
    assert scorecards.lag().tracked == batch.after
    assert projection.process(batch) == len(batch.notifications)
    assert_same_as_folded(scorecards, sorted(complaints.routing.departments))


def _moment(value):
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=CITY)


def _monday(moment: datetime) -> date:
    day = moment.astimezone(CITY).date()
    return day - timedelta(days=day.weekday())


def test_the_cases_behind_come_in_pages_of_the_whole_list(scorecards, sample_history):
    for start, end in [(date(2023, 8, 1), date(2023, 9, 1)),
                       (city(2023, 8, 3, 8, 30), city(2023, 8, 17, 9, 30))]:
        for department in (None, "FINSVC"):
            for figure in ("received", "replies", "satisfaction_rate", "time_to_reply_p90",
                           "breaches", "open_cases"):
                whole = scorecards.cases_behind(figure, start, end, department)
                pages = [scorecards.cases_behind_page(figure, start, end, department,
                                                      offset=offset, limit=70)
                         for offset in range(0, len(whole) + 70, 70)]
                assert {total for total, _ in pages} == {len(whole)}
                assert [entry for _, page in pages for entry in page] == whole
                assert scorecards.cases_behind_page(
                    figure, start, end, department, offset=5, limit=3)[1] == whole[5:8]
