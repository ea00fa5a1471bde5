"""A notice to the filer shows once on every page, naming the channels it reached, whether it
was recorded once (now) or once per channel (histories from before)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from complaints.application.filing import Filing
from complaints.application.service import Complaints
from complaints.web.identity import PUBLIC_FILER
from complaints.web.runtime import Runtime
from tests.fixtures.filing import filing_command
from tests.fixtures.pages import field_value, text_of
from tests.integration.filer_pages import track

PASSWORD = "correct horse battery staple"
SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORDS = "Your complaint HY is registered\n\nWe will answer within fifteen working days."


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture
def app_(runtime: Runtime) -> Complaints:
    return runtime.services.complaints


@pytest.fixture
def filing(app_: Complaints) -> Filing:
    return app_.file_case(PUBLIC_FILER, filing_command({
        "channel": "web", "category": "tax", "subject": "Export tax refund late",
        "description": "Three months and no refund.",
        "filer": {"enterprise_name": "Amur Trade", "email": "ivan@amur.example",
                  "language": "en"},
    }))


def told_once(app: Complaints, filing: Filing) -> None:
    """A notice as notify reports it now: once, with both channels."""
    assert app.record_receipt(filing.case_id, "notice-1", delivered=True, template="filed",
                              text=WORDS, channels=[
                                  {"channel": "inbox", "notification_id": "n-inbox",
                                   "message_id": "", "sent_at": SENT},
                                  {"channel": "email", "notification_id": "n-email",
                                   "message_id": "<m1@huiyin>", "sent_at": SENT}])


def told_per_channel(app: Complaints, filing: Filing) -> None:
    """The same notice as notify reported it before: each channel on its own."""
    for notification_id, channel in (("n-inbox", "inbox"), ("n-email", "email")):
        assert app.record_receipt(filing.case_id, notification_id, delivered=True,
                                  channel=channel, template="filed", text=WORDS, sent_at=SENT)


def staff_page(client: FlaskClient, runtime: Runtime, username: str, path: str) -> str:
    runtime.services.staff.register(username, PASSWORD, username, None)
    page = client.get("/staff/sign-in").get_data(as_text=True)
    signed_in = client.post("/staff/sign-in", data={
        "csrf_token": field_value(page, "csrf_token"), "username": username,
        "password": PASSWORD})
    assert signed_in.status_code == 303
    return client.get(path, query_string={"lang": "en"}).get_data(as_text=True)


def history_types(app: Complaints, filing: Filing) -> list[str]:
    return [type(event).__name__ for event in app.case_events(filing.case_id)]


@pytest.mark.parametrize("record", [told_once, told_per_channel])
def test_the_staff_timeline_shows_one_entry_naming_both_channels(
    client, runtime, app_, filing, record
):
    record(app_, filing)
    page = staff_page(client, runtime, "supervisor", f"/staff/cases/{filing.reference}")
    timeline = page[page.index('data-testid="timeline"'):]
    assert timeline.count("Filer notified") == 1
    [channels] = re.findall(r'data-testid="notice-channels">([^<]+)<', timeline)
    assert channels == "Case inbox, Email"
    assert "<summary" in timeline and "Your complaint HY is registered" in timeline


@pytest.mark.parametrize("record", [told_once, told_per_channel])
def test_the_filer_page_shows_each_message_once_with_its_channels(client, app_, filing, record):
    record(app_, filing)
    track(client, filing.reference, filing.access_code)
    page = client.get(f"/track/{filing.reference}")
    assert text_of(page).count("Your complaint HY is registered") == 1
    assert "This page, E-mail" in text_of(page)


def test_a_notice_is_one_event_and_old_per_channel_events_stay_two(app_, filing):
    told_once(app_, filing)
    assert history_types(app_, filing).count("FilerNotified") == 1
    other = app_.file_case(PUBLIC_FILER, filing_command({
        "channel": "web", "category": "tax", "subject": "s", "description": "d",
        "filer": {"enterprise_name": "Amur Trade", "email": "ivan@amur.example"}}))
    told_per_channel(app_, other)
    assert history_types(app_, other).count("FilerNotified") == 2


def test_the_audit_page_lists_old_per_channel_events_as_one_notice_holding_both(
    client, runtime, app_, filing
):
    told_per_channel(app_, filing)
    page = staff_page(client, runtime, "auditor", f"/staff/audit/{filing.reference}")
    [notice] = re.findall(r'<li class="audit-notice".*?</details>\s*</li>', page, re.S)
    assert 'id="event-2"' in notice and 'id="event-3"' in notice
    assert "2, 3" in notice and "The 2 events that recorded it" in notice
    assert page.count('class="audit-notice"') == 1
