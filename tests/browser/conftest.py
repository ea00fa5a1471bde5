"""A real browser: Debian's chromium, driven by Playwright, against the app under gunicorn.

Nothing is downloaded: Playwright launches /usr/bin/chromium (`make test-browser` installs it).
Every request a page makes to anywhere but the server is refused and fails its test, as is any
script error. Screenshots land in var/screenshots/<lang>/<name>.png.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.api import DEMO_PASSWORD, install_demo_password
from tests.fixtures.processes import (
    BIN,
    ROOT,
    ServerStartError,
    ServiceProcess,
    clean_environment,
    gunicorn_server,
)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"
# What each reader's browser says it speaks (Accept-Language, navigator.language).
BROWSER_LOCALES = {"zh": "zh-CN", "en": "en-US", "ru": "ru-RU"}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn with two workers on a loopback port, with the demo staff accounts."""
    directory = tmp_path_factory.mktemp("browser-server")
    env = clean_environment()
    env.update({
        "HUIYIN_DEMO": "1",  # `huiyin init` creates intake, supervisor, auditor, handler-<DEPT>
        "HUIYIN_SECRET_KEY": "browser-secret-key-0123456789abcdefghij",
        "HUIYIN_DATA_DIR": str(directory / "var"),
        "HUIYIN_LOG_LEVEL": "WARNING",
        "HUIYIN_LOG_FORMAT": "text",
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
    })
    install_demo_password(directory / "var")
    with ExitStack() as stack:
        try:
            base = stack.enter_context(gunicorn_server(env, directory / "gunicorn.log"))
        except ServerStartError as error:
            pytest.fail(str(error), pytrace=False)
        # The read models (queues, search, recent cases) kept current, as `make run` does.
        projections = ServiceProcess(
            "projections", [str(BIN / "huiyin"), "projections", "run"],
            {**env, "HUIYIN_CREATE_TABLES": "0"}, directory,
        ).start()
        stack.callback(projections.stop)
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        except PlaywrightError as error:
            # Never a skip, on CI or off it: a browser tier that did not run must not pass.
            pytest.fail(
                f"Debian's chromium did not start from {CHROMIUM}: `make test-browser` installs "
                f"it (apt-get install chromium fonts-noto-cjk).\n{error}",
                pytrace=False,
            )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, server: str) -> Iterator[Callable[..., Page]]:
    """new_page("ru") → a tab of a reader whose browser speaks Russian, on a fresh profile.

    Keyword options go to Playwright's new_context (viewport, is_mobile, …); page.goto("/")
    is relative to the server.
    """
    contexts = []
    strays: list[str] = []
    script_errors: list[str] = []

    def refuse(route) -> None:
        strays.append(route.request.url)
        route.abort()

    def open_page(language: str = "zh", **options) -> Page:
        context = browser.new_context(
            locale=BROWSER_LOCALES[language], base_url=server, **options
        )
        contexts.append(context)
        context.route(lambda url: not url.startswith(server), refuse)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.on("console", note_error)
        return page

    def note_error(message) -> None:
        # An error page's own status is logged as "Failed to load resource"; that is expected.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            script_errors.append(message.text)

    yield open_page
    for context in contexts:
        context.close()
    assert not strays, f"pages reached beyond the server: {strays}"
    assert not script_errors, f"script errors or refused content: {script_errors}"


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """screenshot(page, "landing") → var/screenshots/<the page's language>/landing.png."""

    def take(page: Page, name: str) -> Path:
        language = page.evaluate("document.documentElement.lang").split("-")[0] or "unknown"
        path = SCREENSHOTS / language / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """sign_in(page, "handler-TAX") → signed in through the form, on the workspace page."""

    def sign_in_as(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/staff/sign-in")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.locator("form[action^='/staff/sign-in'] button[type=submit]").click()
        page.wait_for_url("**/staff")

    return sign_in_as
