"""Erasure on the pages: the supervisor's form on the staff case page (a basis, a ticked
confirmation, CSRF), and what the staff page, the filer's tracking page and the audit page
say of a case whose personal data was erased."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.web.identity import PUBLIC_FILER
from complaints.web.runtime import EXTENSION, Runtime
from tests.fixtures.filing import filing_command
from tests.fixtures.pages import field_value, flat_text_of

PASSWORD = "correct horse battery staple"
INTAKE = Principal("intake", Role.INTAKE)
TAX = Principal("handler-tax", Role.HANDLER, "TAX")
STEP = "erase-personal-data"
MARKERS = {"enterprise": "黑河市标记甲贸易有限公司", "person": "标记乙", "subject": "标记丙主题",
           "description": "标记丁描述：退税未到账。", "phone": "+86 456 823 9876"}


@pytest.fixture
def store() -> str:
    """The pages add nothing to the store's work: SQLite is enough."""
    return "sqlite"


@pytest.fixture
def complaints(app: Flask):
    return app.extensions[EXTENSION].services.complaints


def csrf_token(page: str) -> str:
    field = re.search(r'<input[^>]*name="[^"]*csrf_token"[^>]*>', page)
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


class Staff:
    """A staff member's browser, signed in, reading English."""

    def __init__(self, app: Flask, runtime: Runtime, username: str) -> None:
        role, _, department = username.partition("-")
        runtime.services.staff.register(username, PASSWORD, role, department or None)
        self.client = app.test_client()
        self.client.get("/?lang=en")
        token = csrf_token(self.client.get("/staff/sign-in").get_data(as_text=True))
        assert self.client.post("/staff/sign-in", data={
            "csrf_token": token, "username": username, "password": PASSWORD,
        }).status_code == 303

    def page(self, reference: str):
        return self.client.get(f"/staff/cases/{reference}")

    def erase(self, reference: str, *, csrf: bool = True, **fields: Any):
        """Send the erasure form as the case page shows it (its version and token)."""
        html = self.page(reference).get_data(as_text=True)
        data = {f"{STEP}-version": field_value(html, f"{STEP}-version") or "1"}
        if csrf:
            data[f"{STEP}-csrf_token"] = csrf_token(html)
        data.update({f"{STEP}-{name}": value for name, value in fields.items()})
        return self.client.post(f"/staff/cases/{reference}/{STEP}", data=data)


@pytest.fixture
def staff(app: Flask):
    runtime = app.extensions[EXTENSION]
    return lambda username: Staff(app, runtime, username)


def file(complaints):
    return complaints.file_case(PUBLIC_FILER, filing_command({
        "channel": "web", "category": "tax", "subject": MARKERS["subject"],
        "description": MARKERS["description"],
        "filer": {"enterprise_name": MARKERS["enterprise"], "contact_person": MARKERS["person"],
                  "phone": MARKERS["phone"], "language": "en"},
    }))


def assigned(complaints):
    filing = file(complaints)
    complaints.accept_case(INTAKE, filing.case_id)
    complaints.assign_case(INTAKE, filing.case_id)
    return filing


def closed(complaints):
    filing = assigned(complaints)
    complaints.respond(TAX, filing.case_id, "resolved", "Refund paid.")
    complaints.close_case(TAX, filing.case_id)
    return filing


def steps_on(page) -> list[str]:
    return re.findall(r'data-testid="step-([a-z-]+)"', page.get_data(as_text=True))


def version_of(complaints, filing) -> int:
    return complaints.load_case(filing.case_id).version


def basis_choices(page) -> list[str]:
    return re.findall(rf'name="{STEP}-basis"[^>]*value="([a-z_]+)"',
                      page.get_data(as_text=True))


@pytest.mark.parametrize("username", ["intake", "handler-TAX", "auditor"])
def test_only_a_supervisor_is_offered_the_erasure(staff, complaints, username):
    filing = closed(complaints)

    assert STEP in steps_on(staff("supervisor").page(filing.reference))
    assert STEP not in steps_on(staff(username).page(filing.reference))


def test_a_closed_case_offers_every_basis_an_open_one_only_the_filers_request(staff,
                                                                             complaints):
    supervisor = staff("supervisor")

    assert basis_choices(supervisor.page(closed(complaints).reference)) == [
        "filer_request", "retention_expired", "purpose_fulfilled"]
    assert basis_choices(supervisor.page(assigned(complaints).reference)) == ["filer_request"]


def test_the_erasure_is_not_done_without_the_ticked_confirmation(staff, complaints):
    filing = closed(complaints)

    sent = staff("supervisor").erase(filing.reference, basis="retention_expired")

    assert sent.status_code == 422
    assert "Tick the box to confirm the erasure" in flat_text_of(sent)
    assert version_of(complaints, filing) == 5


def test_the_erasure_needs_a_basis(staff, complaints):
    filing = closed(complaints)

    sent = staff("supervisor").erase(filing.reference, confirm="y")

    assert sent.status_code == 422
    assert "Choose the basis of the erasure" in flat_text_of(sent)
    assert version_of(complaints, filing) == 5


def test_an_open_case_is_not_erased_on_a_basis_the_form_does_not_offer(staff, complaints):
    filing = assigned(complaints)

    sent = staff("supervisor").erase(filing.reference, basis="retention_expired", confirm="y")

    assert sent.status_code == 422
    assert version_of(complaints, filing) == 3


def test_the_erasure_form_needs_its_csrf_token(staff, complaints):
    filing = closed(complaints)

    sent = staff("supervisor").erase(filing.reference, csrf=False, basis="filer_request",
                                     confirm="y")

    assert sent.status_code == 400
    assert version_of(complaints, filing) == 5


def test_an_erased_case_says_so_on_the_staff_page(staff, complaints):
    filing = closed(complaints)
    supervisor = staff("supervisor")

    sent = supervisor.erase(filing.reference, basis="retention_expired", confirm="y",
                            note="Kept three years")

    assert sent.status_code == 303
    page = supervisor.page(filing.reference)
    text = flat_text_of(page)
    assert "The filer's personal data was erased on" in text
    assert "Basis: The retention period ended." in text
    assert "without any way to reach the filer" not in text  # closed: nothing continues
    assert "Personal data erased" in text and "Kept three years" in text  # the timeline
    for marker in MARKERS.values():
        assert marker not in page.get_data(as_text=True)
    assert "None" not in text
    assert "Refund paid." in text  # the handling stays
    assert STEP not in steps_on(page)  # once


def test_an_open_case_erased_at_the_filers_request_goes_on_without_contact(staff, complaints):
    filing = assigned(complaints)
    supervisor = staff("supervisor")

    assert supervisor.erase(filing.reference, basis="filer_request",
                            confirm="y").status_code == 303

    text = flat_text_of(supervisor.page(filing.reference))
    assert "The case continues without any way to reach the filer" in text
    handler = staff("handler-TAX")
    assert "respond" in steps_on(handler.page(filing.reference))


def test_a_form_sent_after_someone_else_erased_is_refused(staff, complaints):
    filing = closed(complaints)
    supervisor = staff("supervisor")
    html = supervisor.page(filing.reference).get_data(as_text=True)
    complaints.erase_personal_data(Principal("other", Role.SUPERVISOR), filing.case_id,
                                   "purpose_fulfilled")

    sent = supervisor.client.post(f"/staff/cases/{filing.reference}/{STEP}", data={
        f"{STEP}-csrf_token": csrf_token(html), f"{STEP}-version": "5",
        f"{STEP}-basis": "retention_expired", f"{STEP}-confirm": "y"})

    assert sent.status_code == 409
    assert "Someone changed this case" in flat_text_of(sent)
    assert version_of(complaints, filing) == 6


def test_the_filers_tracking_page_says_the_data_was_erased(client: FlaskClient, complaints):
    filing = assigned(complaints)
    complaints.erase_personal_data(Principal("s", Role.SUPERVISOR), filing.case_id,
                                   "filer_request")
    page = client.get("/track?lang=en").get_data(as_text=True)
    assert client.post("/track", data={"csrf_token": csrf_token(page),
                                       "reference": filing.reference,
                                       "access_code": filing.access_code}).status_code == 303

    tracked = client.get(f"/track/{filing.reference}")

    text = flat_text_of(tracked)
    assert tracked.status_code == 200
    assert "Your personal data was erased" in text
    assert "because you asked for it" in text
    assert "we can no longer contact you" in text
    assert "Your personal data in this case was erased." in text  # the timeline
    for marker in MARKERS.values():
        assert marker not in tracked.get_data(as_text=True)
    assert "None" not in text.replace("Documents None", "")  # no documents is "None"


def test_the_audit_page_names_the_erasure_and_its_basis(staff, complaints):
    filing = closed(complaints)
    complaints.erase_personal_data(Principal("s", Role.SUPERVISOR), filing.case_id,
                                   "purpose_fulfilled", "handled")

    page = staff("auditor").client.get(f"/staff/audit/{filing.reference}")

    text = flat_text_of(page)
    assert page.status_code == 200
    assert "Personal data erased" in text
    assert "Purpose fulfilled" in text
    assert "Chain of records intact" in text
