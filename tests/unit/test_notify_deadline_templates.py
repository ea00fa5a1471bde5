"""Deadline messages in zh, en and ru, and due times marked provisional exactly when they are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notify.application import wording
from notify.application.directory import Directory
from notify.application.messages import MessageRenderer, RenderedMessage
from notify.domain.policy import Channel, Notice, plan_notices
from tests.unit.test_notify_envelopes import case_event

RENDERER = MessageRenderer(Directory.load(), "https://huiyin.example")
# A due time early in a year whose official holidays were not yet published when it was set.
NEXT_YEAR_DUE = datetime(2027, 1, 8, 1, 30, tzinfo=UTC)
NOTE = {
    "zh": "（暂定：2027年法定节假日安排尚未公布）",
    "en": "(provisional: the official holiday schedule for 2027 is not published yet)",
    "ru": "(предварительно: официальный график праздничных дней на 2027 год ещё не опубликован)",
}
SMS_MARK = {"zh": "（暂定）", "en": "(provisional)", "ru": "(срок предварительный)"}
# event type, its filer template, the flag saying its due time is provisional, that due time
PROVISIONAL_DUE_TIMES = [
    ("case.filed", "filed", "provisional", "expected_reply_by"),
    ("case.assigned", "assigned", "due_provisional", "due_at"),
    ("case.transferred", "transferred", "due_provisional", "due_at"),
    ("case.deadline_extended", "deadline_extended", "due_provisional", "due_at"),
    ("case.deadline_recomputed", "deadline_recomputed", "due_provisional", "due_at"),
]
# The transfer's short text names the new department, not the date.
SMS_WITH_DATE = {"filed", "assigned", "deadline_extended", "deadline_recomputed"}


def to_filer(event_type: str, template: str, language: str, **data) -> RenderedMessage:
    envelope = case_event(event_type, language=language, **data)
    notice = Notice("filer", Channel.EMAIL, "anna@example.ru", template, language)
    return RENDERER.render(notice, envelope.data)


def to_staff(event_type: str, **data) -> dict[str, RenderedMessage]:
    """Every staff message the event calls for, by recipient."""
    envelope = case_event(event_type, **data)
    notices = plan_notices(event_type, str(envelope.case_id), envelope.data, RENDERER.directory)
    return {n.recipient: RENDERER.render(n, envelope.data) for n in notices if not n.filer_facing}


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
@pytest.mark.parametrize(("event_type", "template", "flag", "due"), PROVISIONAL_DUE_TIMES)
def test_a_provisional_due_time_is_called_provisional_and_says_why(
    event_type, template, flag, due, language
):
    message = to_filer(event_type, template, language, **{flag: True, due: NEXT_YEAR_DUE})

    assert NOTE[language] in message.body
    assert wording.format_date(NEXT_YEAR_DUE, language) + {"zh": "前", "en": "", "ru": ""}[
        language] in message.body
    if template in SMS_WITH_DATE:
        assert SMS_MARK[language] in message.sms


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
@pytest.mark.parametrize(("event_type", "template", "flag", "due"), PROVISIONAL_DUE_TIMES)
def test_a_due_time_on_the_official_calendar_is_not_called_provisional(
    event_type, template, flag, due, language
):
    message = to_filer(event_type, template, language, **{flag: False, due: NEXT_YEAR_DUE})

    for text in (message.subject, message.body, message.sms):
        assert {"zh": "暂定", "en": "provisional", "ru": "предварительн"}[language] not in text
    assert wording.format_date(NEXT_YEAR_DUE, language) in message.body


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
@pytest.mark.parametrize(("event_type", "template", "flag", "due"), PROVISIONAL_DUE_TIMES)
def test_the_provisional_note_changes_nothing_else_in_the_body(
    event_type, template, flag, due, language
):
    provisional, official = (
        to_filer(event_type, template, language, **{flag: value, due: NEXT_YEAR_DUE})
        for value in (True, False)
    )
    spaced = NOTE[language] if language == "zh" else f" {NOTE[language]}"

    # After a Russian "г." the note takes a full stop of its own, which goes with it.
    assert provisional.body.replace(spaced, "").replace("г..", "г.") == official.body


@pytest.mark.parametrize("provisional", [True, False])
@pytest.mark.parametrize(("event_type", "template", "flag", "due"), PROVISIONAL_DUE_TIMES)
def test_russian_dates_ending_in_g_never_take_a_second_full_stop(
    event_type, template, flag, due, provisional
):
    message = to_filer(event_type, template, "ru", **{flag: provisional})

    for text in (message.subject, message.body, message.sms):
        assert "г.." not in text and " ." not in text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh", ["答复时限延长10个工作日", "新的答复时限：2026年4月6日前",
                "延期原因：Требуется заключение таможни"]),
        ("en", ["extended by 10 working days", "New reply date: 6 April 2026",
                "Reason for the extension: Требуется заключение таможни"]),
        ("ru", ["продлён на 10 рабочих дней", "Новый срок ответа: не позднее 6 апреля 2026 г.",
                "Причина продления: Требуется заключение таможни"]),
    ],
)
def test_an_extension_tells_the_filer_how_long_the_new_date_and_the_reason(language, words):
    message = to_filer("case.deadline_extended", "deadline_extended", language)

    assert all(word in message.body for word in words)
    assert "Требуется заключение таможни" in message.sms
    assert wording.format_date(datetime(2026, 4, 6, tzinfo=UTC), language) in message.sms


@pytest.mark.parametrize(
    ("language", "calendar", "before", "after"),
    [
        ("zh", "法定节假日安排已正式公布", "原答复时限：2026年3月24日前",
         "调整后答复时限：2026年3月25日前"),
        ("en", "official holiday schedule has been published", "Previous reply date: 24 March 2026",
         "New reply date: 25 March 2026"),
        ("ru", "Опубликован официальный график", "Прежний срок ответа: не позднее 24 марта 2026 г.",
         "Новый срок ответа: не позднее 25 марта 2026 г."),
    ],
)
def test_a_recomputed_reply_date_says_the_official_calendar_moved_it_from_and_to(
    language, calendar, before, after
):
    message = to_filer("case.deadline_recomputed", "deadline_recomputed", language)

    assert calendar in message.body and before in message.body and after in message.body


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 рабочий день"), (2, "2 рабочих дня"), (4, "4 рабочих дня"), (5, "5 рабочих дней"),
     (11, "11 рабочих дней"), (12, "12 рабочих дней"), (15, "15 рабочих дней"),
     (21, "21 рабочий день"), (22, "22 рабочих дня"), (111, "111 рабочих дней")],
)
def test_russian_working_days_take_the_right_plural(count, words):
    assert wording.working_days(count, "ru") == words


def test_english_and_chinese_working_days():
    assert [wording.working_days(n, "en") for n in (1, 3)] == ["1 working day", "3 working days"]
    assert wording.working_days(15, "zh") == "15个工作日"


def test_the_department_is_warned_in_chinese_of_the_stage_and_its_due_time():
    (message,) = to_staff("case.deadline_approaching", department="CUSTOMS").values()

    assert message.subject == "【临期提醒】投诉 HY-2026-000042 答复环节即将到期"
    assert message.body.startswith("海关：")
    assert "答复环节办理时限将于2026年3月23日 09:30到期" in message.body


def test_the_intake_desk_is_addressed_by_name_when_acceptance_runs_late():
    messages = to_staff("case.deadline_breached", stage="accept", department=None)

    assert list(messages) == ["intake"]
    assert messages["intake"].subject == "【超期】投诉 HY-2026-000042 受理交办环节已超过办理时限"
    assert messages["intake"].body.startswith("投诉受理中心：")


def test_an_escalation_names_the_answering_party_to_the_supervisor_and_tells_it_too():
    messages = to_staff("case.escalated", department="CUSTOMS", reason="deadline_breached")
    at_intake = to_staff("case.escalated", stage="accept", department=None, reason="受理超期")

    assert messages["supervisor"].body.startswith("营商环境建设监督局：")
    assert "责任单位：海关" in messages["supervisor"].body
    assert "督办事由：超过办理时限未办结" in messages["supervisor"].body
    assert messages["department:CUSTOMS"].subject == "【督办】投诉 HY-2026-000042 已列入督办"
    assert "督办事由：超过办理时限未办结" in messages["department:CUSTOMS"].body
    assert "责任单位：投诉受理中心" in at_intake["supervisor"].body
    assert "督办事由：受理超期" in at_intake["supervisor"].body  # a reason without a code: as is


@pytest.mark.parametrize("provisional", [True, False])
def test_the_department_is_told_of_an_extension_and_whether_its_due_time_is_provisional(
    provisional
):
    (message,) = to_staff("case.deadline_extended", stage="rectify", due_provisional=provisional,
                          due_at=NEXT_YEAR_DUE).values()

    assert message.subject == "【延期】投诉 HY-2026-000042 整改环节时限已延长"
    assert "办理时限延长10个工作日" in message.body
    assert "新的办理时限：2027年1月8日 09:30前" in message.body
    assert (NOTE["zh"] in message.body) is provisional


@pytest.mark.parametrize("provisional", [True, False])
def test_departments_assigned_or_transferred_see_a_provisional_due_time_as_such(provisional):
    assigned = to_staff("case.assigned", due_provisional=provisional, due_at=NEXT_YEAR_DUE)
    transferred = to_staff("case.transferred", due_provisional=provisional, due_at=NEXT_YEAR_DUE)

    for message in [*assigned.values(), *transferred.values()]:
        assert "答复时限：2027年1月8日 09:30前" in message.body
        assert (NOTE["zh"] in message.body) is provisional
