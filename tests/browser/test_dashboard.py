"""The supervisor's dashboard in a real browser, over a realistic history: twelve weeks of cases
worked through the application day by day with the watchdog sweeping each morning (time-machine),
and two months of the CFPB sample imported. Charts drawn from the vendored Chart.js, the tables
beside them, the cases behind a number, the CSV, phones, and the page without JavaScript."""

from __future__ import annotations

import csv
import random
import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from playwright.sync_api import Page, expect

from complaints import processes
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.readmodels.case_index import open_case_index
from complaints.settings import Settings
from complaints.timelimits.watchdog import Watchdog
from tests.browser.api import DEMO_PASSWORD, install_demo_password
from tests.fixtures.filing import filing_command
from tests.fixtures.processes import (
    BIN,
    ServerStartError,
    clean_environment,
    gunicorn_server,
)
from tests.fixtures.samples import CFPB_SAMPLE, cfpb_department
from tests.fixtures.stores import TEST_KEK

CITY = ZoneInfo("Asia/Shanghai")
LANGUAGES = ["zh", "en", "ru"]
CHARTS = ["states", "on-time", "satisfaction", "weekly", "breaches"]
INTAKE = Principal("intake", Role.INTAKE)
SUPERVISOR = Principal("supervisor", Role.SUPERVISOR)
CATEGORIES = ["tax", "tax", "cross_border_trade", "cross_border_trade", "licensing",
              "utilities", "policy_benefits", "business_registration", "land", "talent"]
CFPB_MONTHS = ("2023-08", "2023-09")
DASHBOARD = {"zh": "督办看板", "en": "Dashboard", "ru": "Панель контроля"}


# -- the history ------------------------------------------------------------------------------


class Timeline:
    """What happened, in order: each step runs with the clock at its moment (time-machine)."""

    def __init__(self, services, index) -> None:
        self.app = services.complaints
        self.routing = services.routing
        self.index = index
        self.settings = services.settings
        self.steps: list[tuple[datetime, int, object]] = []

    def at(self, moment: datetime, step) -> None:
        self.steps.append((moment, len(self.steps), step))

    def run(self, until: datetime) -> None:
        for moment, _, step in sorted(self.steps, key=lambda entry: entry[:2]):
            if moment < until:
                with time_machine.travel(moment, tick=False):
                    step()

    def sweep(self) -> None:
        """The watchdog's morning round, on the case index as it then stood."""
        processes.catch_up_projections(self.settings)
        Watchdog(self.app, self.index).sweep()


def plan_case(timeline: Timeline, rng: random.Random, filed_at: datetime) -> None:
    """One complaint and what became of it: referred, or dispatched (sometimes late), replied
    (sometimes late, sometimes not yet), rated, a bad review re-checked, closed."""
    app, case = timeline.app, {}
    category = rng.choice(CATEGORIES)
    handler = Principal("handler", Role.HANDLER, department=timeline.routing.propose(category).lead)

    def file() -> None:
        case["id"] = app.file_case(INTAKE, filing_command({
            "channel": rng.choice(["hotline", "window", "hotline", "letter"]),
            "category": category, "subject": "企业反映办事难",
            "description": "材料齐全但迟迟未办结。",
            "filer": {"enterprise_name": "黑河市远东贸易有限公司", "language": "zh"},
        })).case_id

    def act(command, *arguments, by=INTAKE):
        return lambda: command(by, case["id"], *arguments)

    timeline.at(filed_at, file)
    if rng.random() < 0.08:
        timeline.at(filed_at + timedelta(hours=2), act(app.refer_case, "非营商环境事项", "12315"))
        return
    accepted = filed_at + (timedelta(days=2, hours=3) if rng.random() < 0.15
                           else timedelta(hours=rng.choice([1, 3, 5])))
    timeline.at(accepted, act(app.accept_case))
    timeline.at(accepted + timedelta(minutes=10), act(app.assign_case))
    if rng.random() < 0.12:
        return  # still with the department
    replied = accepted + timedelta(days=rng.choice([2, 4, 6, 9, 13, 18, 26, 32]), hours=2)
    timeline.at(replied, act(app.respond, "resolved", "已协调办结。", by=handler))
    if rng.random() < 0.2:
        return  # nobody rated it
    score = rng.choice([5, 5, 5, 4, 4, 4, 3, 3, 2, 1])
    rated = replied + timedelta(days=1)
    timeline.at(rated, act(app.rate_case, score))
    if score <= 2:
        timeline.at(rated + timedelta(days=1),
                    act(app.conclude_review, False, "经核实已按规定办理。", by=SUPERVISOR))
    timeline.at(rated + timedelta(days=3), act(app.close_case))


def work_through_the_last_twelve_weeks(services, index, now: datetime) -> None:
    rng = random.Random(2026)
    timeline = Timeline(services, index)
    today = now.astimezone(CITY).date()
    day = today - timedelta(days=today.weekday(), weeks=11)
    while day < today:
        morning = datetime.combine(day, time(8), tzinfo=CITY)
        timeline.at(morning, timeline.sweep)
        if day.weekday() < 5:
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                plan_case(timeline, rng, morning + timedelta(hours=rng.randint(1, 8),
                                                             minutes=rng.randint(0, 59)))
        day += timedelta(days=1)
    timeline.run(until=now - timedelta(minutes=5))


def import_two_months_of_the_cfpb_sample(services, directory: Path) -> None:
    part = directory / "cfpb-part.csv"
    with CFPB_SAMPLE.open(encoding="utf-8-sig", newline="") as source, \
            part.open("w", encoding="utf-8", newline="") as target:
        rows = csv.DictReader(source)
        writer = csv.DictWriter(target, fieldnames=rows.fieldnames)
        writer.writeheader()
        writer.writerows(row for row in rows if row["Date received"].startswith(CFPB_MONTHS))
    mapping = load_mapping(shipped_mapping("cfpb-2023"), services.routing)
    report = import_file(services.complaints, part, mapping)
    assert report.rejected == [] and report.imported > 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own, over the history above, its read models caught up."""
    directory = tmp_path_factory.mktemp("dashboard-server")
    env = clean_environment()
    env.update({
        "HUIYIN_DEMO": "1",
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": "dashboard-secret-key-0123456789abcdefghij",
        "HUIYIN_DATA_DIR": str(directory / "var"),
        "HUIYIN_LOG_LEVEL": "WARNING",
        "HUIYIN_LOG_FORMAT": "text",
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
    })
    install_demo_password(directory / "var")
    # The tables and the demo accounts first, so the history's catch-up counts them too.
    subprocess.run([str(BIN / "huiyin"), "init"], env={**env, "HUIYIN_CREATE_TABLES": "1"},
                   check=True, capture_output=True, timeout=120)
    settings = Settings.from_env(env)
    services = build_services(settings)
    index = open_case_index(settings)
    try:
        work_through_the_last_twelve_weeks(services, index, datetime.now(UTC))
        import_two_months_of_the_cfpb_sample(services, directory)
        processes.catch_up_projections(settings)
        assert index.lag().behind == 0
    finally:
        index.close()
        services.close()
    with ExitStack() as stack:
        try:
            base = stack.enter_context(gunicorn_server(env, directory / "gunicorn.log"))
        except ServerStartError as error:
            pytest.fail(str(error), pytrace=False)
        yield base


@pytest.fixture(scope="module")
def api(server: str) -> requests.Session:
    """The JSON API, as the supervisor, to check the page against."""
    session = requests.Session()
    token = session.post(f"{server}/api/v1/auth/token",
                         json={"username": "supervisor", "password": DEMO_PASSWORD}).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return session


# -- what a page shows ------------------------------------------------------------------------


def painted_pixels(page: Page, name: str) -> int:
    """How many pixels of the chart's canvas are painted (a blank canvas has none)."""
    return page.locator(f"[data-testid=chart-{name}] canvas").evaluate("""canvas => {
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < pixels.data.length; i += 4) { if (pixels.data[i] > 0) painted++; }
        return painted;
    }""")


def column(page: Page, table: str, index: int) -> list[str]:
    return page.locator(f"[data-testid=table-{table}] tbody tr").evaluate_all(
        f"rows => rows.map(row => row.children[{index}].textContent.trim())")


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def period_of(page: Page) -> dict[str, str]:
    return {"from": page.locator("#from").input_value(), "to": page.locator("#to").input_value()}


def open_dashboard(new_page, sign_in, language: str = "en", path: str = "/staff/dashboard",
                   **options) -> tuple[Page, list[str]]:
    page = new_page(language, **options)
    served: list[str] = []
    page.on("response", lambda response: served.append(f"{response.status} {response.url}"))
    sign_in(page, "supervisor")
    page.goto(path)
    return page, served


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_panel_draws_its_chart_beside_its_table(new_page, sign_in, screenshot, server,
                                                     language):
    page, served = open_dashboard(new_page, sign_in, language)

    expect(page.get_by_role("heading", level=1)).to_have_text(DASHBOARD[language])
    for name in CHARTS:
        chart = page.get_by_test_id(f"chart-{name}")
        expect(chart).to_be_visible()
        canvas = chart.locator("canvas")
        expect(canvas).to_have_attribute("role", "img")
        assert len(canvas.get_attribute("aria-label")) > 20
        assert painted_pixels(page, name) > 2000, name
        expect(page.get_by_test_id(f"table-{name}")).to_be_visible()
    expect(page.get_by_test_id("lag")).to_have_count(0)  # the projections have caught up
    assert f"200 {server}/static/vendor/chart.umd.min.js" in served
    assert all(url.split(" ", 1)[1].startswith(server) for url in served)
    assert page.evaluate("typeof window.Chart") == "function"
    screenshot(page, "dashboard")


def test_the_tables_show_the_apis_scorecards(new_page, sign_in, server, api):
    page, _ = open_dashboard(new_page, sign_in)
    body = api.get(f"{server}/api/v1/scorecards", params=period_of(page)).json()

    cards = {card["department"]: card["figures"] for card in body["departments"]}
    departments = column(page, "on-time", 0)
    assert len(departments) == len(cards) + 1  # and the total
    received = [number(text) for text in column(page, "on-time", 1)]
    assert received == [cards[code]["received"]["value"] for code in cards] + [
        body["total"]["figures"]["received"]["value"]]
    assert sum(received[:-1]) <= received[-1]
    breaches = [text.split("/") for text in column(page, "breaches", 5)]  # all stages
    assert number(breaches[-1][0]) == body["total"]["figures"]["breaches"]["value"] > 0
    assert number(breaches[-1][1]) == body["total"]["figures"]["escalations"]["value"]
    states = [number(text) for text in column(page, "states", 1)]
    assert sum(states) == received[-1]
    weekly = [number(text) for text in column(page, "weekly", 1)]
    assert len(weekly) == 12 and sum(weekly) == received[-1]


def test_the_csv_downloaded_from_the_page_is_the_apis(new_page, sign_in, server, api, tmp_path):
    page, _ = open_dashboard(new_page, sign_in, "ru")
    with page.expect_download() as download:
        page.get_by_test_id("csv-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    from_api = api.get(f"{server}/api/v1/scorecards.csv", params=period_of(page))
    assert saved.read_bytes() == from_api.content
    assert download.value.suggested_filename == (
        "scorecards-{from}-{to}.csv".format(**period_of(page)))


def test_a_number_leads_to_the_cases_behind_it(new_page, sign_in, screenshot, server):
    page, _ = open_dashboard(new_page, sign_in, "zh")
    total = page.locator("[data-testid=table-breaches] tbody tr").last
    link = total.locator("td").nth(4).get_by_role("link").first  # breaches of every stage
    breaches = number(link.inner_text())
    link.click()

    expect(page).to_have_url(re.compile(r"/staff/dashboard/cases\?.*figure=breaches"))
    references = page.get_by_test_id("cases").locator("tbody a")
    expect(references).to_have_count(min(breaches, 100))
    assert re.fullmatch(r"/staff/cases/HY-\d{4}-\d{6}", references.first.get_attribute("href"))
    screenshot(page, "dashboard-cases")


def test_the_imported_cfpb_months_through_the_picker(new_page, sign_in, screenshot, server):
    page, _ = open_dashboard(new_page, sign_in, "en")
    page.locator("#from").fill("2023-08-01")
    page.locator("#to").fill("2023-09-30")
    page.locator("#department").select_option("FINSVC")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_test_id("dashboard-period")).to_contain_text(
        "August 1, 2023 to September 30, 2023, led by Financial Services Centre")
    expect(page.get_by_test_id("table-weekly").locator("tbody tr")).to_have_count(9)
    for name in CHARTS:
        expect(page.get_by_test_id(f"chart-{name}")).to_be_visible()
        assert painted_pixels(page, name) > 1000, name
    with CFPB_SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        rows = [row for row in csv.DictReader(source) if cfpb_department(row) == "FINSVC"
                and row["Date received"].startswith(CFPB_MONTHS)]
    assert number(column(page, "on-time", 1)[0]) == len(rows) > 20
    screenshot(page, "dashboard-cfpb")


def test_a_period_that_cannot_be_read_is_told_beside_the_picker(new_page, sign_in, screenshot,
                                                                 server):
    page, _ = open_dashboard(new_page, sign_in, "ru")
    page.locator("#from").fill("2026-10-01")
    page.locator("#to").fill("2026-09-01")
    page.get_by_role("button", name="Показать").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(page.locator("#to-error")).to_be_visible()
    expect(page.locator("#to")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("table-states")).to_have_count(0)
    screenshot(page, "dashboard-period-error")


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_phone_the_panels_stack_and_nothing_scrolls_sideways(new_page, sign_in, screenshot,
                                                                   server, language):
    page, _ = open_dashboard(new_page, sign_in, language, viewport={"width": 375, "height": 740},
                             is_mobile=True, has_touch=True, device_scale_factor=2)
    expect(page.get_by_test_id("chart-breaches")).to_be_visible()
    assert not scrolls_sideways(page)
    for name in CHARTS:
        chart = page.get_by_test_id(f"chart-{name}").bounding_box()
        table = page.get_by_test_id(f"table-{name}").locator("xpath=..").bounding_box()
        assert chart["width"] <= 375 and table["y"] >= chart["y"] + chart["height"], name
        assert painted_pixels(page, name) > 1000, name
    screenshot(page, "dashboard-phone")


def test_without_javascript_the_tables_say_it_all(new_page, sign_in, server):
    page = new_page("en", java_script_enabled=False)
    sign_in(page, "supervisor")
    page.goto("/staff/dashboard")
    for name in CHARTS:
        expect(page.get_by_test_id(f"chart-{name}")).to_be_hidden()
        expect(page.get_by_test_id(f"table-{name}")).to_be_visible()
    page.get_by_role("link", name="Last month").click()
    expect(page).to_have_url(re.compile(r"from=\d{4}-\d{2}-01&to="))
    assert date.fromisoformat(period_of(page)["from"]).day == 1
