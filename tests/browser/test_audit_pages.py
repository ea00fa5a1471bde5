"""The auditor replays a case in a real browser, sees it as it stood, verifies it, exports it,
and the exported file verifies offline with `huiyin verify --file`."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.api import DemoApi
from tests.fixtures.processes import BIN, clean_environment

LANGUAGES = ["zh", "en", "ru"]
PAYLOAD = "<img src=x onerror=alert(1)><script>alert(1)</script>"
OPEN_THE_CASE = {"zh": "打开投诉", "en": "Open the case", "ru": "Открыть обращение"}
INTACT = {"zh": "记录链完整", "en": "Chain of records intact", "ru": "Цепочка записей цела"}
SEE_AFTER = {"zh": "查看此事件之后的状态", "en": "See the case as after this event",
             "ru": "Показать обращение после этого события"}
DOWNLOAD = {"zh": "下载完整记录（JSON）", "en": "Download the history (JSON)",
            "ru": "Скачать историю (JSON)"}
STATUS = {  # after events 1, 2 and 6
    "zh": ("已提交，待受理", "已受理", "已答复"),
    "en": ("Filed, awaiting acceptance", "Accepted", "Replied"),
    "ru": ("Подана, ждёт принятия", "Принята", "Ответ дан"),
}
REVIEW = {"zh": "待整改", "en": "Awaiting rectification", "ru": "Ожидает устранения недостатков"}
RECORDED_LATER = {"zh": "才记录", "en": "after it happened", "ru": "после события"}


@pytest.fixture(scope="module")
def reference(server: str) -> str:
    """A hotline call typed in three hours later → accepted → assigned → replied → rated 2 →
    re-check upheld: six events."""
    api = DemoApi(server)
    filed = api.file("intake", {
        "channel": "hotline", "category": "tax",
        "subject": "出口退税三个月未到账",
        "description": f"来电人称一月申报的出口退税至今未到账。{PAYLOAD}",
        "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234"},
        "occurred_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
    })
    case = filed["reference"]
    api.act("intake", case, "accept")
    api.act("intake", case, "assign")
    api.act("handler-TAX", case, "responses",
            {"outcome": "resolved", "reply": "退税已于三月到账，系统故障已排除。"})
    filer = api.filer_token(case, filed["access_code"])
    api.post(f"/api/v1/cases/{case}/ratings", filer, {"score": 2, "comment": PAYLOAD})
    api.act("supervisor", case, "review", {"result": "upheld", "explanation": "确有延误，须整改。"})
    return filed["reference"]


def watch_dialogs(page: Page) -> list[str]:
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def open_recent_cases(page: Page, reference: str, seconds: float = 30) -> None:
    """The audit page, once the projections process has put the case in the case index."""
    deadline = time.monotonic() + seconds
    page.goto("/staff/audit")
    while not page.get_by_role("link", name=reference).is_visible():
        assert time.monotonic() < deadline, f"{reference} never reached the recent cases"
        page.wait_for_timeout(300)
        page.reload()


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def state_status(page: Page):
    return page.get_by_test_id("state-status")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_auditor_replays_the_case_verifies_it_and_exports_it(
    new_page, sign_in, screenshot, reference, tmp_path, language
):
    page = new_page(language)
    dialogs = watch_dialogs(page)
    sign_in(page, "auditor")
    open_recent_cases(page, reference)
    screenshot(page, "audit-find")

    page.locator("#reference").fill(reference)
    page.get_by_role("button", name=OPEN_THE_CASE[language]).click()
    expect(page).to_have_url(re.compile(rf"/staff/audit/{reference}$"))
    expect(page.get_by_test_id("verdict")).to_contain_text(INTACT[language])
    expect(page.locator(".audit-event")).to_have_count(6)
    expect(state_status(page)).to_have_text(STATUS[language][2])
    expect(page.get_by_test_id("state-review")).to_contain_text(REVIEW[language])
    expect(page.locator("#event-1 .audit-flag")).to_contain_text(RECORDED_LATER[language])
    expect(page.locator("#event-2 .audit-flag")).to_have_count(0)
    expect(page.locator("#event-1")).to_contain_text(PAYLOAD)  # typed text stays text
    screenshot(page, "audit-case")

    # Without the script's help: the link under event 2 shows the case as it stood then.
    page.locator("#event-2").get_by_role("link", name=SEE_AFTER[language]).click()
    expect(page).to_have_url(re.compile(r"\?at=2#as-it-stood$"))
    expect(state_status(page)).to_have_text(STATUS[language][1])
    expect(page.locator("#event-3.audit-event--later")).to_have_count(1)
    screenshot(page, "audit-case-earlier")

    # The slider, by keyboard: the panel follows without leaving the page.
    page.evaluate("window.stayedOnThePage = true")
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")
    expect(state_status(page)).to_have_text(STATUS[language][0])
    expect(page).to_have_url(re.compile(r"\?at=1#as-it-stood$"))
    expect(page.locator("#at-shown")).to_contain_text("1")
    page.keyboard.press("End")
    expect(state_status(page)).to_have_text(STATUS[language][2])
    expect(page).to_have_url(re.compile(r"\?at=6#as-it-stood$"))
    assert page.evaluate("window.stayedOnThePage") is True
    expect(slider).to_be_focused()

    with page.expect_download() as download:
        page.get_by_role("link", name=DOWNLOAD[language]).click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    assert exported.name == f"{reference}-history.json"
    checked = subprocess.run(
        [str(BIN / "huiyin"), "verify", "--file", str(exported)],
        env=clean_environment(), cwd=tmp_path, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert f"case {reference}" in checked.stdout and "6 event(s), chain intact" in checked.stdout
    assert dialogs == []


def test_without_scripts_the_slider_and_its_button_show_an_earlier_state(
    new_page, sign_in, reference
):
    page = new_page("ru", java_script_enabled=False)
    sign_in(page, "auditor")
    page.goto(f"/staff/audit/{reference}")
    expect(state_status(page)).to_have_text(STATUS["ru"][2])
    page.get_by_role("slider").focus()
    page.keyboard.press("Home")
    page.get_by_role("button", name="Показать").click()
    expect(page).to_have_url(re.compile(r"\?at=1#as-it-stood$"))
    expect(state_status(page)).to_have_text(STATUS["ru"][0])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_audit_pages_fit_a_phone(new_page, sign_in, screenshot, reference, language):
    page = new_page(language, viewport={"width": 375, "height": 667}, is_mobile=True,
                    has_touch=True, device_scale_factor=2)
    sign_in(page, "auditor")
    for path, name in (("/staff/audit", "audit-find-phone"),
                       (f"/staff/audit/{reference}?at=5", "audit-case-phone")):
        page.goto(path)
        page.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
        assert not scrolls_sideways(page), path
        screenshot(page, name)


def test_a_script_typed_as_the_reference_comes_back_as_text(new_page, sign_in):
    page = new_page("en")
    dialogs = watch_dialogs(page)
    sign_in(page, "auditor")
    page.goto("/staff/audit")
    page.locator("#reference").fill(PAYLOAD)
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("alert")).to_contain_text("A reference looks like HY-2026-000123.")
    expect(page.locator("#reference")).to_have_value(PAYLOAD[:40])  # its maxlength
    assert page.locator("main script, main img").count() == 0
    assert dialogs == []


def test_the_download_is_an_auditors_only(new_page, sign_in, reference):
    page = new_page("en")
    sign_in(page, "supervisor")
    page.goto(f"/staff/audit/{reference}")
    expect(page.get_by_test_id("verdict")).to_contain_text("Chain of records intact")
    expect(page.get_by_role("link", name=DOWNLOAD["en"])).to_have_count(0)
    assert page.goto(f"/staff/audit/{reference}/export").status == 403

