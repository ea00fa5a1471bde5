"""The auditor's pages through Flask's test client: who may see them, the timeline, the case
as it stood after any event, the chain's verdict when a stored row was edited, the export."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from uuid import UUID

import psycopg
import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from complaints.application import audit
from complaints.application.history_export import verify_export
from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.settings import Settings
from complaints.web.pages.sessions import sign_in
from complaints.web.runtime import Runtime
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import STORES

PASSWORD = "correct horse battery staple"
PUBLIC = Principal("filer:public", Role.FILER)
INTAKE = Principal("intake", Role.INTAKE)
HANDLER = Principal("handler-tax", Role.HANDLER, department="TAX")
SUPERVISOR = Principal("supervisor", Role.SUPERVISOR)
PAYLOAD = '<img src=x onerror=alert(1)><script>alert(1)</script>'
EVENT_NAMES = ["Complaint filed", "Accepted", "Assigned to departments", "Reply given",
               "Rated by the filer", "Re-check concluded"]


@pytest.fixture
def store(request: pytest.FixtureRequest) -> str:
    """SQLite, unless a test asks for each store (`indirect` parametrization)."""
    return getattr(request, "param", "sqlite")


class Browser:
    """Someone using the pages with a cookie-keeping client, in English."""

    def __init__(self, client: FlaskClient, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime

    def sign_in(self, username: str) -> None:
        role, _, department = username.partition("-")
        self.runtime.services.staff.register(username, PASSWORD, role, department or None)
        page = self.client.get("/staff/sign-in").get_data(as_text=True)
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
        token = re.search(r'value="([^"]+)"', field).group(1)
        signed_in = self.client.post("/staff/sign-in", data={
            "csrf_token": token, "username": username, "password": PASSWORD})
        assert signed_in.status_code == 303

    def get(self, path: str, **query: object):
        return self.client.get(path, query_string={"lang": "en", **query})


@pytest.fixture
def browser(client: FlaskClient, runtime: Runtime) -> Browser:
    return Browser(client, runtime)


@pytest.fixture
def case(runtime: Runtime) -> dict:
    """Filed → accepted → assigned → replied → rated 2 → re-check upheld: six events."""
    app = runtime.services.complaints
    filing = app.file_case(PUBLIC, filing_command({
        "channel": "web", "category": "tax", "subject": f"出口退税未到账 {PAYLOAD}",
        "description": "我公司一月申报出口退税，至今未到账。" * 10,
        "filer": {"enterprise_name": "黑河市远东商贸有限公司"},
    }))
    app.accept_case(INTAKE, filing.case_id)
    app.assign_case(INTAKE, filing.case_id)
    app.respond(HANDLER, filing.case_id, outcome="resolved", reply="退税已于三月到账。")
    filer = app.authenticate_filer(filing.reference, filing.access_code)
    app.rate_case(filer, filing.case_id, score=2, comment=PAYLOAD)
    app.conclude_review(SUPERVISOR, filing.case_id, upheld=True, explanation="确有延误")
    return {"reference": filing.reference, "case_id": filing.case_id,
            "path": f"/staff/audit/{filing.reference}"}


def html(reply) -> str:
    return reply.get_data(as_text=True)


def text_of(reply) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html(reply))))


def section(reply, element_id: str) -> str:
    """The text inside the element with `element_id`."""
    reader = ElementText(element_id)
    reader.feed(html(reply))
    assert reader.found, f"no #{element_id}"
    return re.sub(r"\s+", " ", "".join(reader.text))


class ElementText(HTMLParser):
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr"})

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.found = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.found, self.depth = True, 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def rewrite_stored_event(
    settings: Settings, case_id: UUID, version: int, rewrite: Callable[[bytes], bytes]
) -> None:
    """Change one stored row behind the application's back, as an intruder with SQL would."""
    if settings.postgres is None:
        with sqlite3.connect(settings.sqlite_path) as db:
            where = (case_id.hex, version)
            (state,) = db.execute("SELECT state FROM stored_events WHERE originator_id=? "
                                  "AND originator_version=?", where).fetchone()
            db.execute("UPDATE stored_events SET state=? WHERE originator_id=? "
                       "AND originator_version=?", (rewrite(bytes(state)), *where))
        return
    with psycopg.connect(settings.database_url, autocommit=True) as db:
        where = (case_id, version)
        (state,) = db.execute("SELECT state FROM complaints_events WHERE originator_id=%s "
                              "AND originator_version=%s", where).fetchone()
        db.execute("UPDATE complaints_events SET state=%s WHERE originator_id=%s "
                   "AND originator_version=%s", (rewrite(bytes(state)), *where))


def edited_json(change: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def rewrite(state: bytes) -> bytes:
        fields = json.loads(state)
        change(fields)
        return json.dumps(fields).encode()

    return rewrite


# Who may see the pages


@pytest.mark.parametrize("username", ["auditor", "supervisor"])
def test_auditors_and_supervisors_open_the_timeline(browser, case, username):
    browser.sign_in(username)
    assert browser.get("/staff/audit").status_code == 200
    page = browser.get(case["path"])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    events = re.findall(r'class="audit-event__name">([^<]+)<', html(page))
    assert events == EVENT_NAMES


@pytest.mark.parametrize("username", ["handler-TAX", "intake"])
def test_other_staff_are_refused_every_audit_page(browser, case, username):
    browser.sign_in(username)
    for path in ("/staff/audit", case["path"], f"{case['path']}/export"):
        assert browser.get(path).status_code == 403, path


def test_a_filer_and_a_stranger_are_sent_to_sign_in(app: Flask, client, case):
    assert client.get(case["path"]).status_code == 302
    # A filer signed in to follow their own case, as the tracking page signs them in.
    with app.test_request_context():
        sign_in(Principal(f"filer:{case['reference']}", Role.FILER, case_id=case["case_id"]))
        filer_session = dict(session)
    with client.session_transaction() as stored:
        stored.update(filer_session)
    for path in ("/staff/audit", case["path"], f"{case['path']}/export"):
        refused = client.get(path)
        assert refused.status_code == 302, path
        assert refused.headers["Location"].startswith("/staff/sign-in")


def test_only_auditors_may_download_the_export(browser, case):
    browser.sign_in("supervisor")
    page = browser.get(case["path"])
    assert "/export" not in html(page) and "Download the history" not in text_of(page)
    assert browser.get(f"{case['path']}/export").status_code == 403


# The timeline


def test_each_event_shows_actor_role_and_both_times(browser, case):
    browser.sign_in("auditor")
    page = browser.get(case["path"])
    responded = section(page, "event-4")
    assert "handler-tax · Department handler" in responded
    assert "Happened" in responded and "Recorded" in responded
    assert "退税已于三月到账。" in responded and "Resolved" in responded
    rated = section(page, "event-5")
    assert "2 – Dissatisfied" in rated and "Filer" in rated
    filed = section(page, "event-1")
    assert "Show the whole text" in filed  # the long description is folded
    assert "Access code (its hash)" in filed  # auditors see the stored digests
    assert len(re.findall(r'<time datetime="[^"]+">', html(page))) >= 12


def test_a_supervisor_does_not_see_the_stored_secrets(browser, case):
    browser.sign_in("supervisor")
    assert "access_code_hash" not in html(browser.get(case["path"]))


def test_a_hotline_call_typed_in_later_is_marked(browser, runtime):
    app = runtime.services.complaints
    two_days_ago = datetime.now(UTC) - timedelta(days=2, minutes=1)
    filing = app.file_case(INTAKE, filing_command({
        "channel": "hotline", "category": "tax", "subject": "来电反映退税慢",
        "description": "来电人称退税三个月未到账。", "filer": {"enterprise_name": "某公司"},
    }, occurred_at=two_days_ago))
    app.accept_case(INTAKE, filing.case_id)
    browser.sign_in("auditor")
    page = browser.get(f"/staff/audit/{filing.reference}")
    assert "2 days after it happened" in section(page, "event-1")
    assert "after it happened" not in section(page, "event-2")


def test_departments_are_named_and_a_transfer_back_names_the_intake_desk(browser, runtime):
    app = runtime.services.complaints
    filing = app.file_case(PUBLIC, filing_command({
        "channel": "web", "category": "cross_border_trade", "subject": "通关迟缓",
        "description": "货物滞留口岸五天。", "filer": {"enterprise_name": "某贸易公司"},
    }))
    app.accept_case(INTAKE, filing.case_id)
    app.assign_case(INTAKE, filing.case_id)
    customs = Principal("handler-customs", Role.HANDLER, department="CUSTOMS")
    app.transfer_case(customs, filing.case_id, to=None, reason="不属本关区")
    browser.sign_in("auditor")
    page = browser.get(f"/staff/audit/{filing.reference}")
    assigned = section(page, "event-3")
    assert "Lead department lead" in assigned and "(CUSTOMS)" in assigned
    assert "(COMMERCE)" in assigned  # the co-handler
    transferred = section(page, "event-4")
    assert "To to Intake desk" in transferred and "handler-customs" in transferred


def test_text_typed_by_filers_shows_as_text(browser, case):
    browser.sign_in("auditor")
    page = html(browser.get(case["path"]))
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# The case as it stood


def test_the_latest_state_shows_without_at_and_every_earlier_one_with_it(browser, case):
    browser.sign_in("auditor")
    now = browser.get(case["path"])
    assert 'value="6"' in html(now) and "Now, after its latest event (6)" in text_of(now)
    statuses = [section(browser.get(case["path"], at=n), "as-it-stood-panel")
                for n in range(1, 7)]
    assert "Filed, awaiting acceptance" in statuses[0]
    assert "Accepted" in statuses[1] and "Tax Bureau" in statuses[1]
    assert "With the departments" in statuses[2]
    assert "Replied" in statuses[3] and "Filer's rating" not in statuses[3]
    assert "2 – Dissatisfied · Awaiting re-check" in statuses[4]
    assert "2 – Dissatisfied · Awaiting rectification" in statuses[5]


def test_each_other_event_links_to_the_case_as_after_it(browser, case):
    browser.sign_in("auditor")
    page = html(browser.get(case["path"], at=3))
    links = re.findall(rf'href="{case["path"]}\?at=(\d)#as-it-stood"', page)
    assert links == ["1", "2", "4", "5", "6"]
    assert 'value="3"' in page and 'aria-valuetext="Event 3 of 6: Assigned to departments"' in page
    later = re.findall(r'class="audit-event audit-event--later" id="event-(\d)"', page)
    assert later == ["4", "5", "6"]


@pytest.mark.parametrize(("at", "status"), [
    ("0", 404), ("7", 404), ("99999999999999999999", 404), ("-1", 400), ("two", 400),
    ("1.5", 400), ("²", 400), ("٣", 400), ("1", 200), ("6", 200),
])
def test_at_must_be_a_position_of_the_case(browser, case, at, status):
    browser.sign_in("auditor")
    assert browser.get(case["path"], at=at).status_code == status


def test_an_unknown_case_is_the_404_page(browser):
    browser.sign_in("auditor")
    for path in ("/staff/audit/HY-2026-424242", "/staff/audit/nonsense",
                 "/staff/audit/HY-2026-424242/export"):
        reply = browser.get(path)
        assert reply.status_code == 404 and reply.mimetype == "text/html", path


# Finding a case


def test_a_reference_opens_its_case(browser, case):
    browser.sign_in("auditor")
    found = browser.get("/staff/audit", reference=f"  {case['reference'].lower()} ")
    assert found.status_code == 303
    assert found.headers["Location"] == case["path"]


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the case reference"),
    ("HY-2026-424242", "No case has the reference HY-2026-424242."),
    ("12345", "A reference looks like HY-2026-000123."),
    (PAYLOAD, "A reference looks like HY-2026-000123."),
])
def test_a_reference_that_finds_nothing_is_told_beside_the_form(browser, typed, message):
    browser.sign_in("auditor")
    reply = browser.get("/staff/audit", reference=typed)
    assert reply.status_code == 422
    assert message in text_of(reply)
    assert "<title>Error: Audit" in html(reply)
    assert "<script>alert(1)</script>" not in html(reply)


def test_recent_cases_are_listed_from_the_case_index(browser, case, event_store):
    browser.sign_in("auditor")
    event_store.catch_up()
    page = html(browser.get("/staff/audit"))
    assert f'href="{case["path"]}">{case["reference"]}</a>' in page


# The chain's verdict


def test_an_intact_chain_says_so_with_its_head(browser, case, runtime):
    browser.sign_in("auditor")
    verdict = section(browser.get(case["path"]), "verdict-title")
    assert "Chain of records intact" in verdict
    head = audit.stored_links(runtime.services.complaints, case["case_id"])[-1].hash
    assert head in html(browser.get(case["path"]))


@pytest.mark.parametrize("store", STORES, indirect=True)
def test_an_edited_stored_row_shows_the_chain_broken_at_that_event(browser, case, settings):
    rewrite_stored_event(settings, case["case_id"], 4,
                         edited_json(lambda fields: fields.update(reply="没有任何问题。")))
    browser.sign_in("auditor")
    page = browser.get(case["path"])
    assert page.status_code == 200
    verdict = text_of(page)
    assert "Chain of records broken" in verdict
    assert ("Event 4 (Reply given): its content does not match its hash: "
            "it was changed after recording") in verdict
    assert 'class="audit-event audit-event--broken" id="event-4"' in html(page)
    assert "Does not verify" in section(page, "event-4")
    assert "Does not verify" not in section(page, "event-5")


@pytest.mark.parametrize("store", STORES, indirect=True)
def test_an_unreadable_stored_row_is_named_and_the_rest_still_shown(browser, case, settings):
    rewrite_stored_event(settings, case["case_id"], 2, lambda state: b"\x00 not json")
    browser.sign_in("auditor")
    page = browser.get(case["path"])
    assert page.status_code == 200
    words = text_of(page)
    assert "Chain of records broken" in words
    assert "Event 2 (Accepted): it cannot be read" in words
    assert "The case cannot be replayed" in words


# The export


def test_the_auditor_downloads_a_history_that_verifies_offline(browser, case):
    browser.sign_in("auditor")
    download = browser.get(f"{case['path']}/export")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="{case["reference"]}-history.json"')
    result = verify_export(json.loads(download.get_data()))
    assert result.intact and result.events_checked == 6


@pytest.mark.parametrize("store", STORES, indirect=True)
def test_an_export_of_an_edited_store_breaks_where_the_store_does(browser, case, settings,
                                                                   runtime):
    def forge(fields: dict) -> None:
        fields["proposed_lead"] = "CUSTOMS"
        fields["hash"] = "f" * 64

    rewrite_stored_event(settings, case["case_id"], 2, edited_json(forge))
    browser.sign_in("auditor")
    exported = verify_export(json.loads(browser.get(f"{case['path']}/export").get_data()))
    stored = audit.verify_case(runtime.services.complaints, case["case_id"])
    assert exported.broken == stored.broken
    assert [(b.position, b.faults) for b in stored.broken] == [
        (2, (audit.ALTERED,)), (3, (audit.BROKEN_LINK,))]


def test_the_api_exports_for_auditors_only(client, staff, case, assert_error):
    path = f"/api/v1/cases/{case['reference']}/export"
    reply = staff.login("auditor").get(path)
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].startswith("attachment; filename=")
    assert verify_export(json.loads(reply.get_data())).intact
    for username in ("supervisor", "intake", "handler-TAX"):
        assert_error(staff.login(username).get(path), 403, "forbidden")
    assert_error(client.get(path), 401, "unauthenticated")
    assert_error(staff.login("auditor").get("/api/v1/cases/HY-2026-424242/export"), 404)
