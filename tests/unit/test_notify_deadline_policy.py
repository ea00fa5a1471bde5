"""Who is told of deadlines, escalations and historical events, and in which language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notify.application.directory import Directory
from notify.domain.policy import POLICY, plan_notices
from tests.unit.test_notify_envelopes import FILED_AT, case_event

DIRECTORY = Directory.load()


def told(event_type: str, **options) -> list[tuple[str, str, str, str, str]]:
    """(recipient, channel, address, template, language) of every notice the event calls for."""
    envelope = case_event(event_type, **options)
    notices = plan_notices(event_type, str(envelope.case_id), envelope.data, DIRECTORY)
    return [(n.recipient, n.channel.value, n.address, n.template, n.language) for n in notices]


def filer_told(template: str, language: str) -> list[tuple[str, str, str, str]]:
    return [("filer", "inbox", template, language), ("filer", "email", template, language)]


def without_address(notices: list[tuple]) -> list[tuple]:
    return [(who, channel, template, language) for who, channel, _, template, language in notices]


@pytest.mark.parametrize("event_type", ["case.deadline_approaching", "case.deadline_breached"])
def test_a_deadline_warning_or_breach_tells_the_department_that_answers_in_chinese(event_type):
    template = event_type.removeprefix("case.")

    assert told(event_type, department="CUSTOMS", language="en") == [
        ("department:CUSTOMS", "email", "customs@huiyin.example", template, "zh")
    ]


@pytest.mark.parametrize("event_type", ["case.deadline_approaching", "case.deadline_breached"])
def test_while_intake_answers_for_the_stage_the_intake_desk_is_told(event_type):
    template = event_type.removeprefix("case.")

    assert told(event_type, stage="accept", department=None) == [
        ("intake", "email", "intake@huiyin.example", template, "zh")
    ]


def test_an_escalation_tells_the_supervisor_and_the_department_not_the_filer():
    assert told("case.escalated", department="HOUSING") == [
        ("supervisor", "email", "supervision@huiyin.example", "escalated", "zh"),
        ("department:HOUSING", "email", "housing@huiyin.example", "department_escalated", "zh"),
    ]


def test_an_escalation_at_the_intake_stage_tells_the_supervisor_and_the_intake_desk():
    assert [who for who, *_ in told("case.escalated", stage="accept", department=None)] == [
        "supervisor", "intake"
    ]


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
def test_an_extended_reply_deadline_tells_the_filer_in_their_language_and_the_lead(language):
    assert without_address(told("case.deadline_extended", stage="reply", language=language)) == [
        *filer_told("deadline_extended", language),
        ("department:TAX", "email", "department_deadline_extended", "zh"),
    ]


@pytest.mark.parametrize("stage", ["rectify", "return_visit"])
def test_an_extension_of_a_stage_the_filer_was_promised_no_date_for_tells_the_lead_only(stage):
    assert without_address(told("case.deadline_extended", stage=stage)) == [
        ("department:TAX", "email", "department_deadline_extended", "zh")
    ]


def test_an_extension_of_the_intake_stage_tells_the_intake_desk_only():
    assert without_address(told("case.deadline_extended", stage="accept")) == [
        ("intake", "email", "department_deadline_extended", "zh")
    ]


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
def test_a_recomputed_reply_date_that_moved_tells_the_filer_in_their_language(language):
    moved = told("case.deadline_recomputed", language=language,
                 previous_due_at=FILED_AT + timedelta(days=22),
                 due_at=FILED_AT + timedelta(days=24))

    assert without_address(moved) == filer_told("deadline_recomputed", language)


def test_a_recomputed_reply_deadline_on_the_same_city_day_tells_nobody():
    # 23:00 and 08:00 the next morning UTC are the same day in the city (07:00 and 16:00).
    previous = FILED_AT.replace(hour=23) - timedelta(days=1)

    assert told("case.deadline_recomputed", previous_due_at=previous,
                due_at=FILED_AT.replace(hour=8)) == []


@pytest.mark.parametrize("stage", ["accept", "rectify", "return_visit"])
def test_a_recomputed_deadline_of_another_stage_tells_nobody(stage):
    assert told("case.deadline_recomputed", stage=stage,
                previous_due_at=FILED_AT, due_at=FILED_AT + timedelta(days=3)) == []


@pytest.mark.parametrize("event_type", sorted(POLICY))
def test_a_historical_event_tells_nobody(event_type):
    options = {"bad": True} if event_type == "case.rated" else {}

    assert told(event_type, **options) != []
    assert told(event_type, historical=True, **options) == []


def test_the_intake_desk_has_its_own_mailbox_beside_the_supervisor_and_departments():
    departments = {DIRECTORY.department(code) for code in DIRECTORY.departments}

    assert DIRECTORY.intake == "intake@huiyin.example"
    assert DIRECTORY.intake not in departments | {DIRECTORY.supervisor}
    assert (DIRECTORY.intake_label("zh"), DIRECTORY.intake_label("ru")) == (
        "投诉受理中心", "Служба приёма обращений")
