"""Hot issues: the heat index as documented, addresses found in text, and planted matters found
among the message board's messages (a bounded slice of `python -m tests.bench hot-issues`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints.intelligence.hot import heat, hot_issues, places_in
from tests.fixtures.planted import (
    MATTERS,
    board_rows,
    found_planted,
    planted,
    required_msgboard,
)

END = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_burst_of_many_voices_now_outweighs_the_same_long_ago_and_a_trickle():
    now = heat([1, 2, 3, 4], ["a", "b", "c", "d"], 0, 0, END - timedelta(days=4), END, 90)
    long_ago = heat([80, 81, 82, 83], ["a", "b", "c", "d"], 0, 0, END - timedelta(days=83),
                    END - timedelta(days=80), 90)
    trickle = heat([1, 30, 60, 89], ["a", "b", "c", "d"], 0, 0, END - timedelta(days=89), END,
                   90)

    assert now > trickle > long_ago
    # The half-life is a quarter of the period: 80 days at 22.5 days' half-life.
    assert long_ago == pytest.approx(now * 2 ** (-79 / 22.5), rel=0.05)


def test_repeat_complaints_count_half_and_bad_reviews_and_breaches_add():
    one_each = heat([0, 0], ["a", "b"], 0, 0, END, END, 30)
    one_twice = heat([0, 0], ["a", "a"], 0, 0, END, END, 30)
    unknown = heat([0, 0], [None, None], 0, 0, END, END, 30)
    worse = heat([0, 0], ["a", "b"], 1, 1, END, END, 30)

    assert one_twice == pytest.approx(one_each * 0.75)
    assert unknown == one_each
    assert worse == pytest.approx(one_each * 2)


def test_places_are_the_addresses_written_without_the_words_before_them():
    text = "投诉A市A3区联丰路米兰春天小区的噪音，建议A市城管到滨江路看看"

    assert places_in(text) == ["A市", "A3区", "联丰路", "米兰春天小区", "滨江路"]


def test_too_few_cases_make_no_issue():
    row = {"reference": "R1", "subject": "电梯故障", "description": "", "filed_at": END,
           "lead_department": None, "category": "utilities"}
    assert hot_issues([row, {**row, "reference": "R2"}], END, 30) == []


def test_planted_matters_are_found_pure_among_a_thousand_board_messages():
    case = planted(board_rows(required_msgboard(), limit=1_000), per_cluster=(10, 14), seed=11)

    issues = hot_issues(case.rows, case.period_end, case.period_days, limit=10)
    found, purities = found_planted(issues, case.truth)

    assert found >= 6, [issue.label for issue in issues]
    assert min(purities) >= 0.9
    assert len(MATTERS) == 8
