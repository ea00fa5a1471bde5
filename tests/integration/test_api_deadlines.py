"""Deadlines through the API: the case's clock, the supervisor's extension, time left in queues."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from complaints.timelimits.watchdog import Watchdog
from shared.locale import CITY_TIME

FILED = datetime(2026, 3, 2, 9, 0, tzinfo=CITY_TIME)  # Monday


@pytest.fixture
def traveller():
    with time_machine.travel(FILED, tick=False) as machine:
        yield machine


@pytest.fixture
def assigned_case(traveller, filer, staff):
    intake = staff.login("intake")
    case = filer.file_case()
    intake.act(case.reference, "accept")
    reply = intake.act(case.reference, "assign")
    assert reply.status_code == 200, reply.json
    return case


def extend(session, reference, **body):
    return session.act(reference, "deadline/extension",
                       {"stage": "reply", "working_days": 5, "reason": "专家论证", **body})


def test_the_case_view_shows_its_clock(assigned_case, staff):
    view = staff.login("supervisor").view(assigned_case.reference).json
    assert view["deadline"] == {
        "stage": "reply",
        "started_at": "2026-03-02T01:00:00+00:00",
        "due_at": "2026-03-23T23:59:59+08:00",
        "provisional": False,
        "working_days": 15,
        "extended": False,
        "warned": False,
        "breached": False,
        "paused": False,
    }
    assert view["due_at"] == view["deadline"]["due_at"]


def test_a_supervisor_extends_the_reply_stage_once(assigned_case, staff, assert_error):
    supervisor = staff.login("supervisor")
    reply = extend(supervisor, assigned_case.reference)
    assert reply.status_code == 200, reply.json
    assert reply.json["deadline"]["due_at"] == "2026-03-30T23:59:59+08:00"
    assert reply.json["deadline"]["extended"] is True
    again = extend(supervisor, assigned_case.reference, working_days=1)
    assert_error(again, 409, "rule_violated")
    assert again.json["details"]["rule"] == "one_extension_per_stage"
    history = supervisor.history(assigned_case.reference).json["events"]
    assert history[-1]["type"] == "DeadlineExtended"
    assert history[-1]["data"]["reason"] == "专家论证"


@pytest.mark.parametrize(
    ("body", "status", "rule"),
    [
        ({"working_days": 16}, 409, "extension_too_long"),
        ({"stage": "rectify"}, 409, "deadline_stage_mismatch"),
    ],
)
def test_an_extension_the_rules_refuse_writes_nothing(
    assigned_case, staff, assert_error, body, status, rule
):
    supervisor = staff.login("supervisor")
    before = supervisor.view(assigned_case.reference).json["version"]
    reply = extend(supervisor, assigned_case.reference, **body)
    assert_error(reply, status, "rule_violated")
    assert reply.json["details"]["rule"] == rule
    assert supervisor.view(assigned_case.reference).json["version"] == before


@pytest.mark.parametrize(
    "body",
    [{"stage": "lunch"}, {"working_days": 0}, {"working_days": "5"}, {"reason": ""},
     {"extra": 1}],
)
def test_an_extension_badly_asked_for_is_refused_with_its_field(
    assigned_case, staff, assert_error, body
):
    reply = extend(staff.login("supervisor"), assigned_case.reference, **body)
    assert_error(reply, 422, "invalid_input")


@pytest.mark.parametrize("who", ["handler-TAX", "intake", "auditor"])
def test_only_a_supervisor_extends(assigned_case, staff, assert_error, who):
    assert_error(extend(staff.login(who), assigned_case.reference), 403, "forbidden")


def test_a_filer_may_not_extend(assigned_case, filer, assert_error):
    assert_error(extend(filer.sign_in(assigned_case), assigned_case.reference), 403, "forbidden")


def test_no_clock_no_extension(assigned_case, staff, assert_error):
    staff.login("handler-TAX").act(
        assigned_case.reference, "responses", {"outcome": "resolved", "reply": "已退税"})
    reply = extend(staff.login("supervisor"), assigned_case.reference)
    assert_error(reply, 409, "rule_violated")
    assert reply.json["details"]["rule"] == "no_running_deadline"


def test_the_queue_shows_time_left_in_working_days_and_what_is_overdue(
    traveller, filer, staff, event_store
):
    intake = staff.login("intake")
    early = filer.file_case(subject="早些的案件")
    late = filer.file_case(subject="晚些的案件")
    for case in (early, late):
        intake.act(case.reference, "accept")
    intake.act(early.reference, "assign")
    traveller.move_to(datetime(2026, 3, 4, 9, 0, tzinfo=CITY_TIME))
    intake = staff.login("intake")
    intake.act(late.reference, "assign")
    staff.register("handler-TAX")
    event_store.catch_up()

    traveller.move_to(datetime(2026, 3, 23, 10, 0, tzinfo=CITY_TIME))
    rows = staff.login("handler-TAX").get("/api/v1/queues/TAX").json["items"]
    assert [(r["reference"], r["working_days_left"], r["overdue"]) for r in rows] == [
        (early.reference, 0, False),  # due at the end of today
        (late.reference, 2, False),  # due Wed Mar 25
    ]
    assert all(r["deadline_stage"] == "reply" and not r["due_provisional"] for r in rows)

    traveller.move_to(datetime(2026, 3, 24, 10, 0, tzinfo=CITY_TIME))
    rows = staff.login("handler-TAX").get("/api/v1/queues/TAX").json["items"]
    assert [(r["working_days_left"], r["overdue"]) for r in rows] == [(-1, True), (1, False)]


def test_a_breached_stage_extended_into_the_future_is_not_overdue_until_its_new_due_time(
    traveller, assigned_case, staff, event_store, runtime
):
    traveller.move_to(datetime(2026, 3, 24, 10, 0, tzinfo=CITY_TIME))  # due Mar 23: passed
    event_store.catch_up()
    assert Watchdog(runtime.services.complaints, runtime.case_index).sweep()["breached"] == 1
    extend(staff.login("supervisor"), assigned_case.reference)  # Mar 23 + 5 → Mon Mar 30
    staff.register("handler-TAX")
    event_store.catch_up()

    def row() -> dict:
        (only,) = staff.login("handler-TAX").get("/api/v1/queues/TAX").json["items"]
        return only

    assert (row()["deadline_state"], row()["working_days_left"], row()["overdue"]) == (
        "breached", 4, False)
    traveller.move_to(datetime(2026, 3, 31, 10, 0, tzinfo=CITY_TIME))
    assert (row()["working_days_left"], row()["overdue"]) == (-1, True)
