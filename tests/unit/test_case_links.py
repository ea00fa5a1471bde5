"""Links and duplicates on the aggregate: each rule, each undoing, and the duplicate's answer."""

from __future__ import annotations

import pytest

from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.values import Status
from complaints.streaming.mapping import integration_event
from complaints.timelimits.deadlines import Deadlines
from shared.contract import case_events as wire
from tests.unit.case_builder import filed_case, stamp

OTHER = "HY-2026-000002"


def test_a_link_is_recorded_once_and_undone_with_its_reason():
    case = filed_case()
    case.link_related(stamp(), OTHER)

    with pytest.raises(CaseRuleError, match="already"):
        case.link_related(stamp(), OTHER)
    case.unlink_related(stamp(), OTHER, "another matter")

    assert case.related == []
    with pytest.raises(CaseRuleError) as refused:
        case.unlink_related(stamp(), OTHER, "again")
    assert refused.value.rule == "not_linked"
    assert [type(e).__name__ for e in case.collect_events()][-2:] == [
        "LinkedAsRelated", "RelatedLinkUndone"]


def test_a_case_is_never_linked_to_itself():
    case = filed_case()
    for attempt in (lambda: case.link_related(stamp(), case.reference),
                    lambda: case.mark_duplicate(stamp(), case.reference, "x"),
                    lambda: case.attach_duplicate(stamp(), case.reference)):
        with pytest.raises(CaseRuleError) as refused:
            attempt()
        assert refused.value.rule == "other_case_required"


def test_a_duplicate_takes_the_primarys_reply_as_its_own_once():
    duplicate = filed_case()
    duplicate.mark_duplicate(stamp(), OTHER, "repeat call")
    assert duplicate.answerable_through_primary

    duplicate.answer_through_primary(stamp("handler"), OTHER, "resolved", "已解决。", ["退款"])

    assert duplicate.status == Status.RESPONDED
    assert duplicate.reply["through_primary"] == OTHER
    assert duplicate.deadline is None
    assert not duplicate.answerable_through_primary
    with pytest.raises(CaseStateError):
        duplicate.answer_through_primary(stamp(), OTHER, "resolved", "again", [])
    with pytest.raises(CaseStateError):
        duplicate.mark_duplicate(stamp(), "HY-2026-000003", "after the reply")


def test_only_the_primary_it_duplicates_answers_it_and_an_undone_mark_takes_no_answer():
    duplicate = filed_case()
    duplicate.mark_duplicate(stamp(), OTHER, "x")
    with pytest.raises(CaseRuleError):
        duplicate.answer_through_primary(stamp(), "HY-2026-000003", "resolved", "no", [])

    duplicate.undo_duplicate(stamp(), "a different matter")

    assert duplicate.duplicate_of is None
    with pytest.raises(CaseRuleError) as refused:
        duplicate.answer_through_primary(stamp(), OTHER, "resolved", "no", [])
    assert refused.value.rule == "not_duplicate"


def test_a_primary_is_never_a_duplicate_and_a_duplicate_never_a_primary():
    primary, duplicate = filed_case(), filed_case(reference="HY-2026-000009")
    primary.attach_duplicate(stamp(), "HY-2026-000009")
    duplicate.mark_duplicate(stamp(), OTHER, "x")

    with pytest.raises(CaseRuleError) as as_duplicate:
        primary.mark_duplicate(stamp(), "HY-2026-000005", "x")
    with pytest.raises(CaseRuleError) as as_primary:
        duplicate.attach_duplicate(stamp(), "HY-2026-000006")

    assert as_duplicate.value.rule == as_primary.value.rule == "primary_not_duplicate"
    primary.detach_duplicate(stamp(), "HY-2026-000009")
    assert primary.duplicates == []


def test_the_duplicates_answer_goes_on_the_wire_as_its_reply():
    duplicate = filed_case()
    duplicate.mark_duplicate(stamp(), OTHER, "x")
    duplicate.answer_through_primary(stamp("handler"), OTHER, "explained", "已说明。", [])
    event = duplicate.collect_events()[-1]

    mapped = integration_event(event, duplicate, "s" * 32, Deadlines.load())

    assert mapped is not None and mapped[0] == wire.RESPONDED
    assert mapped[1]["reply"] == "已说明。" and mapped[1]["outcome"] == "explained"
