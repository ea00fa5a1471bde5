"""axe-core over every page the app serves, as each reader sees it, in each language, on a desk
and on a phone; and the filer's words marked with the language they were written in.

axe-core comes from the npm registry with Chart.js (`make web-assets`, a devDependency that the
app never serves); each page gets it injected and runs `axe.run()`. The pages' Content Security
Policy refuses inline scripts, so these contexts bypass it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.exceptions import NotFound

from complaints.web import pages
from tests.browser.api import CREDIT_CODE, DemoApi
from tests.fixtures.processes import ROOT

AXE = ROOT / "services/complaints/web/assets/node_modules/axe-core/axe.min.js"
LANGUAGES = ["zh", "en", "ru"]
WIDTHS = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 667}}
# GET routes of the pages that answer with a file, not a page: nothing for axe to read.
FILES = {
    "/static/<path:filename>", "/favicon.ico", "/staff/audit/<reference>/export",
    "/staff/cases/<reference>/attachments/<sha256>", "/staff/dashboard/scorecards.csv",
    "/track/<reference>/personal-data.json", "/track/attachments/<sha256>",
}
RUSSIAN_SUBJECT = "Груз задержан на таможне две недели"


@dataclass(frozen=True)
class Cases:
    worked: str  # filed on the web in Russian, asked, answered, replied, rated badly, upheld
    access_code: str
    waiting: str  # filed at the hotline, not yet accepted


@pytest.fixture(scope="module")
def cases(server: str) -> Cases:
    api = DemoApi(server)
    filed = requests.post(f"{server}/api/v1/cases", timeout=30, json={
        "channel": "web", "category": "tax", "subject": RUSSIAN_SUBJECT,
        "description": "Партия сои ждёт на переходе с 3 ноября, никто не отвечает.",
        "filer": {"enterprise_name": "ООО «Амур Транзит»", "credit_code": CREDIT_CODE,
                  "contact_person": "Ирина Смирнова", "phone": "+7 914 555 0101",
                  "language": "ru"},
    }, headers={"Idempotency-Key": f"a11y-{time.time_ns()}"})
    assert filed.ok, filed.text
    worked, code = filed.json()["reference"], filed.json()["access_code"]
    filer = api.filer_token(worked, code)
    api.act("intake", worked, "accept")
    api.act("intake", worked, "assign")
    api.act("handler-TAX", worked, "information-requests", {"items": ["Номер декларации"]})
    api.post(f"/api/v1/cases/{worked}/information", filer,
             {"content": "Декларация № 10702030/031126/0012345."})
    api.act("handler-TAX", worked, "responses",
            {"outcome": "resolved", "reply": "Груз выпущен 20 ноября."})
    api.post(f"/api/v1/cases/{worked}/ratings", filer,
             {"score": 2, "comment": "Две недели потеряны, убытки никто не возместил."})
    api.act("supervisor", worked, "review", {"result": "upheld", "explanation": "确有延误。"})
    return Cases(worked, code, api.filed_case("海关查验后货物迟迟不能放行"))


def page_routes() -> set[str]:
    """Every GET route of the pages blueprint that answers with a page."""
    app = Flask("routes")
    app.register_blueprint(pages.blp)
    return {rule.rule for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.rule not in FILES}


def route_of(path: str) -> str | None:
    """The route that answers `path`; None for the 404 page."""
    app = Flask("routes")
    app.register_blueprint(pages.blp)
    try:
        rule, _ = app.url_map.bind("localhost").match(path.split("?")[0], return_rule=True)
    except NotFound:
        return None
    return rule.rule


class Scan:
    """One reader's tab: each page it opens is scanned, its violations kept to be told at once."""

    def __init__(self, page: Page, variant: str) -> None:
        self.page, self.variant = page, variant
        self.paths: list[str] = []
        self.violations: list[str] = []

    def open(self, path: str, ready: str | None = None) -> None:
        self.page.goto(path)
        if ready:
            self.page.locator(ready).first.wait_for()
        self.check(path)

    def check(self, path: str, state: str = "") -> None:
        """Scan the page as it is now: `path` is where it was opened, `state` what was done."""
        self.paths.append(path)
        where = f"{path} ({state})" if state else path
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact,
                targets: v.nodes.map(node => node.target.join(" ")),
            }));
        }""")
        for each in found:
            self.violations.append(f"{self.variant} {where}: {each['id']} ({each['impact']}) "
                                   f"at {', '.join(each['targets'][:5])}")


def wait_until_listed(page: Page, path: str, selector: str, seconds: float = 30) -> None:
    """`path`, once the projections process has indexed what `selector` finds."""
    deadline = time.monotonic() + seconds
    page.goto(path)
    while not page.locator(selector).count():
        assert time.monotonic() < deadline, f"{selector} never appeared on {path}"
        page.wait_for_timeout(300)
        page.reload()


def sign_in_as(page: Page, username: str, sign_in) -> None:
    page.context.clear_cookies()
    sign_in(page, username)


def scan_public_pages(scan: Scan, cases: Cases) -> None:
    page = scan.page
    scan.open("/")
    scan.open("/file")
    page.locator("button.filer-big-button").click()  # sent empty: the problems beside the fields
    page.get_by_role("alert").wait_for()
    scan.check("/file", "sent empty")
    page.locator("input[name=category][value=tax]").check()
    page.locator("#enterprise_name").fill("黑河市远东商贸有限公司")
    page.locator("#phone").fill("+86 456 823 1234")
    page.locator("#subject").fill("出口退税三个月未到账")
    page.locator("#description").fill("我公司一月申报出口退税，至今未到账。")
    page.locator("button.filer-big-button").click()
    page.get_by_test_id("access-code").wait_for()
    scan.check("/file/filed")
    scan.open("/track")
    page.locator("#reference").fill(cases.worked)
    page.locator("#access_code").fill(cases.access_code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/track/{cases.worked}")
    scan.check(f"/track/{cases.worked}")
    scan.open(f"/track/{cases.worked}/personal-data")
    scan.open("/staff/sign-in")
    scan.open("/no-such-page")


def scan_staff_pages(scan: Scan, cases: Cases, sign_in) -> None:
    page = scan.page
    sign_in_as(page, "intake", sign_in)
    scan.open("/staff")
    wait_until_listed(page, "/staff/intake", f"[data-testid=waiting-{cases.waiting}]")
    scan.check("/staff/intake")
    scan.open(f"/staff/intake/filed/{cases.waiting}")
    scan.open(f"/staff/cases/{cases.waiting}")
    scan.open("/staff/knowledge")
    scan.open("/staff/knowledge?text=出口退税")

    sign_in_as(page, "handler-TAX", sign_in)
    wait_until_listed(page, "/staff/queue?limit=100", f"[data-testid=row-{cases.worked}]")
    scan.check("/staff/queue")
    scan.open(f"/staff/cases/{cases.worked}")

    sign_in_as(page, "supervisor", sign_in)
    scan.open("/staff/queue?overdue=y")  # the filters, unfolded
    scan.open(f"/staff/cases/{cases.worked}")
    scan.open("/staff/dashboard", ready="[data-testid=chart-states] canvas")
    scan.open("/staff/dashboard/cases?state=filed")
    scan.open("/staff/dashboard/hot-issues")

    sign_in_as(page, "auditor", sign_in)
    scan.open("/staff/audit")
    scan.open(f"/staff/audit/{cases.worked}")
    scan.open(f"/staff/audit/{cases.worked}?at=2")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_nothing_on_any_page(new_page, sign_in, cases, language, width):
    assert AXE.exists(), f"no {AXE}: `make web-assets` installs axe-core from the npm registry"
    scan = Scan(new_page(language, viewport=WIDTHS[width], bypass_csp=True),
                f"{language}@{WIDTHS[width]['width']}px")
    scan_public_pages(scan, cases)
    scan_staff_pages(scan, cases, sign_in)

    assert not scan.violations, "axe-core found:\n" + "\n".join(scan.violations)
    forgotten = page_routes() - {route_of(path) for path in scan.paths}
    assert not forgotten, f"pages no scan opened: {sorted(forgotten)}"


def test_the_filers_words_carry_the_language_they_were_written_in(new_page, sign_in, cases):
    page = new_page("en")
    sign_in(page, "handler-TAX")
    wait_until_listed(page, "/staff/queue?limit=100", f"[data-testid=row-{cases.worked}]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    subject = page.get_by_test_id(f"row-{cases.worked}").get_by_text(RUSSIAN_SUBJECT)
    expect(subject).to_have_attribute("lang", "ru")

    page.goto(f"/staff/cases/{cases.worked}")
    expect(page.get_by_role("heading", level=1)).to_have_attribute("lang", "ru")
    expect(page.get_by_test_id("description")).to_have_attribute("lang", "ru")
    expect(page.get_by_text("Декларация № 10702030/031126/0012345.")).to_have_attribute(
        "lang", "ru")
