"""The staff pages through Flask's test client: the intake desk, the queue and the case page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask

from complaints import processes
from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.readmodels.case_index import filters
from complaints.web.runtime import EXTENSION, Runtime
from tests.fixtures.attachments import described, seal_into
from tests.fixtures.filing import filing_command
from tests.fixtures.pages import flat_text_of
from tests.fixtures.stores import STORES

PASSWORD = "correct horse battery staple"
CREDIT_CODE = "91350100M000100Y43"
INTAKE = Principal("intake", Role.INTAKE)
SUPERVISOR = Principal("supervisor", Role.SUPERVISOR, "BIZENV")
TAX = Principal("handler-tax", Role.HANDLER, "TAX")


@pytest.fixture
def store() -> str:
    """The pages add nothing to the store's work: SQLite is enough."""
    return "sqlite"


def csrf_token(response) -> str:
    field = re.search(r'<input[^>]*name="[^"]*csrf_token"[^>]*>', response.get_data(as_text=True))
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


def section(response, testid: str) -> str:
    """The text of the element marked data-testid=`testid` (up to its closing tag)."""
    page = response.get_data(as_text=True)
    start = page.index(f'data-testid="{testid}"')
    tag = page.rfind("<", 0, start)
    name = re.match(r"<(\w+)", page[tag:]).group(1)
    depth, position = 0, tag
    for match in re.finditer(rf"<(/?){name}\b[^>]*>", page[tag:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = tag + match.end()
            break
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page[tag:position])).split())


class Desk:
    """A staff member's browser, signed in, reading English."""

    def __init__(self, app: Flask, username: str) -> None:
        self.client = app.test_client()
        self.client.get("/?lang=en")
        token = csrf_token(self.client.get("/staff/sign-in"))
        signed_in = self.client.post("/staff/sign-in", data={
            "csrf_token": token, "username": username, "password": PASSWORD})
        assert signed_in.status_code == 303

    def get(self, path: str, **query: Any):
        return self.client.get(path, query_string=query)

    def post(self, path: str, data: dict[str, Any]):
        return self.client.post(path, data=data)

    def act(self, reference: str, command: str, version: int | None = None,
            **fields: Any):
        """Send a step's form from the case page, as the page would, with its version."""
        path = command.replace("_", "-")
        page = self.get(f"/staff/cases/{reference}")
        shown = re.search(rf'name="{path}-version"[^>]*value="(\d+)"',
                          page.get_data(as_text=True))
        data = {f"{path}-csrf_token": csrf_token(page),
                f"{path}-version": version if version is not None else shown.group(1)}
        data.update({f"{path}-{name}": value for name, value in fields.items()})
        return self.post(f"/staff/cases/{reference}/{path}", data)


@pytest.fixture
def app_runtime(app: Flask) -> Runtime:
    return app.extensions[EXTENSION]


@pytest.fixture
def complaints(app_runtime):
    return app_runtime.services.complaints


@pytest.fixture
def desk(app: Flask, app_runtime: Runtime):
    """desk("handler-TAX") → that staff member signed in; the account is made the first time."""
    registered: set[str] = set()

    def signed_in(username: str) -> Desk:
        if username not in registered:
            role, _, department = username.partition("-")
            app_runtime.services.staff.register(username, PASSWORD, role, department or None)
            registered.add(username)
        return Desk(app, username)

    return signed_in


def catch_up(app_runtime: Runtime) -> None:
    processes.catch_up_projections(app_runtime.services.settings)


def submission(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "category": "tax",
        "subject": "出口退税三个月未到账",
        "description": "我公司一月申报出口退税，至今未到账。",
        "filer": {"enterprise_name": "黑河市远东商贸有限公司", "credit_code": CREDIT_CODE,
                  "phone": "+86 456 823 1234", "language": "zh"},
        **overrides,
    }


def filed(complaints, **overrides: Any) -> str:
    return complaints.file_case(INTAKE, filing_command(submission(**overrides))).reference


def assigned(complaints, lead: str = "TAX", co: list[str] | None = None, **overrides) -> str:
    reference = filed(complaints, **overrides)
    case_id = complaints.resolve_case_id(reference)
    complaints.accept_case(INTAKE, case_id)
    complaints.assign_case(INTAKE, case_id, lead, co or [])
    return reference


def responded(complaints, score: int | None = None) -> str:
    reference = assigned(complaints)
    case_id = complaints.resolve_case_id(reference)
    complaints.respond(TAX, case_id, "resolved", "已到账", [])
    if score is not None:
        complaints.rate_case(INTAKE, case_id, score, "", "hotline")
    return reference


def version_of(complaints, reference: str) -> int:
    return complaints.load_case(complaints.resolve_case_id(reference)).version


def steps_on(page) -> list[str]:
    return re.findall(r'data-testid="step-([a-z-]+)"', page.get_data(as_text=True))


# The intake desk


def caller(**overrides: Any) -> dict[str, Any]:
    return {"channel": "hotline", "enterprise_name": "黑河市远东商贸有限公司",
            "credit_code": CREDIT_CODE, "contact_person": "王丽", "phone": "+86 456 823 1234",
            "email": "", "language": "ru", "category": "tax", "subject": "出口退税三个月未到账",
            "description": "我公司一月申报出口退税，至今未到账。", "submission": "key-1",
            "occurred_at": "", **overrides}


def file_for_caller(staff: Desk, **overrides: Any):
    token = csrf_token(staff.get("/staff/intake"))
    return staff.post("/staff/intake", {"csrf_token": token, **caller(**overrides)})


def test_intake_files_a_hotline_call_and_is_shown_the_access_code_once(desk, complaints):
    intake = desk("intake")
    sent = file_for_caller(intake, occurred_at="2026-01-05T09:30")
    assert sent.status_code == 303
    reference = re.search(r"/staff/intake/filed/(HY-\d{4}-\d{6})$", sent.headers["Location"])[1]
    with intake.client.session_transaction() as cookie:
        carried = str(dict(cookie))

    shown = intake.get(sent.headers["Location"])
    code = section(shown, "access-code")
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    assert reference in carried and code not in carried  # the cookie never held the code
    assert section(shown, "reference") == reference
    assert complaints.authenticate_filer(reference, code).role is Role.FILER
    again = intake.get(sent.headers["Location"])
    assert 'data-testid="access-code"' not in again.get_data(as_text=True)
    assert "is not kept" in section(again, "code-gone")

    case = complaints.load_case(complaints.resolve_case_id(reference))
    assert (case.channel, case.on_behalf_of, case.filed_by) == ("hotline", True, "intake")
    assert case.filed_at == datetime(2026, 1, 5, 1, 30, tzinfo=UTC)  # 09:30 Beijing time
    assert case.filer.language == "ru" and case.filer.contact_person == "王丽"


def test_the_same_intake_form_sent_twice_files_one_case(desk, complaints):
    intake = desk("intake")
    first = file_for_caller(intake, submission="double-click")
    second = file_for_caller(intake, submission="double-click")
    assert first.headers["Location"] == second.headers["Location"]
    other = file_for_caller(intake, submission="double-click", subject="另一件事")
    assert other.status_code == 422
    assert "sent before with other details" in flat_text_of(other)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"enterprise_name": ""}, "enterprise_name", "Give the enterprise's name"),
    ({"subject": ""}, "subject", "Give the subject in a few words"),
    ({"description": ""}, "description", "Write down what the caller said"),
    ({"category": ""}, "category", "This field is required."),
    ({"phone": "", "email": ""}, "phone", "Give a phone number or an email address"),
    ({"phone": "call me"}, "phone", "Give a phone number"),
    ({"email": "wang@"}, "email", "Give an email address such as"),
    ({"credit_code": "91350100M000100Y44"}, "credit_code", "not a valid unified social credit"),
    ({"occurred_at": "2099-01-01T09:00"}, "occurred_at", "That time is in the future"),
    ({"occurred_at": "yesterday"}, "occurred_at", "Not a valid datetime value."),
    ({"subject": "长" * 201}, "subject", "Write at most 200 characters."),
    ({"filer_kind": "individual", "person_name": ""}, "person_name", "Give the caller's name"),
])
def test_each_mistake_on_the_intake_form_is_named_beside_its_field(desk, complaints, fields,
                                                                    field, message):
    intake = desk("intake")
    sent = file_for_caller(intake, **fields)
    page = sent.get_data(as_text=True)
    assert sent.status_code == 422
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in unescape(error.group(1))
    assert f'<a href="#{field}">' in page  # and in the summary, linked to the field
    assert "<title>Error: Intake desk" in page
    assert complaints.recorder.max_notification_id() == 1  # the account, and no case


def test_intake_files_for_a_person_calling_for_themselves(desk, complaints):
    intake = desk("intake")
    # The enterprise fields, hidden by the page's script, are not kept for a person.
    sent = file_for_caller(intake, filer_kind="individual", person_name="李小红",
                           credit_code="wrong")
    assert sent.status_code == 303
    reference = sent.headers["Location"].rsplit("/", 1)[1]

    case = complaints.load_case(complaints.resolve_case_id(reference))
    page = intake.get(f"/staff/cases/{reference}")

    assert case.filer.as_record() == {"kind": "individual", "person_name": "李小红",
                                      "phone": "+86 456 823 1234", "language": "ru"}
    assert "李小红" in section(page, "filer-person")


def test_intake_dispatches_a_filed_case_to_the_proposed_department(desk, complaints,
                                                                    app_runtime):
    reference = filed(complaints, category="cross_border_trade")
    catch_up(app_runtime)
    intake = desk("intake")
    page = intake.get("/staff/intake")
    waiting = page.get_data(as_text=True)
    assert reference in section(page, "waiting")
    assert re.search(rf'id="lead-{reference}"[^>]*>.*?<option selected value="CUSTOMS">',
                     waiting, re.S)
    sent = intake.post(f"/staff/intake/dispatch/{reference}", {
        "csrf_token": csrf_token(page), "version": "1", "lead": "CUSTOMS"})
    assert sent.status_code == 303
    case = complaints.load_case(complaints.resolve_case_id(reference))
    assert (case.status, case.lead_department, case.co_departments) == (
        "assigned", "CUSTOMS", ["COMMERCE"])
    assert f"{reference} was dispatched to Customs" in flat_text_of(intake.get("/staff/intake"))


def test_dispatching_to_a_proposed_co_handler_makes_it_lead_only(desk, complaints):
    reference = filed(complaints, category="cross_border_trade")
    intake = desk("intake")
    page = intake.get(f"/staff/intake/filed/{reference}")
    intake.post(f"/staff/intake/dispatch/{reference}", {
        "csrf_token": csrf_token(page), "version": "1", "lead": "COMMERCE"})
    case = complaints.load_case(complaints.resolve_case_id(reference))
    assert (case.lead_department, case.co_departments) == ("COMMERCE", [])


def test_a_dispatch_from_a_stale_list_is_refused_beside_its_row(desk, complaints, app_runtime):
    reference = filed(complaints)
    catch_up(app_runtime)
    intake = desk("intake")
    page = intake.get("/staff/intake")
    complaints.accept_case(SUPERVISOR, complaints.resolve_case_id(reference))  # meanwhile
    catch_up(app_runtime)
    sent = intake.post(f"/staff/intake/dispatch/{reference}", {
        "csrf_token": csrf_token(page), "version": "1", "lead": "TAX"})
    assert sent.status_code == 409
    assert "Someone changed this case" in section(sent, f"dispatch-{reference}")
    assert version_of(complaints, reference) == 2


def test_only_intake_and_supervisors_work_the_intake_desk(desk):
    assert desk("handler-TAX").get("/staff/intake").status_code == 403
    assert desk("auditor").get("/staff/intake").status_code == 403
    assert desk("supervisor").get("/staff/intake").status_code == 200


# The queue


def test_a_handler_sees_their_departments_queue_nearest_deadline_first(desk, complaints,
                                                                         app_runtime):
    later = assigned(complaints)
    sooner = assigned(complaints)
    complaints.extend_deadline(SUPERVISOR, complaints.resolve_case_id(later), "reply", 3, "busy")
    co_handled = assigned(complaints, lead="CUSTOMS", co=["TAX"], category="cross_border_trade")
    elsewhere = assigned(complaints, lead="LAND", category="land")
    catch_up(app_runtime)

    queue = desk("handler-TAX").get("/staff/queue", department="LAND")
    table = section(queue, "queue")
    assert queue.status_code == 200
    assert "Queue of Tax Bureau" in flat_text_of(queue)
    assert elsewhere not in table  # a handler's queue is their own, whatever was asked
    assert table.index(sooner) < table.index(co_handled) < table.index(later)
    assert "15 working days" in section(queue, f"row-{sooner}")
    assert "18 working days" in section(queue, f"row-{later}")
    assert 'name="department"' not in queue.get_data(as_text=True)


def test_a_confidential_filer_is_withheld_from_a_handlers_queue(desk, complaints, app_runtime):
    reference = assigned(complaints, confidential=True)
    catch_up(app_runtime)
    row = section(desk("handler-TAX").get("/staff/queue"), f"row-{reference}")
    assert "黑河" not in row and "商贸" not in row and "*" not in row
    assert "Filer withheld" in row
    row = section(desk("supervisor").get("/staff/queue"), f"row-{reference}")
    assert "黑河市远东商贸有限公司" in row


def test_an_erased_case_stays_in_the_queue_saying_its_personal_data_was_erased(
    desk, complaints, app_runtime
):
    reference = assigned(complaints)
    complaints.erase_personal_data(SUPERVISOR, complaints.resolve_case_id(reference),
                                   "filer_request")
    catch_up(app_runtime)

    row = section(desk("supervisor").get("/staff/queue"), f"row-{reference}")
    assert "Personal data erased" in row
    assert "出口退税" not in row and "黑河" not in row
    assert "Tax" in row  # its facts stay: the category, the status, the time left


def test_overdue_cases_are_marked_in_words(desk, complaints, app_runtime):
    on_time = assigned(complaints)
    catch_up(app_runtime)
    real_clock = complaints.clock
    complaints.clock = lambda: real_clock() + timedelta(days=40)
    late = assigned(complaints)  # filed "now", forty days on: due after the first
    catch_up(app_runtime)
    queue = desk("handler-TAX").get("/staff/queue")
    assert "Overdue by" in section(queue, f"row-{on_time}")
    assert "queue-table__row--overdue" in re.search(
        rf'<tr[^>]*data-testid="row-{on_time}"', queue.get_data(as_text=True)).group(0)
    assert "working days" in section(queue, f"row-{late}")

    only_overdue = desk("supervisor").get("/staff/queue", overdue="y")
    assert on_time in section(only_overdue, "queue")
    assert late not in section(only_overdue, "queue")


def test_the_queue_filters_by_status_and_words(desk, complaints, app_runtime):
    waiting = assigned(complaints, subject="海关通关延误")
    replied = responded(complaints)
    catch_up(app_runtime)
    handler = desk("handler-TAX")
    by_status = section(handler.get("/staff/queue", status="responded"), "queue")
    assert replied in by_status and waiting not in by_status
    by_words = section(handler.get("/staff/queue", text="通关"), "queue")
    assert waiting in by_words and replied not in by_words
    nothing = handler.get("/staff/queue", status="no-such-state")
    assert nothing.status_code == 422
    assert 'id="status-error"' in nothing.get_data(as_text=True)


def test_the_queue_pages_through_with_previous_and_next(desk, complaints, app_runtime):
    references = [assigned(complaints) for _ in range(5)]
    catch_up(app_runtime)
    handler = desk("handler-TAX")
    first = handler.get("/staff/queue", limit=2)
    assert "Cases 1–2 of 5" in flat_text_of(first)
    next_link = unescape(re.search(r'href="([^"]+)" data-testid="next"',
                                   first.get_data(as_text=True)).group(1))
    second = handler.client.get(next_link)
    assert "Cases 3–4 of 5" in flat_text_of(second)
    assert references[2] in section(second, "queue") and references[0] not in section(
        second, "queue")
    assert 'data-testid="previous"' in second.get_data(as_text=True)


def test_a_queue_past_the_counting_bound_says_more_and_pages_on(desk, complaints, app_runtime,
                                                                monkeypatch):
    monkeypatch.setattr(filters, "COUNTED_UP_TO", 3)
    references = [assigned(complaints) for _ in range(5)]
    catch_up(app_runtime)
    handler = desk("handler-TAX")

    first = handler.get("/staff/queue", limit=2)
    next_link = unescape(re.search(r'href="([^"]+)" data-testid="next"',
                                   first.get_data(as_text=True)).group(1))
    second = handler.client.get(next_link)
    third = handler.get("/staff/queue", limit=2, offset=4)

    assert "Cases 1–2 of more than 3" in flat_text_of(first)
    assert "Cases 3–4 of more than 3" in flat_text_of(second)
    assert references[4] in section(third, "queue")


@pytest.mark.parametrize("store", STORES)
def test_a_queue_page_past_the_last_shows_the_deepest_page_on_either_store(desk, complaints,
                                                                           app_runtime):
    """SQLite's and PostgreSQL's OFFSET are 64-bit: the page asked for is bounded first."""
    assigned(complaints)
    catch_up(app_runtime)
    handler = desk("handler-TAX")

    for offset in (2**63, 2**64, -(2**63) - 1):
        reply = handler.get("/staff/queue", offset=offset)
        assert reply.status_code == 200, offset


def test_the_queue_says_when_it_is_behind_the_store(desk, complaints, app_runtime):
    assigned(complaints)
    queue = desk("supervisor").get("/staff/queue")
    assert "may not show the latest changes" in section(queue, "lag")
    catch_up(app_runtime)
    assert 'data-testid="lag"' not in desk("supervisor").get("/staff/queue").get_data(
        as_text=True)


def test_supervisors_and_intake_pick_a_department(desk, complaints, app_runtime):
    tax = assigned(complaints)
    land = assigned(complaints, lead="LAND", category="land")
    catch_up(app_runtime)
    supervisor = desk("supervisor")
    everything = section(supervisor.get("/staff/queue"), "queue")
    assert tax in everything and land in everything
    only_land = section(supervisor.get("/staff/queue", department="LAND"), "queue")
    assert land in only_land and tax not in only_land
    assert desk("auditor").get("/staff/queue").status_code == 403


# The case page


@pytest.mark.parametrize(("username", "offered"), [
    ("handler-TAX", ["transfer", "request-information", "note-progress", "respond", "link",
                     "mark-duplicate"]),
    ("handler-CUSTOMS", ["note-progress", "link"]),
    ("intake", ["transfer", "request-information", "note-progress", "link", "mark-duplicate"]),
    ("supervisor", ["transfer", "request-information", "note-progress", "extend-deadline",
                    "link", "mark-duplicate", "erase-personal-data"]),
    ("auditor", []),
])
def test_each_role_sees_only_the_steps_it_may_take(desk, complaints, username, offered):
    reference = assigned(complaints, co=["CUSTOMS"])
    page = desk(username).get(f"/staff/cases/{reference}")
    assert page.status_code == 200
    assert steps_on(page) == offered
    if not offered:
        assert "nothing for your role to do" in flat_text_of(page)


def test_a_handler_cannot_open_another_departments_case(desk, complaints):
    reference = assigned(complaints, lead="LAND", category="land")
    page = desk("handler-TAX").get(f"/staff/cases/{reference}")
    assert page.status_code == 403
    assert "You cannot open this page" in flat_text_of(page)
    assert "出口退税" not in flat_text_of(page)


def test_a_handler_cannot_act_on_another_departments_case_even_with_a_token(desk,
                                                                             complaints):
    own = assigned(complaints)
    other = assigned(complaints, lead="LAND", category="land")
    handler = desk("handler-TAX")
    token = csrf_token(handler.get(f"/staff/cases/{own}"))
    refused = handler.post(f"/staff/cases/{other}/note-progress", {
        "note-progress-csrf_token": token, "note-progress-version": "3",
        "note-progress-text": "peeking", "note-progress-visibility": "internal"})
    assert refused.status_code == 403
    assert version_of(complaints, other) == 3


def test_an_unknown_case_or_step_gets_the_404_page(desk, complaints):
    intake = desk("intake")
    assert intake.get("/staff/cases/HY-2026-999999").status_code == 404
    reference = filed(complaints)
    token = csrf_token(intake.get(f"/staff/cases/{reference}"))
    assert intake.post(f"/staff/cases/{reference}/explode",
                       {"csrf_token": token}).status_code == 404


def test_a_handler_replies_and_the_case_page_shows_it(desk, complaints):
    reference = assigned(complaints)
    handler = desk("handler-TAX")
    sent = handler.act(reference, "respond", outcome="resolved", reply="退税已于三月到账。",
                       actions="核对申报\n加快审核")
    assert sent.status_code == 303 and sent.headers["Location"] == f"/staff/cases/{reference}"
    page = handler.get(f"/staff/cases/{reference}")
    assert "The reply was sent." in flat_text_of(page)
    assert section(page, "status") == "Replied"
    assert "退税已于三月到账。" in section(page, "reply")
    case = complaints.load_case(complaints.resolve_case_id(reference))
    assert case.reply["actions"] == ["核对申报", "加快审核"]
    assert steps_on(page) == ["note-progress", "close", "link"]


def test_a_form_left_open_while_the_case_changed_is_refused(desk, complaints):
    reference = assigned(complaints)
    handler = desk("handler-TAX")
    shown = version_of(complaints, reference)
    complaints.note_progress(INTAKE, complaints.resolve_case_id(reference), "called", "public")
    sent = handler.act(reference, "respond", version=shown, outcome="resolved", reply="已到账")
    assert sent.status_code == 409
    form = section(sent, "step-respond")
    assert "Someone changed this case after you opened it" in form
    assert 'open' in re.search(r'<details[^>]*data-testid="step-respond"[^>]*>',
                               sent.get_data(as_text=True)).group(0)
    assert "已到账" in form  # what was typed is kept
    case = complaints.load_case(complaints.resolve_case_id(reference))
    assert case.status == "assigned" and case.version == shown + 1
    # The form now carries the version shown; sent again, it applies.
    again = re.search(r'name="respond-version"[^>]*value="(\d+)"', sent.get_data(as_text=True))
    assert int(again.group(1)) == shown + 1


def test_a_step_without_a_version_is_taken_as_stale(desk, complaints):
    reference = assigned(complaints)
    handler = desk("handler-TAX")
    sent = handler.act(reference, "note_progress", version="", text="x", visibility="internal")
    assert sent.status_code == 409


def test_a_step_the_case_no_longer_offers_is_explained_at_the_top(desk, complaints):
    reference = assigned(complaints)
    handler = desk("handler-TAX")
    current = version_of(complaints, reference)
    complaints.respond(TAX, complaints.resolve_case_id(reference), "resolved", "done", [])
    sent = handler.act(reference, "respond", version=current + 1, outcome="resolved",
                       reply="again")
    assert sent.status_code == 422
    assert "cannot be taken while the case is “Replied”" in flat_text_of(sent)


def test_every_step_form_needs_its_csrf_token(desk, complaints):
    reference = assigned(complaints)
    handler = desk("handler-TAX")
    sent = handler.post(f"/staff/cases/{reference}/note-progress", {
        "note-progress-version": str(version_of(complaints, reference)),
        "note-progress-text": "no token", "note-progress-visibility": "internal"})
    assert sent.status_code == 400
    assert "The form could not be sent" in flat_text_of(sent)
    assert version_of(complaints, reference) == 3


def test_a_rule_the_aggregate_keeps_is_told_beside_the_form(desk, complaints):
    reference = filed(complaints, category="cross_border_trade")
    complaints.accept_case(INTAKE, complaints.resolve_case_id(reference))
    sent = desk("intake").act(reference, "assign", lead="CUSTOMS", co=["CUSTOMS", "COMMERCE"])
    assert sent.status_code == 422
    assert "The lead department cannot also be a co-handler" in section(sent, "step-assign")
    assert version_of(complaints, reference) == 2


def _reply_state(complaints):
    return assigned(complaints)


def _recheck_state(complaints):
    return responded(complaints, score=1)


def _upheld_state(complaints):
    reference = responded(complaints, score=2)
    complaints.conclude_review(SUPERVISOR, complaints.resolve_case_id(reference), True, "ours")
    return reference


def _rectified_state(complaints):
    reference = _upheld_state(complaints)
    complaints.record_rectification(TAX, complaints.resolve_case_id(reference), ["fixed"])
    return reference


def _accepted_state(complaints):
    reference = filed(complaints)
    complaints.accept_case(INTAKE, complaints.resolve_case_id(reference))
    return reference


def _awaiting_state(complaints):
    reference = assigned(complaints)
    complaints.request_information(TAX, complaints.resolve_case_id(reference), ["the contract"])
    return reference


def _closed_state(complaints):
    reference = responded(complaints)
    complaints.close_case(TAX, complaints.resolve_case_id(reference))
    return reference


# Each step sent with a mistake: (the case, who, the step, what was sent, said beside it).
MISTAKES = [
    (filed, "intake", "refer", {"reason": "", "where_to": "12315"}, "Give the reason"),
    (filed, "intake", "refer", {"reason": "x", "where_to": ""}, "Say where the filer"),
    (_accepted_state, "intake", "assign", {"lead": "NOWHERE"}, "Not a valid choice"),
    (_reply_state, "handler-TAX", "transfer", {"to": "", "reason": ""}, "Give the reason"),
    (_reply_state, "handler-TAX", "request_information", {"items": " \n "},
     "List what the filer must supply"),
    (_reply_state, "handler-TAX", "request_information", {"items": "x\n" * 51},
     "Give at most 50 lines."),
    (_awaiting_state, "intake", "supply_information", {"content": ""},
     "Write what the filer supplied"),
    (_reply_state, "handler-TAX", "note_progress", {"text": "", "visibility": "internal"},
     "Write the note"),
    (_reply_state, "handler-TAX", "note_progress", {"text": "x", "visibility": "everyone"},
     "Not a valid choice"),
    (_reply_state, "handler-TAX", "respond", {"reply": "done"}, "Choose the outcome"),
    (_reply_state, "handler-TAX", "respond", {"outcome": "resolved", "reply": ""},
     "Write the reply"),
    (_reply_state, "handler-TAX", "respond", {"outcome": "resolved", "reply": "x" * 10_001},
     "Write at most 10000 characters."),
    (responded, "intake", "rate", {"channel": "hotline"}, "Choose the caller's rating"),
    (_recheck_state, "supervisor", "invalidate_rating", {"reason": "spam"},
     "Choose invalid or malicious"),
    (_recheck_state, "supervisor", "invalidate_rating", {"invalidation_class": "invalid",
                                                         "reason": ""},
     "Give the reason for the ruling"),
    (_recheck_state, "supervisor", "conclude_review", {"explanation": "x"}, "Choose the result"),
    (_recheck_state, "supervisor", "conclude_review", {"result": "upheld", "explanation": ""},
     "Explain the result"),
    (_upheld_state, "handler-TAX", "rectify", {"actions": ""}, "List what was put right"),
    (_rectified_state, "handler-TAX", "follow_up", {"satisfied": "yes"},
     "Choose how the filer was contacted"),
    (_rectified_state, "handler-TAX", "follow_up", {"method": "phone"},
     "Say whether the filer is satisfied"),
    (_closed_state, "supervisor", "reopen", {"reason": ""}, "Give the reason for reopening"),
    (_reply_state, "supervisor", "extend_deadline", {"working_days": "16", "reason": "x",
                                                     "stage": "reply"},
     "Give a number from 1 to 15."),
    (_reply_state, "supervisor", "extend_deadline", {"working_days": "", "reason": "x",
                                                     "stage": "reply"},
     "Give the number of working days"),
    (_reply_state, "supervisor", "extend_deadline", {"working_days": "2", "reason": "",
                                                     "stage": "reply"},
     "Give the reason for the extension"),
    (_reply_state, "supervisor", "extend_deadline", {"working_days": "2", "reason": "x",
                                                     "stage": "accept"},
     "The running stage has changed"),
]


@pytest.mark.parametrize(("build", "username", "command", "fields", "message"), MISTAKES,
                         ids=[f"{m[2]}-{index}" for index, m in enumerate(MISTAKES)])
def test_each_step_form_tells_its_mistakes_beside_it(desk, complaints, build, username,
                                                     command, fields, message):
    reference = build(complaints)
    before = version_of(complaints, reference)
    sent = desk(username).act(reference, command, **fields)
    assert sent.status_code == 422
    form = section(sent, f"step-{command.replace('_', '-')}")
    assert message in form
    assert "There is a problem" in form
    assert version_of(complaints, reference) == before


def test_the_closed_loop_of_a_bad_review_on_the_case_page(desk, complaints):
    reference = responded(complaints, score=1)
    supervisor = desk("supervisor")
    assert "A bad review awaits its re-check" in flat_text_of(supervisor.get(
        f"/staff/cases/{reference}"))
    assert supervisor.act(reference, "conclude_review", result="upheld",
                          explanation="退税确有延误").status_code == 303
    handler = desk("handler-TAX")
    assert steps_on(handler.get(f"/staff/cases/{reference}")) == [
        "note-progress", "rectify", "link"]
    assert handler.act(reference, "rectify", actions="建立退税台账").status_code == 303
    assert handler.act(reference, "follow_up", method="phone", satisfied="yes",
                       notes="满意").status_code == 303
    assert handler.act(reference, "close").status_code == 303
    page = handler.get(f"/staff/cases/{reference}")
    assert section(page, "status") == "Closed"
    timeline = section(page, "timeline")
    for step in ("Re-check concluded", "Rectified", "Return visit recorded", "Closed"):
        assert step in timeline


def test_the_supervisor_extends_the_running_stage_once(desk, complaints):
    reference = assigned(complaints)
    supervisor = desk("supervisor")
    sent = supervisor.act(reference, "extend_deadline", stage="reply", working_days="5",
                          reason="现场核查")
    assert sent.status_code == 303
    page = supervisor.get(f"/staff/cases/{reference}")
    assert "20 working days" in section(page, "deadline")
    assert "cannot be extended again" in section(page, "deadline")
    assert "extend-deadline" not in steps_on(page)


def test_a_handler_sees_nothing_of_a_confidential_filer_and_notes_marked_internal(desk,
                                                                              complaints):
    reference = assigned(complaints, confidential=True)
    complaints.note_progress(TAX, complaints.resolve_case_id(reference), "内部意见", "internal")
    complaints.note_progress(TAX, complaints.resolve_case_id(reference), "已联系企业", "public")
    page = desk("handler-TAX").get(f"/staff/cases/{reference}")
    filer = section(page, "filer")
    for part in ("黑河", "商贸", "9135", "Y43", "王", "+86", "1234", "@", "*"):
        assert part not in filer, part
    assert "Withheld" in filer
    assert "how to reach them is withheld from departments" in flat_text_of(page)
    timeline = section(page, "timeline")
    assert "内部意见 " not in timeline.split("Internal: the filer never sees this")[0]
    assert "Public: the filer sees this" in timeline
    whole = section(desk("intake").get(f"/staff/cases/{reference}"), "filer")
    assert "黑河市远东商贸有限公司" in whole and CREDIT_CODE in whole


def test_the_case_page_speaks_chinese_and_russian(desk, complaints):
    reference = assigned(complaints)
    reader = desk("handler-TAX")
    for language, words in (("zh", "您现在可以办理"), ("ru", "Что можно сделать сейчас")):
        page = reader.get(f"/staff/cases/{reference}", lang=language)
        assert words in flat_text_of(page), language


def test_typed_markup_is_shown_as_text_on_the_case_page(desk, complaints):
    payload = '<img src=x onerror=alert(1)><script>alert(1)</script>'
    reference = assigned(complaints, subject=payload, description=payload)
    handler = desk("handler-TAX")
    handler.act(reference, "note_progress", text=payload, visibility="public")
    page = handler.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_paused_clock_is_said_so_in_the_queue(desk, complaints, app_runtime):
    reference = _awaiting_state(complaints)
    catch_up(app_runtime)
    row = section(desk("handler-TAX").get("/staff/queue"), f"row-{reference}")
    assert "Paused: waiting for the filer" in row and "Overdue" not in row


def test_staff_who_may_read_the_case_download_what_the_filer_attached(app, desk, complaints):
    content = b"%PDF-1.4\n% the contract\n"
    kept = described(content, "合同.pdf")
    reference = assigned(complaints, attachments=[kept.reference])
    seal_into(complaints, app.extensions[EXTENSION].services.settings.attachments_dir,
              complaints.resolve_case_id(reference), content)
    page = desk("handler-TAX").get(f"/staff/cases/{reference}")
    link = re.search(r'<a href="([^"]+)" download>合同.pdf</a>', page.get_data(as_text=True))
    assert link and "合同.pdf" in section(page, "attachments")
    download = desk("handler-TAX").get(link.group(1))
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF-1.4")
    assert "attachment" in download.headers["Content-Disposition"]
    assert desk("handler-LAND").get(link.group(1)).status_code == 403
    assert desk("handler-TAX").get(
        f"/staff/cases/{reference}/attachments/{'0' * 64}").status_code == 404
