"""A case's contribution moves between buckets as its facts change, and the sums of the buckets
give the figures the fold over the facts gives."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from complaints.domain.case import Case
from complaints.readmodels.scorecards.buckets import (
    NO_DEPARTMENT,
    STORED_COUNTS,
    Contribution,
    Deltas,
    Sums,
    contribution,
    fingerprint,
)
from complaints.readmodels.scorecards.facts import CaseFacts, facts_of_filing
from complaints.readmodels.scorecards.figures import (
    Tally,
    histogram_median,
    histogram_percentile,
    median,
    percentile,
)
from complaints.readmodels.scorecards.queries import _ranges, _whole_days
from complaints.timelimits.calendar import WorkingCalendar
from complaints.timelimits.schedules import Schedule
from tests.unit.test_scorecard_figures import CITY, assigned, at, by, due, facts_of, filed

CALENDAR = WorkingCalendar()
PRINT = fingerprint(CALENDAR)


class Buckets:
    """Buckets and histograms in memory, moved by deltas as a store moves them."""

    def __init__(self) -> None:
        self.rows: dict = defaultdict(lambda: [0] * len(STORED_COUNTS))
        self.replies: Counter = Counter()
        self.counted: dict[str, Contribution] = {}
        self.events: dict = defaultdict(list)

    def record(self, case: Case) -> None:
        """The case's facts as they stand now, its old contribution taken out."""
        self.events[case.id] += case.collect_events()
        facts = fold(self.events[case.id])
        after = contribution(facts, CALENDAR, PRINT)
        deltas = Deltas.of([(self.counted.get(facts.case_id), after)])
        for key, row in deltas.bucket_rows():
            self.rows[key] = [old + new for old, new in zip(self.rows[key], row, strict=True)]
        for key, n in deltas.histogram_rows():
            self.replies[key] += n
        self.counted[facts.case_id] = after

    def by_department(self) -> dict[str | None, dict]:
        sums: dict[str | None, Sums] = defaultdict(Sums)
        for key, row in self.rows.items():
            sums[key.department or None].add_bucket(key.category, key.channel, row)
        for (_, department, unit, days), n in self.replies.items():
            sums[department or None].add_replies(unit, days, n)
        return {code: part.figures() for code, part in sums.items() if part.counts["received"]}


def fold(events: list) -> CaseFacts:
    facts = facts_of_filing(str(events[0].originator_id), events[0])
    for event in events[1:]:
        facts.apply(type(event).__name__, event)
    return CaseFacts.from_json(facts.to_json())


def folded(buckets: Buckets) -> dict[str | None, dict]:
    """The reference: the fold over the facts every recorded case has now."""
    tallies: dict[str | None, Tally] = defaultdict(lambda: Tally(CALENDAR))
    for events in buckets.events.values():
        facts = fold(events)
        tallies[facts.department].add(facts)
    return {code: tally.figures() for code, tally in tallies.items()}


def test_a_case_that_moves_department_leaves_nothing_in_its_old_bucket():
    buckets = Buckets()
    moving, staying = assigned("HY-2026-000001", lead="TAX"), assigned("HY-2026-000002")
    buckets.record(moving)
    buckets.record(staying)
    moving.transfer(by("handler", at(4, 2)), "CUSTOMS", "海关事项", due(at(4, 24, 23)))
    buckets.record(moving)
    moving.respond(by("handler", at(4, 9)), "resolved", "已办结", [])
    buckets.record(moving)

    assert buckets.by_department() == folded(buckets)
    assert buckets.by_department()["TAX"]["received"] == 1
    assert buckets.by_department()["CUSTOMS"]["replies"] == 1
    assert buckets.by_department()["CUSTOMS"]["time_to_reply_median"] == 4.0  # 2 → 9 April


def test_a_case_reopened_after_being_counted_takes_back_its_outcome_and_is_open_again():
    buckets = Buckets()
    case = assigned()
    case.respond(by("handler", at(4, 3)), "resolved", "已办结", [])
    case.rate(by("filer", at(4, 4)), 5, "", "web")
    buckets.record(case)
    assert buckets.by_department()["TAX"]["outcome_resolved"] == 1

    case.reopen(by("supervisor", at(4, 6)), "复查", due(at(4, 27, 23)))
    buckets.record(case)
    reopened = buckets.by_department()

    assert reopened == folded(buckets)
    assert (reopened["TAX"]["outcome_resolved"], reopened["TAX"]["open_cases"]) == (0, 1)
    assert (reopened["TAX"]["reopened_cases"], reopened["TAX"]["reopen_rate"]) == (1, 1.0)


def test_a_breach_after_being_counted_adds_to_the_case_bucket_only():
    buckets = Buckets()
    late, other = assigned("HY-2026-000001", reply_due=at(4, 3, 23)), assigned("HY-2026-000002")
    buckets.record(late)
    buckets.record(other)
    late.breach_deadline(by("system", at(4, 4, 1)))
    buckets.record(late)
    late.respond(by("handler", at(4, 10)), "resolved", "已办结", [])
    buckets.record(late)

    result = buckets.by_department()
    assert result == folded(buckets)
    assert (result["TAX"]["breaches"], result["TAX"]["breaches_reply"]) == (1, 1)
    assert (result["TAX"]["replies"], result["TAX"]["replied_on_time"]) == (1, 0)


def test_a_case_never_assigned_is_counted_under_no_department():
    buckets = Buckets()
    case = filed()
    buckets.record(case)
    case.refer(by("intake", at(4, 1, 11)), "not ours", "12315")
    buckets.record(case)

    assert buckets.by_department() == folded(buckets)
    assert {key.department for key in buckets.rows} == {NO_DEPARTMENT}


def test_a_contribution_recorded_again_unchanged_moves_nothing():
    case = assigned()
    counted = contribution(facts_of(case), CALENDAR, PRINT)

    deltas = Deltas.of([(counted, counted)])

    assert (deltas.bucket_rows(), deltas.histogram_rows()) == ([], [])


def test_medians_and_percentiles_of_a_histogram_are_those_of_its_values():
    rng = random.Random(12)
    for size in [*range(1, 40), 100, 1001]:
        values = [rng.randint(-2, 30) for _ in range(size)]
        histogram = Counter(values)
        assert histogram_median(histogram) == median(values), values
        assert histogram_percentile(histogram, 90) == percentile(values, 90), values
    assert histogram_median(Counter({3: 1, 4: 1})) == 3.5
    assert histogram_median(Counter({3: 0})) is None


def test_a_calendar_is_named_by_its_schedules():
    loaded = WorkingCalendar([Schedule.parse({
        "year": 2026, "source": "test", "holidays": {"2026-04-08": "测试"}, "workdays": {}})])

    assert fingerprint(WorkingCalendar()) == PRINT
    assert fingerprint(loaded) != PRINT


def test_a_period_is_whole_city_days_and_the_parts_of_days_at_its_ends():
    def moment(day: int, hour: int = 0) -> datetime:
        return datetime(2026, 4, day, hour, tzinfo=CITY)

    assert _whole_days(moment(1), moment(8)) == ((date(2026, 4, 1), date(2026, 4, 8)), [])
    assert _whole_days(moment(1, 9), moment(8, 9)) == (
        (date(2026, 4, 2), date(2026, 4, 8)),
        [(moment(1, 9), moment(2)), (moment(8), moment(8, 9))],
    )
    assert _whole_days(moment(1, 9), moment(2, 8)) == (None, [(moment(1, 9), moment(2, 8))])
    assert _whole_days(moment(1), moment(1)) == (None, [])
    utc = datetime(2026, 4, 1, tzinfo=UTC)  # 08:00 in the city
    assert _whole_days(utc, utc + timedelta(days=2)) == (
        (date(2026, 4, 2), date(2026, 4, 3)), [(utc, moment(2)), (moment(3), moment(3, 8))])


def test_whole_months_and_weeks_are_read_from_their_own_buckets():
    assert _ranges("department", date(2023, 7, 15), date(2023, 9, 10)) == [
        ("day", date(2023, 7, 15), date(2023, 8, 1)),
        ("month", date(2023, 8, 1), date(2023, 9, 1)),
        ("day", date(2023, 9, 1), date(2023, 9, 10)),
    ]
    assert _ranges("department", date(2021, 1, 1), date(2026, 1, 1)) == [
        ("month", date(2021, 1, 1), date(2026, 1, 1))]
    assert _ranges("department", date(2023, 8, 2), date(2023, 8, 31)) == [
        ("day", date(2023, 8, 2), date(2023, 8, 31))]
    # 2023-08-03 is a Thursday, 2023-08-28 a Monday.
    assert _ranges("week", date(2023, 8, 3), date(2023, 8, 30)) == [
        ("day", date(2023, 8, 3), date(2023, 8, 7)),
        ("week", date(2023, 8, 7), date(2023, 8, 28)),
        ("day", date(2023, 8, 28), date(2023, 8, 30)),
    ]
