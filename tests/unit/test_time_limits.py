"""The time limit of each stage: DESIGN §4's defaults, per-category overrides, clear errors."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from complaints.application.routing import RoutingTable
from complaints.domain.values import Stage
from complaints.timelimits.calendar import Due, WorkingCalendar
from complaints.timelimits.limits import TimeLimits, TimeLimitsError
from shared.locale import CITY_TIME

CATEGORIES = tuple(RoutingTable.load().categories)
DEFAULTS = {"accept": 1, "reply": 15, "rectify": 15, "return_visit": 3}


def limits_of(**fields) -> dict:
    return {"default": dict(DEFAULTS), "max_extension": 15, "overrides": {}, **fields}


def test_the_shipped_limits_are_design_s_defaults_for_every_category():
    limits = TimeLimits.load(categories=CATEGORIES)

    for category in CATEGORIES:
        assert limits.working_days(category, Stage.ACCEPT) == 1
        assert limits.working_days(category, Stage.REPLY) == 15
        assert limits.working_days(category, Stage.RECTIFY) == 15
        assert limits.working_days(category, Stage.RETURN_VISIT) == 3
    assert limits.max_extension == 15


def test_the_stages_are_the_keys_of_the_limits_file():
    assert [stage.value for stage in Stage] == list(DEFAULTS)


def test_an_override_changes_only_its_stages_of_its_category():
    limits = TimeLimits.parse(
        limits_of(overrides={"tax": {"note": "a rule of the tax bureau", "reply": 10}}),
        CATEGORIES,
    )

    assert limits.working_days("tax", Stage.REPLY) == 10
    assert limits.working_days("tax", Stage.RETURN_VISIT) == 3
    assert limits.working_days("land", Stage.REPLY) == 15


def test_a_stage_may_be_named_by_its_value():
    limits = TimeLimits.load()

    assert limits.working_days("tax", "return_visit") == 3
    with pytest.raises(ValueError, match="'appeal' is not a valid Stage"):
        limits.working_days("tax", "appeal")


def test_without_a_list_of_categories_any_override_is_taken_as_written():
    limits = TimeLimits.parse(limits_of(overrides={"new_category": {"note": "n", "accept": 2}}))

    assert limits.working_days("new_category", Stage.ACCEPT) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"default": {**DEFAULTS, "appeal": 5}}, "default: unknown stage(s) appeal"),
        ({"default": {"accept": 1, "reply": 15}}, "missing stage(s) rectify, return_visit"),
        ({"default": {**DEFAULTS, "reply": 0}}, "default.reply must be a positive whole number"),
        ({"default": {**DEFAULTS, "reply": -3}}, "not -3"),
        ({"default": {**DEFAULTS, "reply": "15"}}, "not '15'"),
        ({"default": {**DEFAULTS, "reply": 1.5}}, "not 1.5"),
        ({"default": {**DEFAULTS, "accept": True}}, "default.accept must be a positive"),
        ({"default": None}, "default must map stages to working days"),
        ({"max_extension": 0}, "max_extension must be a positive whole number of days, not 0"),
        ({"extension": 15}, "unknown field(s) extension"),
        ({"overrides": {"taxes": {"note": "n", "reply": 10}}}, "unknown categories: taxes"),
        ({"overrides": {"tax": {"reply": 10}}}, "overrides.tax needs a note"),
        ({"overrides": {"tax": {"note": "n"}}}, "overrides.tax changes no stage"),
        ({"overrides": {"tax": {"note": "n", "reply": 0}}}, "overrides.tax.reply must be"),
        ({"overrides": {"tax": {"note": "n", "visit": 2}}}, "overrides.tax: unknown stage(s)"),
        ({"overrides": ["tax"]}, "overrides must map category codes to limits"),
    ],
)
def test_malformed_limits_are_refused_with_a_clear_message(fields, message):
    with pytest.raises(TimeLimitsError) as raised:
        TimeLimits.parse(limits_of(**fields), CATEGORIES)

    assert message in str(raised.value)


def test_a_file_that_is_not_json_is_named_in_the_error(tmp_path):
    path = tmp_path / "time_limits.json"
    path.write_text('{"default": ', "utf-8")

    with pytest.raises(TimeLimitsError, match=r"time_limits\.json: not valid JSON"):
        TimeLimits.load(path)


def test_a_file_s_errors_name_the_file(tmp_path):
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(limits_of(max_extension=-1)), "utf-8")

    with pytest.raises(TimeLimitsError, match=r"limits\.json: max_extension must be"):
        TimeLimits.load(path)


def test_the_limits_walked_on_the_calendar_give_exact_due_times():
    limits, calendar = TimeLimits.load(), WorkingCalendar()
    assigned = datetime(2025, 9, 30, 15, 0, tzinfo=CITY_TIME)
    rectified = datetime(2026, 2, 13, 11, 0, tzinfo=CITY_TIME)

    reply = calendar.add_working_days(assigned, limits.working_days("tax", Stage.REPLY))
    visit = calendar.add_working_days(rectified, limits.working_days("tax", Stage.RETURN_VISIT))

    assert reply == Due(datetime(2025, 10, 28, 23, 59, 59, tzinfo=CITY_TIME), provisional=False)
    assert visit == Due(datetime(2026, 2, 25, 23, 59, 59, tzinfo=CITY_TIME), provisional=False)
