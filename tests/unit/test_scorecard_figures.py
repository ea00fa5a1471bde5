"""Given cases built by the domain's own commands, the scorecard figures count what happened."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from complaints.domain.case import Case
from complaints.domain.deadline import DueTime
from complaints.domain.values import Stage, Stamp
from complaints.readmodels.scorecards.facts import CaseFacts, facts_of_filing
from complaints.readmodels.scorecards.figures import (
    COUNTS,
    FIGURES,
    RATES,
    Tally,
    median,
    percentile,
)
from complaints.timelimits.calendar import WorkingCalendar
from tests.unit.case_builder import filed_case

CITY = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    """A moment in the city (Asia/Shanghai)."""
    return datetime(year, month, day, hour, tzinfo=CITY)


def by(role: str, moment: datetime) -> Stamp:
    return Stamp(actor_id=role, actor_role=role, occurred_at=moment)


def due(moment: datetime) -> DueTime:
    return DueTime(moment, False, 1)


def filed(reference: str = "HY-2026-000001", when: datetime | None = None,
          accept_due: datetime | None = None) -> Case:
    when = when or at(4, 1, 9)
    accept_due = accept_due or at(4, 2, 23)
    return filed_case(reference=reference, stamp=by("filer", when), due_at=accept_due,
                      due_provisional=False, due_working_days=1)


def assigned(reference: str = "HY-2026-000001", lead: str = "TAX",
             when: datetime | None = None, reply_due: datetime | None = None) -> Case:
    """Filed 1 April 09:00, accepted and assigned at `when` (1 April 10:00) with 15 days."""
    case = filed(reference)
    when = when or at(4, 1, 10)
    case.accept(by("intake", when), lead, [])
    case.assign(by("intake", when), lead, [], due(reply_due or at(4, 23, 23)))
    return case


def replied(reference: str = "HY-2026-000001", when: datetime | None = None) -> Case:
    case = assigned(reference)
    case.respond(by("handler", when or at(4, 3)), "resolved", "已办结", [])
    return case


def facts_of(case: Case) -> CaseFacts:
    """The facts the projection would fold from the case's events, through a store's JSON."""
    events = case.collect_events()
    facts = facts_of_filing(str(case.id), events[0])
    for event in events[1:]:
        facts.apply(type(event).__name__, event)
    return CaseFacts.from_json(facts.to_json())


def figures(*cases: Case) -> dict[str, int | float | None]:
    return Tally(CALENDAR).add_all(facts_of(case) for case in cases).figures()


# -- departments ------------------------------------------------------------------------------


def test_a_case_belongs_to_the_department_that_led_it_last():
    case = assigned(lead="TAX")
    case.transfer(by("handler", at(4, 2)), "CUSTOMS", "海关事项", due(at(4, 24, 23)))
    case.transfer(by("handler", at(4, 3)), None, "退回分办", due(at(4, 7, 23)))

    assert facts_of(case).department == "CUSTOMS"


def test_a_case_never_assigned_belongs_to_no_department():
    case = filed()
    case.refer(by("intake", at(4, 1, 11)), "not ours", "12315")

    assert facts_of(case).department is None


# -- the accept stage -------------------------------------------------------------------------


def test_an_accept_stage_ended_by_its_due_time_is_on_time_and_one_ended_after_is_not():
    on_time = assigned("HY-2026-000001", when=at(4, 2, 22))
    late = assigned("HY-2026-000002", when=at(4, 3, 9))
    referred = filed("HY-2026-000003")
    referred.refer(by("intake", at(4, 1, 11)), "not ours", "12315")

    result = figures(on_time, late, referred)

    assert (result["accepted"], result["accepted_on_time"]) == (3, 2)
    assert result["accepted_on_time_rate"] == round(2 / 3, 4)


def test_a_transfer_back_to_intake_starts_an_accept_stage_of_its_own():
    case = assigned()
    case.transfer(by("handler", at(4, 2)), None, "不属本部门", due(at(4, 3, 23)))
    case.assign(by("intake", at(4, 7)), "CUSTOMS", [], due(at(4, 28, 23)))

    result = figures(case)

    assert (result["accepted"], result["accepted_on_time"]) == (2, 1)


# -- the reply --------------------------------------------------------------------------------


def test_a_reply_after_the_first_due_time_but_within_an_extension_is_on_time():
    case = assigned(reply_due=at(4, 3, 23))
    case.extend_deadline(by("supervisor", at(4, 3)), Stage.REPLY, 5, "需现场核查",
                         due(at(4, 10, 23)), most=15)
    case.respond(by("handler", at(4, 9)), "resolved", "已办结", [])

    result = figures(case)

    assert (result["replies"], result["replied_on_time"], result["replied_on_time_rate"]) == (
        1, 1, 1.0)


def test_the_due_time_moved_by_the_filers_answer_is_the_one_in_force():
    case = assigned(reply_due=at(4, 3, 23))
    case.request_information(by("handler", at(4, 2)), ["发票复印件"])
    case.supply_information(by("filer", at(4, 8)), "已补充", [], due(at(4, 9, 23)))
    case.respond(by("handler", at(4, 9, 20)), "resolved", "已办结", [])

    assert figures(case)["replied_on_time"] == 1


def test_a_recomputed_due_time_replaces_the_provisional_one():
    case = filed_case(reference="HY-2026-000001", stamp=by("filer", at(4, 1, 9)),
                      due_at=at(4, 2, 23), due_provisional=False, due_working_days=1)
    case.accept(by("intake", at(4, 1, 10)), "TAX", [])
    case.assign(by("intake", at(4, 1, 10)), "TAX", [], DueTime(at(4, 8, 23), True, 4))
    case.recompute_deadline(by("system", at(4, 2)), DueTime(at(4, 9, 23), False, 4), "官方安排")
    case.respond(by("handler", at(4, 9, 12)), "resolved", "已办结", [])

    assert figures(case)["replied_on_time"] == 1


def test_a_late_reply_is_not_on_time():
    case = assigned(reply_due=at(4, 3, 23))
    case.respond(by("handler", at(4, 7, 9)), "resolved", "已办结", [])

    result = figures(case)

    assert (result["replies"], result["replied_on_time"], result["replied_on_time_rate"]) == (
        1, 0, 0.0)


def test_time_to_reply_counts_working_days_from_the_last_assignment_past_holidays():
    # 3 April 2026 is a Friday; 4 to 6 April are the Qingming holiday; 7 April is a Tuesday.
    before_the_holiday = assigned("HY-2026-000001", when=at(4, 3))
    before_the_holiday.respond(by("handler", at(4, 7)), "resolved", "已办结", [])
    transferred = assigned("HY-2026-000002", when=at(4, 1))
    transferred.transfer(by("handler", at(4, 8)), "CUSTOMS", "海关事项", due(at(4, 29, 23)))
    transferred.respond(by("handler", at(4, 10)), "resolved", "已办结", [])

    tally = Tally(CALENDAR).add_all([facts_of(before_the_holiday), facts_of(transferred)])

    assert sorted(tally.reply_days) == [1, 2]
    assert tally.figures()["time_to_reply_median"] == 1.5
    # The same replies in calendar days, counted the same way (the holiday counts too).
    assert sorted(tally.reply_calendar_days) == [2, 4]
    assert (tally.figures()["time_to_reply_calendar_median"],
            tally.figures()["time_to_reply_calendar_p90"]) == (3.0, 4.0)


def test_figures_count_when_things_happened_not_when_they_were_recorded():
    # Imported history: every event is recorded today, but happened in 2023.
    case = filed_case(reference="HY-2023-000001", stamp=by("import", at(3, 1, 9, 2023)),
                      due_at=at(3, 2, 23, 2023), due_provisional=False, due_working_days=1)
    case.accept(by("import", at(3, 2, 9, 2023)), "TAX", [])
    case.assign(by("import", at(3, 2, 9, 2023)), "TAX", [], due(at(3, 23, 23, 2023)))
    case.respond(by("import", at(3, 9, 9, 2023)), "resolved", "已办结", [])

    facts = facts_of(case)
    result = Tally(CALENDAR).add_all([facts]).figures()

    assert facts.filed_at == at(3, 1, 9, 2023)
    assert (result["accepted_on_time"], result["replied_on_time"]) == (1, 1)
    assert result["time_to_reply_median"] == 5.0


def imported_history(reference: str, outcome: str, *, reply_due: datetime | None) -> Case:
    """Filed 1 March 2023 and replied on the 30th; the acceptance undated by the source."""
    importer = Stamp("import:board", "system", at(3, 1, 9, 2023))
    case = filed_case(reference=reference, stamp=importer, due_at=None)
    case.accept(importer, "TAX", [])
    case.assign(importer, "TAX", [], due(reply_due) if reply_due else None)
    replied_at = Stamp("import:board", "system", at(3, 30, 9, 2023))
    if reply_due is not None and replied_at.occurred_at > reply_due:
        case.breach_deadline(Stamp("import:board", "system", at(3, 23, 9, 2023)))
    case.respond(replied_at, outcome, "", [])
    return case


def test_an_imported_stage_with_no_recorded_time_is_neither_on_time_nor_late():
    late = imported_history("HY-2023-000001", "resolved", reply_due=at(3, 22, 23, 2023))
    undated = imported_history("HY-2023-000002", "not_recorded", reply_due=None)

    result = Tally(CALENDAR).add_all([facts_of(late), facts_of(undated)]).figures()

    assert (result["accepted"], result["accepted_on_time"],
            result["accepted_time_not_recorded"], result["accepted_on_time_rate"]) == (
        2, 0, 2, None)
    assert (result["replies"], result["replied_on_time"], result["replies_time_not_recorded"],
            result["replied_on_time_rate"]) == (2, 0, 1, 0.0)
    # The late reply breached and escalated its stage; the undated one did neither.
    assert (result["breaches_reply"], result["escalations_reply"]) == (1, 1)
    assert result["breaches"] == result["escalations"] == 1
    assert result["time_to_reply_median"] == 21.0  # the dated reply's working days only
    assert (result["outcome_resolved"], result["outcome_not_recorded"]) == (1, 1)
    assert result["outcome_not_substantiated"] == result["outcome_explained"] == 0


def test_a_live_stage_with_no_due_time_still_counts_on_time():
    case = filed_case(stamp=by("filer", at(4, 1, 9)), due_at=None)
    case.accept(by("intake", at(4, 1, 10)), "TAX", [])
    case.assign(by("intake", at(4, 1, 10)), "TAX", [], None)

    result = Tally(CALENDAR).add_all([facts_of(case)]).figures()

    assert (result["accepted_on_time"], result["accepted_time_not_recorded"]) == (1, 0)
    assert result["accepted_on_time_rate"] == 1.0


def test_median_and_the_nearest_rank_90th_percentile():
    days = [7, 1, 3, 2, 9, 4, 5, 6, 8, 10]

    assert median(days) == 5.5
    assert percentile(days, 90) == 9.0
    assert percentile([4], 90) == 4.0
    assert (median([]), percentile([], 90)) == (None, None)


# -- ratings and the closed loop --------------------------------------------------------------


def rated(reference: str, score: int) -> Case:
    case = replied(reference)
    case.rate(by("filer", at(4, 4)), score, "", "web")
    return case


def test_ratings_count_good_neutral_and_bad_and_leave_invalidated_ones_out_by_class():
    cases = [rated(f"HY-2026-00000{n}", score) for n, score in enumerate([5, 4, 3, 2, 1, 1], 1)]
    cases[4].invalidate_rating(by("supervisor", at(4, 5)), "malicious", "辱骂")
    cases[5].invalidate_rating(by("supervisor", at(4, 5)), "invalid", "与本案无关")

    result = figures(*cases)

    assert (result["rated_good"], result["rated_neutral"], result["rated_bad"]) == (2, 1, 1)
    assert (result["ratings"], result["ratings_invalid"], result["ratings_malicious"]) == (4, 1, 1)
    assert result["satisfaction_rate"] == 0.75


def test_ratings_count_once_per_round():
    case = rated("HY-2026-000001", 2)
    case.conclude_review(by("supervisor", at(4, 6)), False, "已依法答复", None)
    case.reopen(by("supervisor", at(4, 8)), "情况有变", due(at(4, 29, 23)))
    case.respond(by("handler", at(4, 10)), "resolved", "已重新办理", [])
    case.rate(by("filer", at(4, 11)), 5, "", "web")

    tally = Tally(CALENDAR).add_all([facts_of(case)])
    result = tally.figures()

    assert (result["ratings"], result["rated_bad"], result["rated_good"]) == (2, 1, 1)
    assert [entry.round for entry in tally.behind("ratings")] == [1, 2]


def test_an_upheld_bad_review_is_rectified_on_time_or_late_and_visited():
    on_time = rated("HY-2026-000001", 1)
    on_time.conclude_review(by("supervisor", at(4, 7)), True, "属实", due(at(4, 28, 23)))
    on_time.rectify(by("handler", at(4, 20)), ["退税已到账"], due(at(4, 23, 23)))
    on_time.follow_up(by("intake", at(4, 21)), "phone", True, "")
    late = rated("HY-2026-000002", 2)
    late.conclude_review(by("supervisor", at(4, 7)), True, "属实", due(at(4, 28, 23)))
    late.rectify(by("handler", at(4, 29)), ["已整改"], due(at(5, 6, 23)))
    not_upheld = rated("HY-2026-000003", 2)
    not_upheld.conclude_review(by("supervisor", at(4, 7)), False, "不属实", None)

    result = figures(on_time, late, not_upheld)

    assert result["bad_reviews_upheld"] == 2
    assert (result["rectified"], result["rectified_on_time"]) == (2, 1)
    assert (result["return_visits"], result["return_visit_rate"]) == (1, 0.5)


def test_the_reopen_rate_counts_cases_reopened_after_a_reply_among_those_replied():
    reopened = replied("HY-2026-000001")
    reopened.reopen(by("filer", at(4, 6)), "问题未解决", due(at(4, 27, 23)))
    reopened.respond(by("handler", at(4, 8)), "resolved", "已重新办理", [])
    reopened.reopen(by("filer", at(4, 9)), "仍未解决", due(at(4, 30, 23)))
    settled = replied("HY-2026-000002")
    referral = filed("HY-2026-000003")
    referral.refer(by("intake", at(4, 1, 11)), "not ours", "12315")
    referral.reopen(by("supervisor", at(4, 2)), "应当受理", due(at(4, 3, 23)))

    result = figures(reopened, settled, referral)

    assert (result["reopened_cases"], result["replied_cases"], result["reopen_rate"]) == (
        1, 2, 0.5)
    assert result["replies"] == 3


# -- first-dispatch accuracy ------------------------------------------------------------------


def test_first_dispatch_accuracy_counts_cases_whose_first_assignment_was_final():
    direct = replied("HY-2026-000001")
    onward = assigned("HY-2026-000002", lead="TAX")
    onward.transfer(by("handler", at(4, 2)), "CUSTOMS", "海关事项", due(at(4, 24, 23)))
    bounced = assigned("HY-2026-000003", lead="TAX")
    bounced.transfer(by("handler", at(4, 2)), None, "退回分办", due(at(4, 3, 23)))
    bounced.assign(by("intake", at(4, 3)), "TAX", [], due(at(4, 24, 23)))
    never = filed("HY-2026-000004")
    never.refer(by("intake", at(4, 1, 11)), "not ours", "12315")

    tally = Tally(CALENDAR).add_all(facts_of(case) for case in (direct, onward, bounced, never))
    result = tally.figures()

    assert (result["dispatched"], result["first_dispatch_final"]) == (3, 1)
    assert result["first_dispatch_accuracy"] == round(1 / 3, 4)
    assert [entry.reference for entry in tally.behind("first_dispatch_accuracy")] == [
        "HY-2026-000001"]
    assert {entry.reference for entry in tally.behind("dispatched")} == {
        "HY-2026-000001", "HY-2026-000002", "HY-2026-000003"}


def test_a_reopening_is_no_transfer_but_a_transfer_after_it_is():
    reopened = replied("HY-2026-000001")
    reopened.reopen(by("filer", at(4, 6)), "问题未解决", due(at(4, 27, 23)))
    moved_later = replied("HY-2026-000002")
    moved_later.reopen(by("filer", at(4, 6)), "问题未解决", due(at(4, 27, 23)))
    moved_later.transfer(by("handler", at(4, 7)), "CUSTOMS", "海关事项", due(at(4, 28, 23)))

    facts = [facts_of(reopened), facts_of(moved_later)]

    assert [each.transferred for each in facts] == [False, True]
    assert Tally(CALENDAR).add_all(facts).figures()["first_dispatch_final"] == 1


def test_first_dispatch_accuracy_is_null_when_nothing_was_dispatched():
    assert figures(filed())["first_dispatch_accuracy"] is None


def test_a_duplicate_answered_by_its_primarys_reply_is_replied_to_then():
    dispatched = assigned("HY-2026-000002")
    dispatched.mark_duplicate(by("handler", at(4, 2)), "HY-2026-000001", "同一事项")
    dispatched.answer_through_primary(by("system", at(4, 8)), "HY-2026-000001", "resolved",
                                      "已办结", [])
    waiting = filed("HY-2026-000003")
    waiting.mark_duplicate(by("intake", at(4, 1, 11)), "HY-2026-000001", "同一事项")
    waiting.answer_through_primary(by("system", at(4, 8)), "HY-2026-000001", "resolved",
                                   "已办结", [])

    result = figures(dispatched, waiting)

    # The dispatched one's reply stage is done, four working days after it started (2, 3, 7
    # and 8 April: Qingming's holiday between); the one still with intake is done with its
    # accept stage, and was never dispatched.
    assert (result["replies"], result["replied_cases"], result["replied_on_time"]) == (1, 1, 1)
    assert result["time_to_reply_median"] == 4.0
    assert (result["accepted"], result["dispatched"], result["outcome_resolved"]) == (2, 1, 2)
    assert result["open_cases"] == 2  # answered, not closed


# -- breaches and escalations -----------------------------------------------------------------


def test_breaches_and_escalations_count_per_stage():
    late_accept = filed("HY-2026-000001", accept_due=at(4, 1, 12))
    late_accept.breach_deadline(by("system", at(4, 1, 13)))
    late_reply = assigned("HY-2026-000002", reply_due=at(4, 3, 23))
    late_reply.breach_deadline(by("system", at(4, 4, 1)))

    result = figures(late_accept, late_reply)

    assert (result["breaches"], result["breaches_accept"], result["breaches_reply"]) == (2, 1, 1)
    assert (result["escalations"], result["escalations_accept"],
            result["escalations_reply"]) == (2, 1, 1)
    assert result["breaches_rectify"] == result["escalations_return_visit"] == 0


# -- rates and the cases behind them ----------------------------------------------------------


def test_rates_and_times_are_null_when_nothing_was_counted_for_them():
    result = figures(filed())

    assert result["received"] == 1
    # Every rate but the one of the cases received: none of it was answered at first contact.
    assert result["answered_at_first_contact_rate"] == 0.0
    assert all(result[name] is None for name in (*RATES, "time_to_reply_median")
               if name != "answered_at_first_contact_rate")


def test_the_cases_behind_each_figure_are_as_many_as_it_counts():
    cases = [
        rated("HY-2026-000001", 1),
        rated("HY-2026-000002", 4),
        assigned("HY-2026-000003", when=at(4, 3, 9)),
        filed("HY-2026-000004", accept_due=at(4, 1, 12)),
    ]
    cases[0].conclude_review(by("supervisor", at(4, 7)), True, "属实", due(at(4, 28, 23)))
    cases[0].rectify(by("handler", at(4, 20)), ["已整改"], due(at(4, 23, 23)))
    cases[3].breach_deadline(by("system", at(4, 1, 13)))
    tally = Tally(CALENDAR).add_all(facts_of(case) for case in cases)
    values = tally.figures()

    for name in COUNTS:
        assert len(tally.behind(name)) == values[name], name
    assert [entry.reference for entry in tally.behind("replied_on_time_rate")] == [
        "HY-2026-000001", "HY-2026-000002"]
    assert len(tally.behind("satisfaction_rate")) == 1
    assert {name for name in FIGURES if values[name]} >= {"received", "rectified", "breaches"}


def test_facts_survive_the_trip_through_the_store_unchanged():
    case = rated("HY-2026-000001", 2)
    case.invalidate_rating(by("supervisor", at(4, 5)), "malicious", "辱骂")
    events = case.collect_events()
    folded = facts_of_filing(str(case.id), events[0])
    for event in events[1:]:
        folded.apply(type(event).__name__, event)

    again = CaseFacts.from_json(folded.to_json())

    assert again == folded
    assert again.filed_at.utcoffset() is not None
    assert again.runs[1].started_at == at(4, 1, 10).astimezone(UTC)
