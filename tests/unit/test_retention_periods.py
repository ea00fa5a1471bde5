"""Retention periods: data like the time limits, checked when loaded, counted from closing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from complaints.application.routing import RoutingTable
from complaints.retention.periods import Period, RetentionError, RetentionPeriods

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


def test_the_packaged_periods_load_against_the_routing_table():
    periods = RetentionPeriods.load(categories=RoutingTable.load().categories)

    assert periods.default == Period(3, "years")
    assert periods.period("tax") == periods.default


def test_a_category_keeps_its_own_period_and_the_others_the_default():
    periods = RetentionPeriods.parse({
        "default": {"years": 3},
        "overrides": {"tax": {"days": 30, "note": "the tax bureau's rule"}},
    }, categories={"tax", "land"})

    default, own = periods.cutoffs(NOW)
    assert default == datetime(2027, 6, 15, 12, 0, tzinfo=UTC)
    assert own == {"tax": datetime(2030, 5, 16, 12, 0, tzinfo=UTC)}
    assert periods.expired("tax", datetime(2030, 5, 16, 11, 59, tzinfo=UTC), NOW)
    assert not periods.expired("tax", datetime(2030, 5, 16, 12, 0, tzinfo=UTC), NOW)
    assert not periods.expired("land", datetime(2030, 5, 16, 11, 59, tzinfo=UTC), NOW)
    assert periods.expired("land", datetime(2027, 6, 15, 11, 0, tzinfo=UTC), NOW)


def test_years_are_the_calendars_a_leap_day_counts_to_the_28th():
    leap_day = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)

    assert Period(1, "years").cutoff(leap_day) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    assert Period(4, "years").cutoff(leap_day) == datetime(2024, 2, 29, 9, 0, tzinfo=UTC)
    assert (str(Period(1, "years")), str(Period(30, "days"))) == ("1 year", "30 days")


@pytest.mark.parametrize(("raw", "said"), [
    ([], "a JSON object"),
    ({"default": {"years": 3}, "keep": 1}, "unknown field(s) keep"),
    ({}, "default must be a period"),
    ({"default": {"years": 0}}, "default.years must be a whole number from 1 to 100"),
    ({"default": {"years": 1.5}}, "default.years must be a whole number"),
    ({"default": {"days": True}}, "default.days must be a whole number"),
    ({"default": {"years": 3, "days": 2}}, "exactly one of years or days"),
    ({"default": {"months": 3}}, "exactly one of years or days, not months"),
    ({"default": {"years": 3}, "overrides": {"tax": {"days": 30}}},
     "overrides.tax needs a note"),
    ({"default": {"years": 3}, "overrides": {"nowhere": {"days": 3, "note": "x"}}},
     "unknown categories: nowhere"),
    ({"default": {"years": 3}, "overrides": ["tax"]}, "overrides must map"),
])
def test_malformed_periods_are_refused_naming_the_place(raw, said):
    with pytest.raises(RetentionError, match=re.escape(said)):
        RetentionPeriods.parse(raw, categories={"tax"})


def test_a_file_that_cannot_be_read_or_parsed_is_named(tmp_path):
    missing, broken = tmp_path / "missing.json", tmp_path / "broken.json"
    broken.write_text("{", "utf-8")

    with pytest.raises(RetentionError, match=r"missing\.json: cannot be read"):
        RetentionPeriods.load(missing)
    with pytest.raises(RetentionError, match=r"broken\.json: not valid JSON"):
        RetentionPeriods.load(broken)


def test_an_operators_file_replaces_the_packaged_one(tmp_path):
    path = tmp_path / "retention.json"
    path.write_text(json.dumps({"default": {"days": 400}}), "utf-8")

    assert RetentionPeriods.load(path).default == Period(400, "days")
