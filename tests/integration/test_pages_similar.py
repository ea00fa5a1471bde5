"""Similar cases on the staff pages: a section on the case page, and the intake desk's live
region, filled from a POST with the desk form's CSRF token."""

from __future__ import annotations

import pytest

from complaints.application.principals import Principal
from complaints.domain.values import Role
from tests.fixtures.filing import filing_command
from tests.integration.test_pages_staff import Desk, catch_up, csrf_token, section

INTAKE = Principal("intake", Role.INTAKE)
REFUND = {"subject": "出口退税三个月未到账", "description": "我公司一月申报出口退税，至今未到账。"}


@pytest.fixture
def store() -> str:
    """The pages add nothing to the store's work: SQLite is enough."""
    return "sqlite"


@pytest.fixture
def staff(app, runtime):
    def signed_in(username: str) -> Desk:
        role, _, department = username.partition("-")
        runtime.services.staff.register(username, "correct horse battery staple", role,
                                        department or None)
        return Desk(app, username)

    return signed_in


def file_case(runtime, lead: str | None = None, **words) -> str:
    complaints = runtime.services.complaints
    category = words.pop("category", "tax")
    command = filing_command({
        "channel": "hotline", "category": category, **REFUND, **words,
        "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234",
                  "language": "zh"}})
    reference = complaints.file_case(INTAKE, command).reference
    if lead:
        case_id = complaints.resolve_case_id(reference)
        complaints.accept_case(INTAKE, case_id)
        complaints.assign_case(INTAKE, case_id, lead, [])
    return reference


def test_the_case_page_lists_similar_cases_with_likeness_and_shared_words(runtime, staff):
    earlier = file_case(runtime, "TAX")
    repeat = file_case(runtime, "TAX", subject="出口退税还没到账",
                       description="一月申报的出口退税至今没有到账，请税务局核查。")
    file_case(runtime, "SAMR", category="licensing", subject="营业执照变更办理缓慢",
              description="材料已齐全，窗口仍要求补充。")
    catch_up(runtime)

    page = staff("handler-TAX").get(f"/staff/cases/{repeat}")

    shown = section(page, "similar")
    assert shown.startswith("Similar cases")
    assert earlier in shown and "Likeness" in shown and "%" in shown
    assert "Shared words: " in shown and "退税" in shown
    assert "营业执照" not in shown  # SAMR's, and nothing alike


def test_a_handler_is_not_shown_another_departments_cases_on_the_case_page(runtime, staff):
    file_case(runtime, "SAMR", category="licensing")  # the same words, at SAMR
    repeat = file_case(runtime, "TAX")
    catch_up(runtime)

    page = staff("handler-TAX").get(f"/staff/cases/{repeat}")

    assert "No other case you may see is much like this one." in section(page, "similar")


def test_the_desk_asks_with_its_csrf_token_and_is_shown_open_cases_only(runtime, staff):
    earlier = file_case(runtime, "TAX")
    intake = staff("intake")
    token = csrf_token(intake.get("/staff/intake"))
    catch_up(runtime)

    shown = intake.post("/staff/similar", {"csrf_token": token, "subject": "出口退税",
                                           "description": "三个月了还没到账"})

    assert shown.status_code == 200
    assert earlier in shown.get_data(as_text=True)
    assert "<html" not in shown.get_data(as_text=True)  # a fragment for the live region


def test_the_desk_has_a_live_region_hidden_until_its_script_shows_it(staff):
    page = staff("intake").get("/staff/intake").get_data(as_text=True)

    assert 'aria-live="polite"' in page
    assert 'data-similar-url="/staff/similar" hidden' in page
    assert "similar.js" in page


def test_asking_without_the_csrf_token_is_refused(runtime, staff):
    intake = staff("intake")

    assert intake.post("/staff/similar", {"subject": "出口退税"}).status_code == 400


def test_a_handler_may_not_use_the_desks_typed_search(runtime, staff):
    handler = staff("handler-TAX")
    token = csrf_token(handler.get("/staff/queue"))

    assert handler.post("/staff/similar", {"csrf_token": token, "subject": "出口退税"}
                        ).status_code == 403
