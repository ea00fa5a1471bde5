"""Erasing a filer's personal data in a real browser: the supervisor's form on the staff case
page refuses until its confirmation is ticked, then erases; the staff page and the filer's
tracking page say so, in the reader's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.api import DemoApi
from tests.browser.test_filer_pages import sign_in_to_track
from tests.browser.test_staff_pages import step


@pytest.fixture
def api(server: str) -> DemoApi:
    return DemoApi(server)


def open_case(api: DemoApi) -> tuple[str, str]:
    """A hotline case, accepted and assigned to TAX, its personal values marked 标记:
    (reference, access code)."""
    filed = api.file("intake", {
        "channel": "hotline", "category": "tax", "subject": "标记主题：出口退税未到账",
        "description": "标记描述：一月申报，至今未到账。",
        "filer": {"enterprise_name": "黑河市标记商贸有限公司", "contact_person": "标记人",
                  "phone": "+86 456 823 5555", "language": "en"},
    })
    api.act("intake", filed["reference"], "accept")
    api.act("intake", filed["reference"], "assign")
    return filed["reference"], filed["access_code"]


def test_a_supervisor_erases_an_open_cases_personal_data_at_the_filers_request(
    new_page, sign_in, screenshot, api
):
    reference, code = open_case(api)
    supervisor = new_page("en")
    sign_in(supervisor, "supervisor")
    supervisor.goto(f"/staff/cases/{reference}")
    form = step(supervisor, "step-erase-personal-data")
    # An open case: the filer's request is the only basis offered.
    expect(form.get_by_role("radio")).to_have_count(1)
    form.get_by_label("The filer asked for it").check()
    form.get_by_label("Note (optional)").fill("Asked by phone on the hotline")
    screenshot(supervisor, "staff-case-erasure-form")

    form.get_by_role("button", name="Erase personal data").click()
    form = supervisor.get_by_test_id("step-erase-personal-data")
    expect(form.get_by_text("Tick the box to confirm the erasure").first).to_be_visible()
    expect(supervisor.get_by_test_id("erased")).to_have_count(0)

    form.get_by_label("I understand that the filer's personal data is destroyed").check()
    form.get_by_role("button", name="Erase personal data").click()

    expect(supervisor.get_by_role("status")).to_have_text("The filer's personal data was erased.")
    notice = supervisor.get_by_test_id("erased")
    expect(notice).to_contain_text("Basis: The filer asked for it.")
    expect(supervisor.get_by_test_id("erased-open")).to_contain_text(
        "The case continues without any way to reach the filer")
    expect(supervisor.get_by_test_id("filer-erased")).to_have_text("Erased")
    expect(supervisor.get_by_test_id("step-erase-personal-data")).to_have_count(0)
    expect(supervisor.get_by_test_id("timeline")).to_contain_text("Personal data erased")
    assert "标记" not in supervisor.content()
    screenshot(supervisor, "staff-case-erased")

    filer = new_page("zh")
    filer.goto("/track")
    sign_in_to_track(filer, reference, code, "zh")
    expect(filer.get_by_test_id("erased")).to_contain_text("您的个人信息已被删除")
    expect(filer.get_by_test_id("erased-open")).to_be_visible()
    assert "标记" not in filer.content()
    screenshot(filer, "tracking-erased")
