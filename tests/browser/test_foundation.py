"""The pages' foundation in a real browser: languages, staff sessions, CSRF, keyboard, phones."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.api import DEMO_PASSWORD

LANGUAGES = ["zh", "en", "ru"]
HTML_LANG = {"zh": "zh-CN", "en": "en", "ru": "ru"}
FILE_A_COMPLAINT = {"zh": "我要投诉", "en": "File a complaint", "ru": "Подать жалобу"}
SIGN_IN = {"zh": "登录", "en": "Sign in", "ru": "Войти"}
SIGN_OUT = {"zh": "退出登录", "en": "Sign out", "ru": "Выйти"}
TAX_HANDLER = {
    "zh": ("部门承办人员", "税务局"),
    "en": ("Department handler", "Tax Bureau"),
    "ru": ("Исполнитель ведомства", "Налоговое бюро"),
}
PAGE_NOT_FOUND = {"zh": "找不到该页面", "en": "Page not found", "ru": "Страница не найдена"}


def cookie(page: Page, name: str) -> dict:
    return next(each for each in page.context.cookies() if each["name"] == name)


def focused(page: Page) -> dict:
    """What has the keyboard focus, whether the focus is drawn, and the contrast of its text."""
    return page.evaluate("""() => {
        const element = document.activeElement;
        const style = getComputedStyle(element);
        const channels = (colour) => colour.match(/[\\d.]+/g).map(Number);
        const luminance = (colour) => {
            const [r, g, b] = channels(colour).slice(0, 3).map((value) => {
                const c = value / 255;
                return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        let contrast = null;
        const background = channels(style.backgroundColor);
        if (background.length < 4 || background[3] > 0) {  // an opaque focus background
            const [light, dark] = [luminance(style.color), luminance(style.backgroundColor)]
                .sort((a, b) => b - a);
            contrast = (light + 0.05) / (dark + 0.05);
        }
        return {
            tag: element.tagName.toLowerCase(),
            id: element.id,
            text: element.textContent.trim(),
            visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
                     || style.boxShadow !== "none",
            contrast: contrast,
        };
    }""")


def tab_to(page: Page, text: str, most: int = 30) -> None:
    """Press Tab until `text` has the focus; every stop on the way must show its focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["visible"], f"the focus on {now} cannot be seen"
        assert now["contrast"] is None or now["contrast"] >= 4.5, f"focused text is faint: {now}"
        if now["text"] == text:
            return
    pytest.fail(f"{most} presses of Tab never reached {text!r}")


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_landing_page_speaks_the_readers_language(new_page, screenshot, language):
    page = new_page(language)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.get_by_role("main").get_by_role("link", name=FILE_A_COMPLAINT[language])
           ).to_be_visible()
    screenshot(page, "landing")


def test_a_language_chosen_in_the_switcher_is_remembered_on_every_page(new_page):
    page = new_page("zh")
    page.goto("/")
    page.get_by_role("navigation", name="语言").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    remembered = cookie(page, "huiyin_lang")
    assert remembered["value"] == "en" and remembered["sameSite"] == "Lax"
    assert remembered["expires"] - time.time() > 364 * 24 * 3600

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Staff sign-in").click()
    expect(page).to_have_url(re.compile(r"/staff/sign-in$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_sign_in_with_a_demo_account_and_sign_out(new_page, screenshot, language):
    page = new_page(language)
    page.goto("/staff/sign-in")
    for field in page.locator("input:not([type=hidden])").all():
        assert field.evaluate("input => input.labels.length") == 1
    screenshot(page, "sign-in")
    page.locator("#username").fill("handler-TAX")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=SIGN_IN[language]).click()

    expect(page).to_have_url(re.compile(r"/staff$"))
    role, department = TAX_HANDLER[language]
    expect(page.get_by_test_id("staff-name")).to_have_text("handler-tax")
    expect(page.get_by_test_id("staff-role")).to_have_text(role)
    expect(page.get_by_test_id("staff-department")).to_contain_text(department)
    # A handler's work: the knowledge base and the queue.
    expect(page.get_by_role("main").get_by_role("link", name=re.compile("."))).to_have_count(2)
    screenshot(page, "staff-home")

    page.get_by_role("button", name=SIGN_OUT[language]).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_be_visible()
    screenshot(page, "signed-out")
    page.goto("/staff")
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next=/staff$"))


def test_a_wrong_password_is_told_beside_the_form(new_page, screenshot):
    page = new_page("ru")
    page.goto("/staff/sign-in")
    page.locator("#username").fill("intake")
    page.locator("#password").fill("not-the-password")
    page.get_by_role("button", name="Войти").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Неверное имя пользователя или пароль")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Ошибка: Вход для сотрудников"))
    expect(page.locator("#username")).to_have_value("intake")
    expect(page.locator("#password")).to_have_value("")
    screenshot(page, "sign-in-wrong-password")
    summary.get_by_role("link").click()
    expect(page.locator("#username")).to_be_focused()


def test_empty_fields_are_named_beside_each_field(new_page, screenshot):
    page = new_page("zh")
    page.goto("/staff/sign-in")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        ["请输入用户名", "请输入密码"]
    )
    expect(page.locator("#username")).to_have_attribute("aria-describedby", "username-error")
    expect(page.locator("#username-error")).to_contain_text("请输入用户名")
    screenshot(page, "sign-in-empty")


def test_the_session_cookie_is_http_only_and_same_site_lax(new_page, sign_in):
    page = new_page("en")
    sign_in(page, "supervisor")
    session = cookie(page, "huiyin_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert 7.9 * 3600 < session["expires"] - time.time() <= 8 * 3600
    assert "huiyin_session" not in page.evaluate("document.cookie")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_sent_without_its_csrf_token_gets_the_400_page(new_page, screenshot, language):
    page = new_page(language)
    page.goto("/staff/sign-in")
    page.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    page.locator("#username").fill("intake")
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation() as sent:
        page.get_by_role("button", name=SIGN_IN[language]).click()
    assert sent.value.status == 400
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        {"zh": "表单未能提交", "en": "The form could not be sent",
         "ru": "Не удалось отправить форму"}[language]
    )
    screenshot(page, "error-400-form")
    page.goto("/staff")
    expect(page).to_have_url(re.compile(r"/staff/sign-in"))  # nobody was signed in


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_address_gets_the_404_page(new_page, screenshot, language):
    page = new_page(language)
    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(PAGE_NOT_FOUND[language])
    screenshot(page, "error-404")


def test_the_keyboard_alone_reaches_the_sign_in_form_and_signs_in(new_page):
    page = new_page("en")
    page.goto("/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    tab_to(page, "Staff sign-in")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/staff/sign-in$"))
    # Loaded, not only reached: until the page has loaded, the browser may scroll to (and
    # focus) the fragment again, taking the focus back to <main> after the Tab below.
    page.wait_for_load_state("load")

    tab_to(page, "Skip to main content")
    page.keyboard.press("Enter")  # the skip link: the next Tab is inside <main>
    expect(page.locator("main")).to_be_focused()  # following the link is a task of its own
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "username"
    page.keyboard.type("auditor")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.get_by_test_id("staff-role")).to_have_text("Auditor")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_phone_sized_screen_needs_no_sideways_scrolling(new_page, screenshot, language):
    page = new_page(language, viewport={"width": 375, "height": 667}, is_mobile=True,
                    has_touch=True, device_scale_factor=2)
    for path, name in (("/", "landing-phone"), ("/staff/sign-in", "sign-in-phone"),
                       ("/no-such-page", "error-404-phone")):
        page.goto(path)
        assert not scrolls_sideways(page), path
        screenshot(page, name)
    page.set_viewport_size({"width": 360, "height": 640})
    for path in ("/", "/staff/sign-in"):
        page.goto(path)
        assert not scrolls_sideways(page), f"{path} at 360px"


def test_a_script_typed_as_the_username_comes_back_as_text(new_page):
    payload = '"><script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2">'
    page = new_page("en")
    page.goto("/staff/sign-in")
    page.locator("#username").fill(payload)
    page.locator("#password").fill("whatever")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#username")).to_have_value(payload)
    assert page.evaluate("window.pwned") is None
    assert page.locator("main script, main img").count() == 0


def test_the_api_docs_render_under_their_content_security_policy(new_page):
    page = new_page("en")
    response = page.goto("/docs")

    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Huiyin complaints API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.locator(".opblock-summary").first.click()  # an operation opens, with its schema
    expect(page.locator(".opblock-body").first).to_be_visible()
