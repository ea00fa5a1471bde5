"""The clock of a stage: due times recorded, paused, extended, warned, breached, recomputed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints.domain.case import Case
from complaints.domain.deadline import DueTime
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Stage, Stamp
from tests.unit.case_builder import T0, filed_case, stamp

DUE = DueTime(datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC), False, 1)
REPLY_DUE = DueTime(datetime(2026, 3, 23, 15, 59, 59, tzinfo=UTC), False, 15)


def at(moment: datetime, role: str = "system") -> Stamp:
    return Stamp(actor_id=role, actor_role=role, occurred_at=moment)


def assigned() -> Case:
    case = filed_case(due_at=DUE.at, due_provisional=False, due_working_days=1)
    case.accept(stamp(), "TAX", [])
    case.assign(stamp(minutes=5), "TAX", [], REPLY_DUE)
    return case


def event_names(case: Case) -> list[str]:
    return [type(event).__name__ for event in case.collect_events()]


def test_filing_starts_the_accept_clock_and_assignment_the_reply_clock():
    case = filed_case(due_at=DUE.at, due_provisional=True, due_working_days=1)
    assert (case.deadline.stage, case.due_at, case.deadline.provisional) == (
        Stage.ACCEPT, DUE.at, True)
    assert case.deadline_department is None  # the intake desk answers for the accept stage
    case.accept(stamp(), "TAX", [])
    case.assign(stamp(minutes=5), "TAX", [], REPLY_DUE)
    assert (case.deadline.stage, case.due_at, case.deadline.working_days) == (
        Stage.REPLY, REPLY_DUE.at, 15)
    assert case.deadline.started_at == T0 + timedelta(minutes=5)
    assert case.deadline_department == "TAX"


def test_a_reply_stops_the_clock_and_an_upheld_review_starts_the_rectification_clock():
    case = assigned()
    case.respond(stamp("handler"), "resolved", "done", [])
    assert case.deadline is None
    case.rate(stamp("filer"), 1, "no", "web")
    rectify_by = DueTime(REPLY_DUE.at + timedelta(days=20), False, 15)
    case.conclude_review(stamp("supervisor"), True, "we were slow", rectify_by)
    assert (case.deadline.stage, case.due_at) == (Stage.RECTIFY, rectify_by.at)
    visit_by = DueTime(rectify_by.at + timedelta(days=3), False, 3)
    case.rectify(stamp("handler"), ["faster"], visit_by)
    assert (case.deadline.stage, case.due_at) == (Stage.RETURN_VISIT, visit_by.at)
    case.follow_up(stamp("handler"), "phone", True, "")
    assert case.deadline is None


def test_a_re_check_that_does_not_uphold_starts_no_clock():
    case = assigned()
    case.respond(stamp("handler"), "resolved", "done", [])
    case.rate(stamp("filer"), 2, "no", "web")
    case.conclude_review(stamp("supervisor"), False, "handled well", REPLY_DUE)
    assert case.deadline is None


def test_waiting_for_the_filer_pauses_the_clock_and_the_answer_moves_the_due_time():
    case = assigned()
    case.request_information(stamp("handler", minutes=60), ["the invoice"])
    assert not case.deadline.running
    assert not case.deadline.passed_by(REPLY_DUE.at + timedelta(days=30))
    moved = DueTime(REPLY_DUE.at + timedelta(days=4), False, 17)
    case.supply_information(stamp("filer", minutes=3000), "attached", [], moved)
    assert case.deadline.running and case.due_at == moved.at
    assert case.deadline.working_days == 17


def test_a_clock_that_passed_before_it_paused_stays_breached():
    case = assigned()
    case.request_information(at(REPLY_DUE.at + timedelta(hours=2), "handler"), ["more"])
    case.breach_deadline(at(REPLY_DUE.at + timedelta(seconds=1)))
    assert case.deadline.breached


def test_one_extension_per_stage_of_at_most_the_limit():
    case = assigned()
    later = DueTime(REPLY_DUE.at + timedelta(days=7), False, 20)
    with pytest.raises(CaseRuleError) as too_long:
        case.extend_deadline(stamp("supervisor"), Stage.REPLY, 16, "why", later, most=15)
    assert too_long.value.rule == "extension_too_long"
    with pytest.raises(CaseRuleError) as wrong_stage:
        case.extend_deadline(stamp("supervisor"), Stage.RECTIFY, 5, "why", later, most=15)
    assert wrong_stage.value.rule == "deadline_stage_mismatch"
    case.extend_deadline(stamp("supervisor"), Stage.REPLY, 5, "an expert opinion", later, most=15)
    assert (case.due_at, case.deadline.extended) == (later.at, True)
    with pytest.raises(CaseRuleError) as twice:
        case.extend_deadline(stamp("supervisor"), Stage.REPLY, 1, "again", later, most=15)
    assert twice.value.rule == "one_extension_per_stage"


def test_a_new_stage_may_be_extended_again():
    case = assigned()
    later = DueTime(REPLY_DUE.at + timedelta(days=7), False, 20)
    case.extend_deadline(stamp("supervisor"), Stage.REPLY, 5, "expert", later, most=15)
    case.transfer(stamp("handler"), "CUSTOMS", "a customs matter", REPLY_DUE)
    assert not case.deadline.extended
    case.extend_deadline(stamp("supervisor"), Stage.REPLY, 5, "expert", later, most=15)


def test_a_breach_is_recorded_once_with_its_escalation_and_only_after_the_due_time():
    case = assigned()
    with pytest.raises(CaseRuleError) as early:
        case.breach_deadline(at(REPLY_DUE.at))
    assert early.value.rule == "deadline_not_passed"
    case.collect_events()
    case.breach_deadline(at(REPLY_DUE.at + timedelta(seconds=1)))
    assert event_names(case) == ["DeadlineBreached", "Escalated"]
    assert (case.deadline.breached, case.escalations) == (True, 1)
    with pytest.raises(CaseRuleError) as twice:
        case.breach_deadline(at(REPLY_DUE.at + timedelta(days=1)))
    assert twice.value.rule == "deadline_breached"


def test_a_warning_is_given_once_per_stage():
    case = assigned()
    case.warn_deadline(at(REPLY_DUE.at - timedelta(days=1)))
    with pytest.raises(CaseRuleError) as twice:
        case.warn_deadline(at(REPLY_DUE.at - timedelta(hours=1)))
    assert twice.value.rule == "deadline_warned"
    case.transfer(stamp("handler"), "CUSTOMS", "a customs matter", REPLY_DUE)
    case.warn_deadline(at(REPLY_DUE.at - timedelta(hours=1)))


def test_only_a_provisional_due_time_is_recomputed():
    case = assigned()
    official = DueTime(REPLY_DUE.at + timedelta(days=2), False, 15)
    with pytest.raises(CaseRuleError) as not_provisional:
        case.recompute_deadline(stamp("system"), official, "schedule loaded")
    assert not_provisional.value.rule == "deadline_not_provisional"
    case.transfer(stamp("handler"), "CUSTOMS", "customs", DueTime(REPLY_DUE.at, True, 15))
    case.collect_events()
    case.recompute_deadline(stamp("system"), official, "schedule loaded")
    (recomputed,) = case.collect_events()
    assert (recomputed.previous_due_at, recomputed.due_at) == (REPLY_DUE.at, official.at)
    assert (case.due_at, case.deadline.provisional) == (official.at, False)


def test_reopening_starts_the_stage_it_returns_to():
    case = assigned()
    case.respond(stamp("handler"), "resolved", "done", [])
    case.close(stamp())
    assert case.reopening_stage is Stage.REPLY
    case.reopen(stamp("filer"), "not done", REPLY_DUE)
    assert (case.deadline.stage, case.due_at) == (Stage.REPLY, REPLY_DUE.at)


def test_no_clock_no_deadline_commands():
    case = assigned()
    case.respond(stamp("handler"), "resolved", "done", [])
    for command in (
        lambda: case.warn_deadline(stamp("system")),
        lambda: case.breach_deadline(stamp("system")),
        lambda: case.extend_deadline(stamp("supervisor"), Stage.REPLY, 1, "x", REPLY_DUE, most=15),
    ):
        with pytest.raises(CaseRuleError) as refused:
            command()
        assert refused.value.rule == "no_running_deadline"
