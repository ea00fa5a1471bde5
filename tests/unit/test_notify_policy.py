"""The policy table: who is told of what, through which channel, in which language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notify.application.directory import MAILBOXES_FILE, Directory
from notify.domain.policy import Channel, Notice, fallback_for, plan_notices
from tests.unit.test_notify_envelopes import case_event, filer

ROUTING_FILE = Path(__file__).resolve().parents[2] / "services/complaints/data/routing.json"
DIRECTORY = Directory.load()
FILER_ONLY = ["case.filed", "case.referred", "case.information_requested", "case.public_update",
              "case.responded", "case.review_concluded", "case.rectified", "case.followed_up",
              "case.reopened", "case.closed"]


def told(event_type: str, **options) -> list[tuple[str, str, str]]:
    envelope = case_event(event_type, **options)
    notices = plan_notices(event_type, str(envelope.case_id), envelope.data, DIRECTORY)
    return [(notice.recipient, notice.channel.value, notice.template) for notice in notices]


@pytest.mark.parametrize("event_type", FILER_ONLY)
def test_filer_facing_events_tell_the_filer_in_the_inbox_first_then_by_email(event_type):
    template = event_type.removeprefix("case.")

    assert told(event_type) == [("filer", "inbox", template), ("filer", "email", template)]


def test_assignment_tells_the_filer_the_lead_and_every_co_handler():
    assert told("case.assigned", lead="TAX", co=["CUSTOMS", "COMMERCE"]) == [
        ("filer", "inbox", "assigned"),
        ("filer", "email", "assigned"),
        ("department:TAX", "email", "department_assigned"),
        ("department:CUSTOMS", "email", "department_co_assigned"),
        ("department:COMMERCE", "email", "department_co_assigned"),
    ]


def test_a_transfer_tells_the_filer_and_the_receiving_department():
    assert told("case.transferred", to="CUSTOMS")[2:] == [
        ("department:CUSTOMS", "email", "department_transferred")
    ]
    assert [who for who, _, _ in told("case.transferred", to=None)] == ["filer", "filer"]


def test_a_bad_review_tells_the_supervisor_and_the_lead_department_not_the_filer():
    assert told("case.rated", score=2, bad=True) == [
        ("supervisor", "email", "bad_review"),
        ("department:TAX", "email", "bad_review"),
    ]
    assert told("case.rated", score=4, bad=False) == []


@pytest.mark.parametrize(
    "event_type", ["case.accepted", "case.information_supplied", "case.rating_invalidated"]
)
def test_events_nobody_needs_to_hear_about_tell_nobody(event_type):
    assert told(event_type) == []


def test_the_filer_is_reached_where_they_chose_and_always_in_the_inbox():
    details = filer(notify_by=["sms", "webhook"], webhook_url="https://hooks.example/huiyin")

    assert [channel for _, channel, _ in told("case.filed", filer_details=details)] == [
        "inbox", "sms", "webhook"
    ]


@pytest.mark.parametrize(
    ("details", "channels"),
    [
        (filer(notify_by=[]), ["inbox", "email"]),
        (filer(notify_by=[], email=None), ["inbox", "sms"]),
        (filer(notify_by=[], email=None, phone=None), ["inbox"]),
        (filer(notify_by=["webhook"], webhook_url=None), ["inbox", "email"]),
        (filer(notify_by=["sms"], phone=None), ["inbox", "email"]),
    ],
)
def test_without_a_usable_choice_email_then_sms_is_the_default(details, channels):
    assert [channel for _, channel, _ in told("case.filed", filer_details=details)] == channels


def test_filers_read_their_language_and_departments_read_chinese():
    envelope = case_event("case.assigned", language="en")
    notices = plan_notices("case.assigned", str(envelope.case_id), envelope.data, DIRECTORY)

    assert {n.recipient: n.language for n in notices} == {
        "filer": "en", "department:TAX": "zh", "department:CUSTOMS": "zh"
    }


def test_the_inbox_is_addressed_by_case_and_email_to_the_filers_address():
    envelope = case_event("case.filed")
    notices = plan_notices("case.filed", str(envelope.case_id), envelope.data, DIRECTORY)

    assert [n.address for n in notices] == [str(envelope.case_id),
                                            "anna.petrova@amur-export.example"]


def test_failed_email_to_the_filer_falls_back_to_sms_when_a_phone_is_known():
    case = case_event("case.filed").data["case"]
    email = Notice("filer", Channel.EMAIL, "a@b.example", "filed", "ru")

    assert fallback_for(email, case) == Notice("filer", Channel.SMS, "+7 914 555 0101",
                                               "filed", "ru")


def test_there_is_no_fallback_without_a_phone_after_sms_or_webhook_or_for_departments():
    case = case_event("case.filed").data["case"]
    no_phone = case_event("case.filed", filer_details=filer(phone=None)).data["case"]

    assert fallback_for(Notice("filer", Channel.EMAIL, "a@b.example", "filed", "ru"),
                        no_phone) is None
    assert fallback_for(Notice("filer", Channel.SMS, "+7", "filed", "ru"), case) is None
    assert fallback_for(Notice("filer", Channel.WEBHOOK, "https://h", "filed", "ru"),
                        case) is None
    assert fallback_for(Notice("department:TAX", Channel.EMAIL, "tax@huiyin.example",
                               "bad_review", "zh"), case) is None


def test_every_department_of_the_routing_table_has_a_mailbox_at_huiyin_example():
    departments = json.loads(ROUTING_FILE.read_text(encoding="utf-8"))["departments"]
    mailboxes = json.loads(MAILBOXES_FILE.read_text(encoding="utf-8"))

    assert set(mailboxes["departments"]) == set(departments)
    addresses = [DIRECTORY.department(code) for code in departments] + [DIRECTORY.supervisor]
    assert all(address.endswith("@huiyin.example") for address in addresses)
    assert len(set(addresses)) == len(addresses)
