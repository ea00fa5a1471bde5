"""The staff pages in a real browser, acted out by each user in turn: intake takes a hotline
call and dispatches it, the department replies, the filer rates it bad, the supervisor upholds
the re-check, the department puts it right and records the return visit."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.api import CREDIT_CODE, DemoApi
from tests.browser.test_foundation import focused, scrolls_sideways, tab_to

LANGUAGES = ["zh", "en", "ru"]
BEIJING = ZoneInfo("Asia/Shanghai")

PAYLOAD = '<img src=x onerror=alert(1)><script>alert(1)</script>'


@pytest.fixture
def api(server: str) -> DemoApi:
    return DemoApi(server)


def watch_dialogs(page: Page) -> list[str]:
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


def open_when_listed(page: Page, path: str, testid: str, seconds: float = 30) -> None:
    """`path`, once the projections process has indexed the case that `testid` marks."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(path)
        if page.get_by_test_id(testid).count():
            return
        assert time.monotonic() < deadline, f"{testid} never appeared on {path}"
        time.sleep(0.5)


def open_queue_row(page: Page, reference: str) -> None:
    # Other tests share the server: a page long enough to hold every case they may have made.
    open_when_listed(page, "/staff/queue?limit=100", f"row-{reference}")


def step(page: Page, testid: str):
    """A step's folded form on the case page, unfolded."""
    details = page.get_by_test_id(testid)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def beijing_minutes_ago(minutes: int) -> str:
    return (datetime.now(BEIJING) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def test_a_hotline_call_goes_round_the_whole_loop(new_page, sign_in, screenshot):
    # Intake staff take the call and file it for the caller.
    intake = new_page("en")
    sign_in(intake, "intake")
    intake.goto("/staff/intake")
    expect(intake.get_by_label("12345 hotline")).to_be_checked()
    intake.get_by_label("When the call or visit happened (optional)").fill(beijing_minutes_ago(20))
    intake.get_by_label("Enterprise", exact=True).fill("黑河市远东商贸有限公司")
    intake.get_by_label("Unified social credit code (optional)").fill(CREDIT_CODE)
    intake.get_by_label("Contact person (optional)").fill("Ирина Петрова")
    intake.get_by_label("Phone", exact=True).fill("+86 456 823 1234")
    intake.get_by_label("Language for messages to the caller").select_option("ru")
    intake.get_by_label("Category").select_option("tax")
    intake.get_by_label("Subject").fill("Возврат НДС при экспорте не поступил")
    intake.get_by_label("What happened").fill("Подали заявку в январе, деньги до сих пор не "
                                              "пришли; в окне говорят о сбое системы.")
    intake.get_by_role("button", name="File the complaint").click()

    expect(intake).to_have_url(re.compile(r"/staff/intake/filed/HY-\d{4}-\d{6}$"))
    reference = intake.get_by_test_id("reference").inner_text()
    code = intake.get_by_test_id("access-code").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    expect(intake.get_by_text("Read both out to the caller now")).to_be_visible()
    screenshot(intake, "staff-intake-filed")

    # …and dispatch it, to the department the routing table proposes.
    dispatch = intake.get_by_test_id(f"dispatch-{reference}")
    expect(dispatch.get_by_role("combobox")).to_have_value("TAX")
    dispatch.get_by_role("button", name="Accept and dispatch").click()
    expect(intake.get_by_role("status")).to_have_text(f"{reference} was dispatched to Tax Bureau.")
    intake.reload()
    expect(intake.get_by_test_id("access-code")).to_have_count(0)  # shown once only

    # The tax bureau's handler finds it in the queue, nearest deadline first, and replies.
    handler = new_page("en")
    sign_in(handler, "handler-TAX")
    open_queue_row(handler, reference)
    row = handler.get_by_test_id(f"row-{reference}")
    expect(row.get_by_test_id("time-left")).to_have_text("15 working days")
    dues = handler.locator("[data-testid=queue] tbody tr td:nth-child(5) time").evaluate_all(
        "times => times.map(time => time.getAttribute('datetime'))")
    assert dues == sorted(dues, key=datetime.fromisoformat)
    row.get_by_role("link", name=reference).click()
    expect(handler.get_by_test_id("status")).to_have_text("With the department")
    expect(handler.get_by_test_id("deadline")).to_contain_text("15 working days")
    reply = step(handler, "step-respond")
    reply.get_by_label("Resolved", exact=True).check()
    reply.get_by_label("Text of the reply").fill("Возврат перечислен 12 марта.")
    reply.get_by_label("Actions taken (optional)").fill("Проверили заявку\nУскорили проверку")
    reply.get_by_role("button", name="Reply to the filer").click()
    expect(handler.get_by_role("status")).to_have_text("The reply was sent.")
    expect(handler.get_by_test_id("status")).to_have_text("Replied")

    # The filer is not satisfied: rates the reply 2 on the tracking page.
    filer = new_page("en")
    filer.goto("/track")
    filer.get_by_label("Reference").fill(reference)
    filer.get_by_label("Access code").fill(code)
    filer.get_by_role("button", name="Open my case").click()
    filer.get_by_label("2 Dissatisfied").check()
    filer.get_by_role("button", name="Send my rating").click()

    # The supervisor concludes the re-check: upheld. No deadline is extended.
    supervisor = new_page("en")
    sign_in(supervisor, "supervisor")
    supervisor.goto(f"/staff/cases/{reference}")
    expect(supervisor.get_by_text("A bad review awaits its re-check")).to_be_visible()
    expect(supervisor.get_by_test_id("rating")).to_have_text("2 – Dissatisfied")
    assert supervisor.get_by_test_id("step-extend-deadline").count() == 0  # no clock runs
    recheck = step(supervisor, "step-conclude-review")
    screenshot(supervisor, "staff-case-recheck")
    recheck.get_by_label("Upheld: the department must put it right").check()
    recheck.get_by_label("Explanation").fill("Заявка пролежала без движения шесть недель.")
    recheck.get_by_role("button", name="Conclude the re-check").click()
    expect(supervisor.get_by_role("status")).to_have_text("The re-check was concluded.")
    expect(supervisor.get_by_test_id("deadline")).to_contain_text("Rectification")
    expect(supervisor.get_by_test_id("step-extend-deadline")).to_have_count(1)  # on offer…

    # The department puts it right and records the return visit.
    handler.goto(f"/staff/cases/{reference}")
    rectify = step(handler, "step-rectify")
    rectify.get_by_label("What was put right").fill("Ввели журнал заявок на возврат")
    rectify.get_by_role("button", name="Record the rectification").click()
    expect(handler.get_by_role("status")).to_have_text("The rectification was recorded.")
    visit = step(handler, "step-follow-up")
    visit.get_by_label("Phone call").check()
    visit.get_by_label("Yes").check()
    visit.get_by_label("Notes (optional)").fill("Клиент доволен.")
    visit.get_by_role("button", name="Record the return visit").click()
    expect(handler.get_by_role("status")).to_have_text("The return visit was recorded.")
    timeline = handler.get_by_test_id("timeline")
    for event in ("Complaint filed", "Accepted", "Assigned", "Replied", "Rated",
                  "Re-check concluded", "Rectified", "Return visit recorded"):
        expect(timeline.get_by_role("heading", name=event, exact=True)).to_have_count(1)
    expect(timeline).not_to_contain_text("Deadline extended")  # …and not taken
    expect(handler.get_by_test_id("step-close")).to_have_count(1)
    screenshot(handler, "staff-case-loop-done")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_pages_in_each_language(new_page, sign_in, screenshot, api, language):
    reference = api.assigned_case()
    waiting = api.filed_case("海关查验后货物迟迟不能放行")
    intake = new_page(language)
    sign_in(intake, "intake")
    open_when_listed(intake, "/staff/intake", f"waiting-{waiting}")
    expect(intake.locator("html")).to_have_attribute("lang", {"zh": "zh-CN"}.get(language,
                                                                                 language))
    for field in intake.locator("main input:not([type=hidden]), main select, main textarea"
                                ).all():
        assert field.evaluate("input => input.labels.length") >= 1, field
    screenshot(intake, "staff-intake")

    handler = new_page(language)
    sign_in(handler, "handler-TAX")
    open_queue_row(handler, reference)
    screenshot(handler, "staff-queue")
    handler.goto(f"/staff/cases/{reference}")
    step(handler, "step-respond")
    screenshot(handler, "staff-case-handler")

    supervisor = new_page(language)
    sign_in(supervisor, "supervisor")
    supervisor.goto(f"/staff/cases/{reference}")
    step(supervisor, "step-extend-deadline")
    screenshot(supervisor, "staff-case-supervisor")


def test_the_queue_and_the_case_fit_a_phone(new_page, sign_in, screenshot, api):
    reference = api.assigned_case()
    page = new_page("zh", viewport={"width": 375, "height": 667}, is_mobile=True,
                    has_touch=True, device_scale_factor=2)
    sign_in(page, "handler-TAX")
    open_queue_row(page, reference)
    assert not scrolls_sideways(page)
    expect(page.get_by_test_id(f"row-{reference}").get_by_test_id("time-left")).to_be_visible()
    screenshot(page, "staff-queue-phone")
    page.goto(f"/staff/cases/{reference}")
    step(page, "step-respond")
    assert not scrolls_sideways(page)
    screenshot(page, "staff-case-phone")
    sign_in(page, "intake")
    page.goto("/staff/intake")
    assert not scrolls_sideways(page)
    screenshot(page, "staff-intake-phone")


def test_the_keyboard_alone_notes_progress_on_a_case(new_page, sign_in, api):
    reference = api.assigned_case()
    page = new_page("en")
    sign_in(page, "handler-TAX")
    page.goto(f"/staff/cases/{reference}")
    tab_to(page, "Note progress", most=60)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("step-note-progress")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "note-progress-text"
    page.keyboard.type("Called the filer; the refund is being checked.")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "note-progress-visibility-0"  # Internal, the default
    page.keyboard.press("ArrowDown")
    assert focused(page)["id"] == "note-progress-visibility-1"
    expect(page.get_by_label("Public: the filer sees it")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Note progress" and focused(page)["tag"] == "button"
    assert focused(page)["visible"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("The note was added.")
    expect(page.get_by_test_id("timeline")).to_contain_text("the refund is being checked")


def test_an_empty_reply_is_told_beside_its_form(new_page, sign_in, screenshot, api):
    reference = api.assigned_case()
    page = new_page("ru")
    sign_in(page, "handler-TAX")
    page.goto(f"/staff/cases/{reference}")
    reply = step(page, "step-respond")
    reply.get_by_role("button").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(page.get_by_test_id("step-respond")).to_have_attribute("open", "")
    expect(page).to_have_title(re.compile(r"^Ошибка: "))
    screenshot(page, "staff-case-reply-errors")


def test_markup_typed_into_the_intake_and_reply_forms_stays_text(new_page, sign_in):
    intake = new_page("en")
    dialogs = watch_dialogs(intake)
    sign_in(intake, "intake")
    intake.goto("/staff/intake")
    intake.get_by_label("When the call or visit happened (optional)").fill(beijing_minutes_ago(5))
    for label in ("Enterprise", "Contact person (optional)", "Subject", "What happened"):
        intake.get_by_label(label, exact=True).fill(PAYLOAD)
    # The fields that must have a form come back with the payload, refused, as it was typed.
    for label in ("Unified social credit code (optional)", "Phone",
                  "Email (optional if there is a phone)"):
        intake.get_by_label(label, exact=True).fill(PAYLOAD)
    intake.get_by_label("Category").select_option("tax")
    intake.get_by_role("button", name="File the complaint").click()
    expect(intake.get_by_role("alert")).to_be_visible()
    for label in ("Enterprise", "Unified social credit code (optional)", "Phone",
                  "Email (optional if there is a phone)", "Subject", "What happened"):
        expect(intake.get_by_label(label, exact=True)).to_have_value(PAYLOAD)
    assert intake.locator("main script:not([src]), main img").count() == 0

    intake.get_by_label("Unified social credit code (optional)").fill(CREDIT_CODE)
    intake.get_by_label("Phone", exact=True).fill("+86 456 823 1234")
    intake.get_by_label("Email (optional if there is a phone)").fill("")
    intake.get_by_role("button", name="File the complaint").click()
    reference = intake.get_by_test_id("reference").inner_text()
    intake.get_by_role("button", name="Accept and dispatch").click()
    expect(intake.get_by_role("status")).to_be_visible()

    handler = new_page("en")
    dialogs += watch_dialogs(handler)
    sign_in(handler, "handler-TAX")
    open_queue_row(handler, reference)
    expect(handler.get_by_test_id(f"row-{reference}")).to_contain_text(PAYLOAD)
    handler.goto(f"/staff/cases/{reference}")
    expect(handler.get_by_role("heading", level=1)).to_have_text(PAYLOAD)
    expect(handler.get_by_test_id("filer")).to_contain_text(PAYLOAD)
    reply = step(handler, "step-respond")
    reply.get_by_label("Explained: no fault found").check()
    reply.get_by_label("Text of the reply").fill(PAYLOAD)
    reply.get_by_label("Actions taken (optional)").fill(PAYLOAD)
    reply.get_by_role("button", name="Reply to the filer").click()
    expect(handler.get_by_test_id("reply")).to_have_text(PAYLOAD)
    expect(handler.get_by_test_id("timeline")).to_contain_text(PAYLOAD)
    assert handler.locator("main script:not([src]), main img").count() == 0
    assert dialogs == []


def test_a_handler_marks_a_duplicate_and_undoes_it_and_the_duplicates_filer_reads_the_reply(
    new_page, sign_in, screenshot, api
):
    primary = api.assigned_case("出口退税三个月未到账")
    filed = api.file("intake", {
        "channel": "hotline", "category": "tax", "subject": "又来电：出口退税仍未到账",
        "description": "同一笔出口退税，企业再次来电催办。",
        "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234"}})
    duplicate = filed["reference"]
    api.act("intake", duplicate, "accept")
    api.act("intake", duplicate, "assign")
    handler = new_page("en")
    sign_in(handler, "handler-TAX")

    # The duplicate is marked on its own page, by the primary's reference as typed.
    handler.goto(f"/staff/cases/{duplicate}")
    mark = step(handler, "step-mark-duplicate")
    mark.get_by_label("Primary case").fill(f" {primary.lower()} ")
    mark.get_by_label("Reason").fill("The same refund, called about again.")
    mark.get_by_role("button", name="Mark as a duplicate").click()
    expect(handler.get_by_role("status")).to_have_text("The case was marked a duplicate.")
    expect(handler.get_by_test_id("duplicate-of")).to_contain_text(primary)
    screenshot(handler, "staff-case-duplicate")

    # The primary's reply answers the duplicate too.
    handler.goto(f"/staff/cases/{primary}")
    expect(handler.get_by_test_id("duplicates")).to_contain_text(duplicate)
    reply = step(handler, "step-respond")
    reply.get_by_label("Resolved", exact=True).check()
    reply.get_by_label("Text of the reply").fill("The refund was paid on 12 March.")
    reply.get_by_role("button", name="Reply to the filer").click()
    expect(handler.get_by_role("status")).to_have_text("The reply was sent.")
    handler.goto(f"/staff/cases/{duplicate}")
    expect(handler.get_by_test_id("status")).to_have_text("Replied")
    expect(handler.get_by_test_id("reply")).to_have_text("The refund was paid on 12 March.")
    expect(handler.get_by_test_id("through-primary")).to_contain_text(primary)

    # The duplicate's own filer reads it on their own page.
    filer = new_page("en")
    filer.goto(f"/track?reference={duplicate}")
    filer.locator("#reference").fill(duplicate)
    filer.locator("#access_code").fill(filed["access_code"])
    filer.get_by_role("button", name="Open my case").click()
    expect(filer.get_by_role("main")).to_contain_text("The refund was paid on 12 March.")
    expect(filer.get_by_role("main")).to_contain_text("that reply answers yours too")

    # Undone: the duplicate stands alone, and both marks stay in the history.
    undo = step(handler, "step-undo-duplicate")
    undo.get_by_label("Reason").fill("A different consignment after all.")
    undo.get_by_role("button", name="Undo the duplicate mark").click()
    expect(handler.get_by_role("status")).to_have_text("The duplicate mark was undone.")
    expect(handler.get_by_test_id("links")).to_have_count(0)
    timeline = handler.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Marked a duplicate")
    expect(timeline).to_contain_text("Duplicate mark undone")


def test_a_supervisor_opens_a_hot_issue_and_reaches_its_cases(new_page, sign_in, screenshot,
                                                              api):
    from tests.fixtures.planted import MATTERS

    # Five callers about one lift, today, among the other tests' cases: each names the lift
    # and its address (the hotline writes them down first) and tells two more of its troubles.
    lift = MATTERS["elevator"]
    references, subjects = [], []
    for number in range(5):
        text = "，".join(sentence.format(place="A市A3区") for sentence in
                        (lift[0], lift[1 + number % 5], lift[1 + (number + 2) % 5]))
        subjects.append(text[:18])
        references.append(api.file("intake", {
            "channel": "hotline", "category": "utilities", "subject": text[:18],
            "description": text, "filer": {"enterprise_name": f"锦绣花园业主{number}",
                                           "phone": f"+86 139 0451 {number:04d}"}})["reference"])
    today = datetime.now(BEIJING).date().isoformat()
    page = new_page("en")
    sign_in(page, "supervisor")
    page.goto(f"/staff/dashboard?from={today}&to={today}")
    page.get_by_test_id("hot-issues-link").click()
    expect(page).to_have_url(re.compile(r"/staff/dashboard/hot-issues\?"))

    # The index takes the cases in within moments; the issue holding them is opened.
    deadline = time.monotonic() + 30
    while not page.locator(f"a[href='/staff/cases/{references[0]}']").count():
        assert time.monotonic() < deadline, "the filed cases never made a hot issue"
        time.sleep(0.5)
        page.reload()
    issue = page.locator(".hot-issue", has=page.locator(f"a[href='/staff/cases/{references[0]}']"))
    issue.locator("summary").click()
    expect(issue).to_contain_text("电梯")
    screenshot(page, "dashboard-hot-issues")
    issue.get_by_role("link", name=references[0]).click()
    expect(page).to_have_url(re.compile(rf"/staff/cases/{references[0]}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(subjects[0])


def test_an_intake_worker_answers_a_consultation_from_the_knowledge_base_on_the_spot(
    new_page, sign_in, screenshot
):
    intake = new_page("en")
    sign_in(intake, "intake")

    # The entry, kept on the knowledge base's page.
    intake.goto("/staff/knowledge")
    intake.get_by_label("Question").fill("出口退税多久能到账？")
    intake.get_by_label("Answer").fill("审核通过后一般在10个工作日内退还至企业账户，可在电子税务局查询进度。")
    intake.get_by_label("Category").select_option("tax")
    intake.get_by_label("Valid from").fill("2026-01-01")
    intake.get_by_label("Source").fill("国家税务总局公告2022年第9号")
    intake.get_by_role("button", name="Add the entry").click()
    expect(intake.get_by_role("status")).to_have_text("The entry was added.")

    # A caller asks; the call is filed, and the entry is offered beside the access code.
    intake.goto("/staff/intake")
    intake.get_by_label("Enterprise", exact=True).fill("黑河市远东商贸有限公司")
    intake.get_by_label("Phone", exact=True).fill("+86 456 823 1234")
    intake.get_by_label("Category").select_option("tax")
    intake.get_by_label("Subject", exact=True).fill("咨询出口退税到账时间")
    intake.get_by_label("What happened").fill("企业来电咨询：出口退税申报后多久能到账？")
    intake.get_by_role("button", name="File the complaint").click()
    answers = intake.get_by_test_id("answers")
    expect(answers).to_contain_text("出口退税多久能到账？")
    screenshot(intake, "intake-answer-at-first-contact")
    answers.get_by_role("button", name="Answered with this entry").first.click()

    expect(intake.get_by_role("status")).to_have_text("The caller was answered at first contact.")
    expect(intake.get_by_test_id("status")).to_have_text("Replied")
    expect(intake.get_by_test_id("at-first-contact")).to_be_visible()
    expect(intake.get_by_test_id("reply")).to_contain_text("10个工作日内退还")
