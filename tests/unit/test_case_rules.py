"""Given a case in some state, when a command comes, then the rule holds or is named."""

from __future__ import annotations

import itertools

import pytest

from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.values import Status
from tests.unit.case_builder import (
    assigned_case,
    badly_rated_case,
    filed_case,
    reached,
    responded_case,
    stamp,
)


def rule_of(error: pytest.ExceptionInfo[CaseRuleError]) -> str:
    return error.value.rule


@pytest.mark.parametrize(
    "build", [filed_case, assigned_case], ids=["filed", "assigned"]
)
def test_a_case_closes_only_after_a_reply_the_filer_can_see(build):
    case = build()
    with pytest.raises(CaseRuleError) as refused:
        case.close(stamp())
    assert rule_of(refused) == "reply_required"


def test_a_referred_case_may_close_because_the_referral_is_a_reply():
    case = filed_case()
    case.refer(stamp(), "not a business-environment matter", "12315 consumer hotline")
    case.close(stamp())
    assert case.status == Status.CLOSED


def test_a_bad_review_blocks_closing_until_rechecked():
    case = badly_rated_case()
    with pytest.raises(CaseRuleError) as refused:
        case.close(stamp())
    assert rule_of(refused) == "review_pending"


def test_an_upheld_bad_review_blocks_closing_until_rectified_and_visited():
    case = badly_rated_case()
    case.conclude_review(stamp("supervisor"), upheld=True, explanation="the delay was ours")
    with pytest.raises(CaseRuleError) as refused:
        case.close(stamp())
    assert rule_of(refused) == "rectification_required"
    case.rectify(stamp("handler"), ["refund paid"])
    with pytest.raises(CaseRuleError) as refused:
        case.close(stamp())
    assert rule_of(refused) == "return_visit_required"
    case.follow_up(stamp(), "phone", satisfied=True, notes="")
    case.close(stamp())
    assert case.status == Status.CLOSED


def test_a_bad_review_not_upheld_lets_the_case_close():
    case = badly_rated_case(1)
    case.conclude_review(stamp("supervisor"), upheld=False, explanation="handled correctly")
    case.close(stamp())
    assert case.status == Status.CLOSED


def test_an_invalidated_bad_review_no_longer_holds_the_case_open_but_stays_on_record():
    case = badly_rated_case()
    case.invalidate_rating(stamp("supervisor"), "malicious", "abusive language")
    case.close(stamp())
    assert case.review.score == 2 and case.review.invalidated == "malicious"


def test_a_good_review_needs_no_recheck():
    case = responded_case()
    case.rate(stamp("filer"), 4, "", "web")
    with pytest.raises(CaseRuleError) as refused:
        case.conclude_review(stamp("supervisor"), upheld=True, explanation="")
    assert rule_of(refused) == "bad_review_required"


def test_one_rating_per_round():
    case = responded_case()
    case.rate(stamp("filer"), 5, "", "web")
    with pytest.raises(CaseRuleError) as refused:
        case.rate(stamp("filer"), 1, "", "web")
    assert rule_of(refused) == "one_rating_per_round"


def test_a_reopened_case_starts_a_new_round_that_may_be_rated_again():
    case = responded_case()
    case.rate(stamp("filer"), 3, "", "web")
    case.reopen(stamp("filer"), "the refund came only in part")
    assert (case.round, case.status) == (2, Status.ASSIGNED)
    with pytest.raises(CaseStateError):
        case.rate(stamp("filer"), 3, "", "web")
    case.respond(stamp("handler"), "resolved", "剩余款项已退", [])
    case.rate(stamp("filer"), 5, "", "web")
    assert case.review.score == 5


def test_a_command_that_does_not_fit_the_state_names_the_state():
    case = filed_case()
    with pytest.raises(CaseStateError) as refused:
        case.respond(stamp("handler"), "resolved", "", [])
    assert refused.value.details["state"] == "filed"
    assert "assigned" in refused.value.details["allowed_states"]


def test_asking_for_information_pauses_and_supplying_it_resumes_the_same_stage():
    case = assigned_case()
    case.request_information(stamp("handler"), ["customs declaration", "contract"])
    assert case.status == Status.AWAITING_INFORMATION
    with pytest.raises(CaseStateError):
        case.respond(stamp("handler"), "resolved", "", [])
    case.supply_information(stamp("filer"), "attached", ["sha256:ab"])
    assert case.status == Status.ASSIGNED and case.requested_items == []


def test_everything_missing_is_listed_at_once_so_an_empty_request_is_refused():
    with pytest.raises(CaseRuleError) as refused:
        assigned_case().request_information(stamp("handler"), [])
    assert rule_of(refused) == "items_required"


def test_a_transfer_back_returns_the_case_to_intake_for_dispatch():
    case = assigned_case()
    case.transfer(stamp("handler"), None, "this is a customs matter", None)
    assert case.status == Status.ACCEPTED and case.lead_department is None
    case.assign(stamp(), "CUSTOMS", ["COMMERCE"], None)
    assert case.lead_department == "CUSTOMS"


def test_a_transfer_to_the_same_department_is_refused():
    with pytest.raises(CaseRuleError) as refused:
        assigned_case().transfer(stamp("handler"), "TAX", "again", None)
    assert rule_of(refused) == "transfer_to_other"


def test_a_closed_case_refuses_everything_but_reopening():
    case = responded_case()
    case.close(stamp())
    with pytest.raises(CaseStateError):
        case.close(stamp())
    with pytest.raises(CaseStateError):
        case.note_progress(stamp(), "late note", "internal")
    case.reopen(stamp("supervisor"), "new facts")
    assert case.status == Status.ASSIGNED


def test_each_event_carries_the_previous_events_hash():
    case = badly_rated_case()
    events = case.collect_events()
    assert events[0].prev_hash == ""
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert case.head_hash == events[-1].hash


def test_what_the_filer_was_told_is_recorded_once_per_notification_in_any_state():
    case = responded_case()
    case.close(stamp())
    case.record_filer_notified(stamp("system"), "n-1", "closed", "已办结",
                               [reached("email", "n-1-email", "<m1@x>")])
    with pytest.raises(CaseRuleError) as refused:
        case.record_filer_notified(stamp("system"), "n-1", "closed", "",
                                   [reached("email", "n-1-email", "<m1@x>")])
    assert rule_of(refused) == "receipt_recorded"
    assert [m["notification_id"] for m in case.messages] == ["n-1"]


def test_a_filer_no_channel_reached_is_flagged_until_a_message_gets_through():
    case = filed_case()
    case.record_filer_unreachable(stamp("system"), "n-2", "email and SMS failed")
    assert case.filer_unreachable
    case.record_filer_notified(stamp("system"), "n-3", "filed", "已受理", [reached("inbox", "n-3")])
    assert case.filer_unreachable, "the inbox is no proof the filer was reached"
    case.record_filer_notified(stamp("system"), "n-4", "filed", "已受理",
                               [reached("sms", "n-4", "id-7")])
    assert not case.filer_unreachable
