"""The enterprise's pages in a real browser: filing, the one showing of the code, tracking.

The staff side of the story (accepting, asking, replying, re-checking) is driven through the
JSON API of the same server, as the department's own systems would.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from complaints.application.routing import RoutingTable
from complaints.domain.credit_code import ALPHABET, check_character, credit_code_problem
from tests.browser.api import DemoApi

LANGUAGES = ["ru", "zh", "en"]
VALID_CODE = "91350100M000100Y43"
PAYLOAD = "<img src=x onerror=alert(1)><script>alert(1)</script>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROUTING = RoutingTable.load()

WORDS = {
    "ru": {
        "send": "Отправить жалобу", "track": "Следить за обращением", "open": "Открыть обращение",
        "send_information": "Отправить сведения", "rate": "Отправить оценку",
        "reopen": "Рассмотреть заново", "received": "Ваша жалоба принята",
        "shown_once": "Код доступа показывается только один раз",
        "status_filed": "Получено, ожидает принятия",
        "status_waiting": "Ожидаем от вас дополнительные сведения",
        "status_replied": "Дан ответ: прочитайте его и оцените",
        "status_assigned": "На рассмотрении в ответственном ведомстве",
        "dissatisfied": "Не удовлетворён", "wrong_pair": "Номер обращения или код доступа неверен",
        "typing": "5 из 18 символов", "valid": "Код составлен верно",
        "check": "Последний (контрольный) символ не сходится",
        "review": "Бюро по деловому климату проверяет",
        "reopened": "Обращение открыто для повторного рассмотрения.",
    },
    "zh": {
        "send": "提交投诉", "track": "查看投诉进度", "open": "查看我的投诉",
        "send_information": "提交补充材料", "rate": "提交评价", "reopen": "申请重新办理",
        "received": "您的投诉已提交成功", "shown_once": "查询码仅显示一次",
        "status_filed": "已收到，等待受理", "status_waiting": "等待您补充材料",
        "status_replied": "已答复，请阅读答复并作出评价",
        "status_assigned": "责任部门办理中", "dissatisfied": "不满意",
        "wrong_pair": "投诉编号或查询码不正确", "typing": "已输入5位，共18位",
        "valid": "代码格式正确", "check": "最后一位校验码与前17位不符",
        "review": "营商环境建设监督局正在复核办理情况", "reopened": "投诉已重新启动办理。",
    },
    "en": {
        "send": "Send the complaint", "track": "Track your case", "open": "Open my case",
        "send_information": "Send the information", "rate": "Send my rating",
        "reopen": "Reopen my case", "received": "Your complaint has been received",
        "shown_once": "The access code was shown once",
        "status_filed": "Received: waiting to be accepted",
        "status_waiting": "Waiting for information from you",
        "status_replied": "Replied: please read the reply and rate it",
        "status_assigned": "With the department responsible", "dissatisfied": "Dissatisfied",
        "wrong_pair": "The reference or the access code is not right",
        "typing": "5 of 18 characters", "valid": "The code is well formed",
        "check": "The last character does not fit the others",
        "review": "The Business Environment Bureau is checking",
        "reopened": "The case was reopened to be handled again.",
    },
}
STORY = {
    "ru": {"enterprise": "ООО «Амур-Транзит»", "contact": "Ирина Смирнова",
           "subject": "Груз задержан на таможне две недели",
           "description": "Партия соевых бобов стоит на пункте пропуска с 3 ноября.\n"
                          "Досмотр назначен, но не проводится.",
           "place": "Пункт пропуска Благовещенск – Хэйхэ", "answer": "Декларация во вложении.",
           "comment": "Груз простоял две недели, убытки никто не возместил.",
           "reason": "Убытки от простоя не возмещены."},
    "zh": {"enterprise": "黑河市远东商贸有限公司", "contact": "王丽",
           "subject": "出口货物通关滞留两周", "description": "我公司一批大豆自11月3日起滞留口岸。",
           "place": "黑河口岸", "answer": "报关单见附件。", "comment": "滞留损失无人承担。",
           "reason": "滞留损失仍未解决。"},
    "en": {"enterprise": "Amur Transit LLC", "contact": "Irina Smirnova",
           "subject": "Goods held at customs for two weeks",
           "description": "A soybean shipment has waited at the crossing since 3 November.",
           "place": "Blagoveshchensk – Heihe crossing", "answer": "The declaration is attached.",
           "comment": "Two weeks lost and no compensation.", "reason": "The losses remain."},
}


@pytest.fixture
def staff(server: str) -> DemoApi:
    return DemoApi(server)


@pytest.fixture
def no_dialogs() -> Iterator[list[str]]:
    """Every dialog a page opens (alert, confirm) is a script that should not have run."""
    opened: list[str] = []
    yield opened
    assert not opened, f"a script ran and opened dialogs: {opened}"


def watch(page: Page, opened: list[str]) -> Page:
    def refuse(dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    return page


def category_label(code: str, language: str) -> str:
    return ROUTING.categories[code]["labels"][language]


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def fill_form(page: Page, language: str, story: dict[str, str], **changes: str) -> None:
    page.get_by_label(category_label("cross_border_trade", language), exact=True).check()
    values = {
        "#enterprise_name": story["enterprise"], "#credit_code": VALID_CODE,
        "#contact_person": story["contact"], "#phone": "+7 914 555 0101",
        "#email": "irina@amur-transit.example", "#subject": story["subject"],
        "#description": story["description"], "#happened_on": "2026-11-03",
        "#happened_at_place": story["place"],
    }
    values.update(changes)
    for selector, value in values.items():
        page.locator(selector).fill(value)


def sign_in_to_track(page: Page, reference: str, code: str, language: str) -> None:
    page.locator("#reference").fill(reference)
    page.locator("#access_code").fill(code)
    page.get_by_role("button", name=WORDS[language]["open"]).click()
    expect(page).to_have_url(re.compile(rf"/track/{reference}$"))


# -- the story ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_enterprise_files_tracks_answers_rates_badly_and_reopens(
    new_page, screenshot, staff, language
):
    words, story = WORDS[language], STORY[language]
    page = new_page(language)
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name={
        "ru": "Подать жалобу", "zh": "我要投诉", "en": "File a complaint"}[language]).click()
    expect(page).to_have_url(re.compile(r"/file$"))
    expect(page.locator("#language")).to_have_value(language)
    for each in page.locator("main input:not([type=hidden]), main select, main textarea").all():
        assert each.evaluate("input => input.labels.length") >= 1, each.get_attribute("name")
    screenshot(page, "filing-form")

    # Sent half filled: the problems are told beside the fields, and what was typed stays.
    page.locator("#enterprise_name").fill(story["enterprise"])
    page.locator("#credit_code").fill("91350100M000100Y44")
    page.locator("#attachments").set_input_files(
        [{"name": "декларация.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name=words["send"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(page.locator("#credit_code-error")).to_contain_text(words["check"])
    expect(page.locator("#enterprise_name")).to_have_value(story["enterprise"])
    expect(page.locator(".filer-kept-files")).to_contain_text("декларация.pdf")
    screenshot(page, "filing-form-errors")

    fill_form(page, language, story)
    page.locator("#notify_by").check()  # by e-mail
    page.locator("#confidential").check()
    page.get_by_role("button", name=words["send"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["received"])
    reference = page.get_by_test_id("reference").inner_text()
    code = page.get_by_test_id("access-code").inner_text()
    assert re.fullmatch(r"HY-\d{4}-\d{6}", reference)
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    screenshot(page, "filing-confirmation")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["shown_once"])
    expect(page.get_by_role("main")).not_to_contain_text(code)
    screenshot(page, "filing-confirmation-again")

    # Tracking: a wrong code first, then the right one.
    page.goto(f"/track?reference={reference}")
    screenshot(page, "tracking-sign-in")
    page.locator("#access_code").fill("2222-3333-4444")
    page.get_by_role("button", name=words["open"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["wrong_pair"])
    expect(page.locator("#reference")).to_have_value(reference)
    screenshot(page, "tracking-sign-in-wrong")
    sign_in_to_track(page, reference, code, language)
    expect(page.get_by_test_id("status")).to_have_text(words["status_filed"])
    expect(page.get_by_test_id("description")).to_have_text(story["description"])
    expect(page.get_by_test_id("attachments")).to_contain_text("декларация.pdf")
    with page.expect_download() as download:
        page.get_by_test_id("attachments").get_by_role("link").click()
    assert download.value.suggested_filename == "декларация.pdf"
    assert download.value.path().read_bytes() == PDF
    screenshot(page, "tracking-filed")

    # The department asks for something; the filer answers with a document.
    staff.act("intake", reference, "accept")
    staff.act("intake", reference, "assign")
    staff.act("handler-CUSTOMS", reference, "notes",
              {"text": "INTERNAL: call the border post first", "visibility": "internal"})
    staff.act("handler-CUSTOMS", reference, "information-requests",
              {"items": ["Копия таможенной декларации", "Номер вагона"]})
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text(words["status_waiting"])
    expect(page.get_by_test_id("requested-items")).to_contain_text("Номер вагона")
    expect(page.get_by_role("main")).not_to_contain_text("INTERNAL")
    screenshot(page, "tracking-information-requested")
    page.locator("#information-content").fill(story["answer"])
    page.locator("#information-attachments").set_input_files(
        [{"name": "vagon.png", "mimeType": "image/png",
          "buffer": b"\x89PNG\r\n\x1a\n" + bytes(40)}])
    page.get_by_role("button", name=words["send_information"]).click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text(words["status_assigned"])
    expect(page.get_by_test_id("attachments")).to_contain_text("vagon.png")

    # The reply, rated badly.
    staff.act("handler-CUSTOMS", reference, "responses", {
        "outcome": "explained", "reply": "Досмотр проведён 20 ноября, груз выпущен.",
        "actions": ["Проверены сроки досмотра"]})
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text(words["status_replied"])
    expect(page.get_by_test_id("reply")).to_have_text("Досмотр проведён 20 ноября, груз выпущен.")
    screenshot(page, "tracking-reply")
    page.get_by_label(re.compile(rf"^2 {words['dissatisfied']}$")).check()
    page.locator("#rating-comment").fill(story["comment"])
    page.get_by_role("button", name=words["rate"]).click()
    expect(page.get_by_test_id("review-note")).to_contain_text(words["review"])
    expect(page.get_by_role("button", name=words["reopen"])).to_have_count(0)
    screenshot(page, "tracking-rated-badly")

    # The re-check does not uphold it; the filer, still not satisfied, reopens the case.
    staff.act("supervisor", reference, "review",
              {"result": "not_upheld", "explanation": "Сроки досмотра соблюдены."})
    page.reload()
    screenshot(page, "tracking-reopen")
    page.locator("#reopening-reason").fill(story["reason"])
    page.get_by_role("button", name=words["reopen"]).click()
    expect(page.get_by_test_id("timeline")).to_contain_text(words["reopened"])
    expect(page.get_by_test_id("status")).to_have_text(words["status_assigned"])
    screenshot(page, "tracking-reopened")


# -- the credit code, as it is typed -----------------------------------------------------------


def test_the_credit_code_is_checked_as_it_is_typed(new_page):
    page = new_page("ru")
    page.goto("/file")
    check = page.locator("#credit_code-check")
    page.locator("#credit_code").press_sequentially("91350")
    expect(check).to_have_text(WORDS["ru"]["typing"])
    page.locator("#credit_code").press_sequentially("100M000100Y43")
    expect(check).to_contain_text(WORDS["ru"]["valid"])
    page.locator("#credit_code").press("Backspace")
    page.locator("#credit_code").press_sequentially("4")
    expect(check).to_contain_text(WORDS["ru"]["check"])
    page.locator("#credit_code").fill("91I")
    expect(check).to_contain_text("I")
    expect(page.locator("#credit_code")).to_have_attribute(
        "aria-describedby", re.compile("credit_code-check"))


def test_files_over_the_limits_are_told_before_anything_is_sent(new_page):
    page = new_page("en")
    page.goto("/file")
    page.locator("#attachments").set_input_files(
        [{"name": f"page-{n}.pdf", "mimeType": "application/pdf", "buffer": PDF}
         for n in range(6)])
    expect(page.locator("#attachments-check")).to_have_text(
        "Too many files: at most 5 can be attached.")
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.locator("#attachments")).to_be_focused()
    expect(page.get_by_role("alert")).to_have_count(0)  # the form was not sent
    page.locator("#attachments").set_input_files(
        [{"name": "big.pdf", "mimeType": "application/pdf",
          "buffer": b"%PDF-1.7\n" + bytes(10 * 1024 * 1024)}])
    expect(page.locator("#attachments-check")).to_have_text("big.pdf is larger than 10 MB.")


def _kind(code: str) -> str | None:
    """The domain's verdict, named as the script names it."""
    problem = credit_code_problem(code)
    if problem is None:
        return None
    for start, kind in (("must be", "length"), ("contains", "characters"),
                        ("characters 3 to 8", "division"), ("check character", "check")):
        if problem.startswith(start):
            return kind
    raise AssertionError(problem)


def test_the_browsers_check_refuses_exactly_what_the_server_refuses(new_page):
    chance = random.Random(2015)
    codes = []
    for _ in range(400):
        first17 = "".join(chance.choice(ALPHABET) for _ in range(2)) + \
            "".join(chance.choice("0123456789") for _ in range(6)) + \
            "".join(chance.choice(ALPHABET) for _ in range(9))
        valid = first17 + check_character(first17)
        position = chance.randrange(18)
        changed = valid[:position] + chance.choice(ALPHABET + "IOZSVa-") + valid[position + 1:]
        codes += [valid, changed, valid[:-1], valid + "0", valid.lower()]
    page = new_page("en")
    page.goto("/file")
    verdicts = page.evaluate(
        """codes => codes.map(code => {
            const problem = window.HuiyinFiling.creditCodeProblem(
                window.HuiyinFiling.normaliseCreditCode(code));
            return problem ? problem.kind : null;
        })""", codes)
    expected = [_kind(re.sub(r"\s+", "", code).upper()) for code in codes]
    assert verdicts == expected
    assert expected.count(None) >= 800  # the valid ones, and their small-letter forms


# -- script injection --------------------------------------------------------------------------


def test_a_script_typed_into_every_text_field_shows_as_text(new_page, staff, no_dialogs):
    page = watch(new_page("en"), no_dialogs)
    page.goto("/file")
    text_fields = ["#enterprise_name", "#credit_code", "#contact_person", "#email", "#subject",
                   "#description", "#happened_at_place", "#webhook_url"]
    page.get_by_label(category_label("tax", "en"), exact=True).check()
    page.locator("#phone").fill("+86 456 823 1234")
    page.locator("details summary").click()
    for selector in text_fields:
        page.locator(selector).fill(PAYLOAD)
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.get_by_role("alert")).to_be_visible()
    for selector in text_fields:
        # The credit code is read without spaces and in capitals, as its check needs.
        typed = re.sub(r"\s+", "", PAYLOAD).upper() if selector == "#credit_code" else PAYLOAD
        expect(page.locator(selector)).to_have_value(typed)
    assert page.locator("main script:not([src$='/static/filing.js']), main img").count() == 0

    for selector in ("#credit_code", "#email", "#webhook_url"):
        page.locator(selector).fill("")
    page.get_by_role("button", name="Send the complaint").click()
    reference = page.get_by_test_id("reference").inner_text()
    code = page.get_by_test_id("access-code").inner_text()
    page.goto(f"/track?reference={reference}")
    page.locator("#reference").fill(PAYLOAD)
    page.locator("#access_code").fill(PAYLOAD)
    page.get_by_role("button", name="Open my case").click()
    expect(page.get_by_role("alert")).to_contain_text(WORDS["en"]["wrong_pair"])
    # The field takes 40 characters; they come back as text.
    expect(page.locator("#reference")).to_have_value(re.sub(r"\s+", "", PAYLOAD[:40]).upper())
    sign_in_to_track(page, reference, code, "en")

    staff.act("intake", reference, "accept")
    staff.act("intake", reference, "assign")
    staff.act("handler-TAX", reference, "notes", {"text": PAYLOAD, "visibility": "public"})
    staff.act("handler-TAX", reference, "information-requests", {"items": [PAYLOAD]})
    page.reload()
    page.locator("#information-content").fill(PAYLOAD)
    page.get_by_role("button", name="Send the information").click()
    staff.act("handler-TAX", reference, "responses",
              {"outcome": "resolved", "reply": PAYLOAD, "actions": [PAYLOAD]})
    page.reload()
    page.get_by_label(re.compile(r"^1 Very dissatisfied$")).check()
    page.locator("#rating-comment").fill(PAYLOAD)
    page.get_by_role("button", name="Send my rating").click()
    staff.act("supervisor", reference, "review", {"result": "not_upheld", "explanation": PAYLOAD})
    page.reload()
    page.locator("#reopening-reason").fill(PAYLOAD)
    page.get_by_role("button", name="Reopen my case").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("The case was reopened")

    main = page.get_by_role("main")
    expect(page.get_by_test_id("subject")).to_have_text(PAYLOAD)
    expect(page.get_by_test_id("description")).to_have_text(PAYLOAD)
    # The subject, description, place, enterprise, contact; the note, item, answer, reply,
    # action, comment, explanation and reason: each shown as the text that was typed.
    assert main.inner_text().count(PAYLOAD) >= 11
    assert page.locator("main script:not([src$='/static/filing.js']), main img").count() == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0


# -- phones and keyboards ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_filer_pages_fit_a_phone(new_page, screenshot, staff, language):
    page = new_page(language, viewport={"width": 375, "height": 667}, is_mobile=True,
                    has_touch=True, device_scale_factor=2)
    page.goto("/file")
    assert not scrolls_sideways(page)
    screenshot(page, "filing-form-phone")
    page.get_by_role("button", name=WORDS[language]["send"]).click()
    assert not scrolls_sideways(page)
    screenshot(page, "filing-form-errors-phone")
    fill_form(page, language, STORY[language])
    page.get_by_role("button", name=WORDS[language]["send"]).click()
    reference = page.get_by_test_id("reference").inner_text()
    code = page.get_by_test_id("access-code").inner_text()
    assert not scrolls_sideways(page)
    screenshot(page, "filing-confirmation-phone")
    page.get_by_role("link", name=WORDS[language]["track"]).click()
    assert not scrolls_sideways(page)
    sign_in_to_track(page, reference, code, language)
    staff.act("intake", reference, "accept")
    staff.act("intake", reference, "assign")
    staff.act("handler-CUSTOMS", reference, "responses",
              {"outcome": "partly_resolved", "reply": STORY[language]["description"]})
    page.reload()
    assert not scrolls_sideways(page)
    screenshot(page, "tracking-reply-phone")


def focused(page: Page) -> dict:
    return page.evaluate("""() => {
        const element = document.activeElement;
        const style = getComputedStyle(element);
        return {id: element.id, type: element.type || element.tagName.toLowerCase(),
                visible: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                         || style.boxShadow !== "none"};
    }""")


def tab_to(page: Page, element_id: str = "", element_type: str = "", most: int = 60) -> None:
    """Press Tab until the element (by id, or by type) has the focus; each stop shows it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["visible"], f"the focus on {now} cannot be seen"
        if (element_id and now["id"] == element_id) or (
            element_type and now["type"] == element_type
        ):
            return
    pytest.fail(f"{most} presses of Tab never reached {element_id or element_type}")


def test_an_enterprise_files_with_the_keyboard_alone(new_page):
    page = new_page("en")
    page.goto("/file")
    tab_to(page, "category")
    page.keyboard.press("Space")  # the first category, 市场准入
    expect(page.locator("#category")).to_be_checked()
    for element_id, text in (
        ("enterprise_name", "Amur Transit LLC"), ("credit_code", VALID_CODE),
        ("phone", "+7 914 555 0101"), ("subject", "Goods held at customs"),
        ("description", "Held since 3 November."),
    ):
        tab_to(page, element_id)
        page.keyboard.type(text)
    tab_to(page, "anonymous")
    page.keyboard.press("Space")
    expect(page.locator("#anonymous")).to_be_checked()
    tab_to(page, element_type="submit")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your complaint has been received")
    expect(page.get_by_test_id("access-code")).to_have_text(re.compile(r"^\w{4}-\w{4}-\w{4}$"))


# -- the filer's own copy ----------------------------------------------------------------------


COPY_WORDS = {
    "ru": {"read": "Открыть мою копию", "heading": "Ваши данные по делу",
           "file": "Скачать файлом (JSON)"},
    "zh": {"read": "查看我的副本", "heading": "您在案件", "file": "下载为文件（JSON）"},
    "en": {"read": "Read my copy", "heading": "Your data in case",
           "file": "Download it as a file (JSON)"},
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_filer_reads_and_downloads_their_own_copy(new_page, screenshot, language):
    words, story, copy_words = WORDS[language], STORY[language], COPY_WORDS[language]
    page = new_page(language)
    page.goto("/file")
    fill_form(page, language, story)
    page.locator("#attachments").set_input_files(
        [{"name": "декларация.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name=words["send"]).click()
    reference = page.get_by_test_id("reference").inner_text()
    code = page.get_by_test_id("access-code").inner_text()
    page.goto(f"/track?reference={reference}")
    sign_in_to_track(page, reference, code, language)

    page.get_by_role("link", name=copy_words["read"]).click()
    expect(page).to_have_url(re.compile(rf"/track/{reference}/personal-data$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(copy_words["heading"])
    expect(page.get_by_test_id("details")).to_contain_text(story["enterprise"])
    expect(page.get_by_test_id("description")).to_have_text(story["description"])
    expect(page.get_by_test_id("documents")).to_contain_text("декларация.pdf")
    expect(page.get_by_test_id("history").locator("li")).to_have_count(1)
    assert not scrolls_sideways(page)
    screenshot(page, "tracking-personal-data")

    with page.expect_download() as download:
        page.get_by_role("link", name=copy_words["file"]).click()
    assert download.value.suggested_filename == f"{reference}-personal-data.json"
    copy = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert copy["case"]["reference"] == reference
    # As the browser sent it: a textarea's lines end in CR LF.
    assert copy["written"]["description"].replace("\r\n", "\n") == story["description"]
    assert [each["name"] for each in copy["attachments"]] == ["декларация.pdf"]
    assert copy["personal_data"]["erased"] is False
    with page.expect_download() as document:
        page.get_by_test_id("documents").get_by_role("link").click()
    assert document.value.path().read_bytes() == PDF
