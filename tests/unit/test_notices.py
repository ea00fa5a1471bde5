"""What the filer was told reads as one entry per notice, naming the channels it reached,
whether the notice was recorded once (now) or once per channel (before)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints.domain.case import Case
from complaints.domain.errors import CaseRuleError
from tests.unit.case_builder import T0, filed_case, reached, stamp, told_per_channel

WHOLE = "您的投诉已受理\n\n我们已受理您的投诉。"


def channels_of(message: dict) -> list[str]:
    return [each["channel"] for each in message["channels"]]


def replayed_from(events: list) -> Case:
    """The case as read back from its events."""
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    return rebuilt


def replayed(case: Case) -> Case:
    return replayed_from(case.collect_events())


def test_a_notice_on_two_channels_is_one_event_and_one_message_naming_both():
    case = filed_case()
    case.record_filer_notified(stamp("system"), "notice-1", "accepted", WHOLE, [
        reached("inbox", "n-inbox"), reached("email", "n-email", "<m1>", T0 + timedelta(1))])
    events = case.collect_events()
    assert [type(event).__name__ for event in events] == ["Filed", "FilerNotified"]
    [message] = replayed_from(events).messages
    assert channels_of(message) == ["inbox", "email"]
    assert message["positions"] == [2]
    assert (message["text"], message["sent_at"]) == (WHOLE, T0)


def test_per_channel_events_of_one_notice_read_as_one_message():
    case = filed_case()
    told_per_channel(case, "n-1", "inbox", "accepted", WHOLE)
    told_per_channel(case, "n-2", "email", "accepted", WHOLE, T0 + timedelta(seconds=3))
    [message] = replayed(case).messages
    assert channels_of(message) == ["inbox", "email"]
    assert message["positions"] == [2, 3]
    assert message["sent_at"] == T0


def test_interleaved_per_channel_events_of_two_notices_of_one_template_stay_apart():
    case = filed_case()
    first, second = "进展一\n\n材料已收到。", "进展二\n\n已约谈窗口。"
    told_per_channel(case, "a-inbox", "inbox", "public_update", first)
    told_per_channel(case, "b-inbox", "inbox", "public_update", second)
    told_per_channel(case, "b-email", "email", "public_update", second)
    told_per_channel(case, "a-email", "email", "public_update", first)
    messages = replayed(case).messages
    assert [(m["text"], channels_of(m), m["positions"]) for m in messages] == [
        (first, ["inbox", "email"], [2, 5]), (second, ["inbox", "email"], [3, 4])]


def test_an_sms_fallback_joins_its_notice_and_the_whole_text_is_kept():
    case = filed_case()
    told_per_channel(case, "n-1", "sms", "closed", "案件已办结")
    told_per_channel(case, "n-2", "inbox", "closed", WHOLE)
    [message] = replayed(case).messages
    assert channels_of(message) == ["sms", "inbox"]
    assert message["text"] == WHOLE


def test_the_same_template_sent_again_later_is_a_second_message():
    case = filed_case()
    told_per_channel(case, "n-1", "inbox", "assigned", WHOLE)
    told_per_channel(case, "n-2", "email", "assigned", WHOLE)
    told_per_channel(case, "n-3", "inbox", "assigned", WHOLE)
    assert [channels_of(m) for m in replayed(case).messages] == [["inbox", "email"], ["inbox"]]


def test_a_notice_leaves_out_a_channel_recorded_on_its_own_and_refuses_nothing_new():
    case = filed_case()
    told_per_channel(case, "n-inbox", "inbox", "filed", WHOLE)
    case.record_filer_notified(stamp("system"), "notice-1", "filed", WHOLE, [
        reached("inbox", "n-inbox"), reached("email", "n-email", "<m1>")])
    [message] = case.messages
    assert channels_of(message) == ["inbox", "email"]
    assert message["positions"] == [2, 3]
    for again in ("notice-1", "notice-2"):
        with pytest.raises(CaseRuleError) as refused:
            case.record_filer_notified(stamp("system"), again, "filed", WHOLE, [
                reached("inbox", "n-inbox"), reached("email", "n-email", "<m1>")])
        assert refused.value.rule == "receipt_recorded"
    assert case.was_told("notice-1") and case.was_told("n-email")
