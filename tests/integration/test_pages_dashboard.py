"""The supervisor's dashboard through Flask's test client: who may read it, the period picker,
every number in its tables against the scorecards and the cases behind it, the charts' data,
the CSV, and the weekly query it draws the trend from."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html import unescape
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask

from complaints import processes
from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.readmodels.case_index import filters
from complaints.readmodels.scorecards.figures import COUNTS
from complaints.timelimits.watchdog import Watchdog
from complaints.web.pages.dashboard import views as dashboard
from complaints.web.runtime import EXTENSION, SCORECARDS
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import STORES

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "services" / "complaints" / "web" / "assets"
CITY = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse battery staple"
INTAKE = Principal("intake-1", Role.INTAKE)
SUPERVISOR = Principal("supervisor-1", Role.SUPERVISOR)
# ISO weeks 37 to 42 of 2026; weeks 40 and 41 (the National Day holiday) receive nothing.
PERIOD = {"from": "2026-09-07", "to": "2026-10-18"}
FIRST, LAST = date(2026, 9, 7), date(2026, 10, 18)
CASES_LINK = re.compile(r'<a href="(/staff/dashboard/cases\?[^"]+)">([^<]*)</a>')
PAYLOAD = "<img src=x onerror=alert(1)><script>alert(1)</script>"


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest) -> str:
    """The pages on SQLite; the weekly query on both stores (parametrized indirectly)."""
    return request.param


def city(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CITY)


def handler(department: str) -> Principal:
    return Principal(f"handler-{department}", Role.HANDLER, department=department)


class History:
    """Cases driven through the application's commands at the moments they happened, and the
    watchdog run at chosen moments (time-machine), as it would have run then."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.app = runtime.services.complaints

    def file(self, when: datetime, category: str = "tax"):
        return self.app.file_case(INTAKE, filing_command({
            "channel": "hotline", "category": category,
            "subject": "出口退税迟迟未到账", "description": "我公司三月申请出口退税，至今未到账。",
            "filer": {"enterprise_name": "黑河市远东贸易有限公司"},
        }, occurred_at=when))

    def dispatch(self, filing, when: datetime) -> None:
        self.app.accept_case(INTAKE, filing.case_id, occurred_at=when)
        self.app.assign_case(INTAKE, filing.case_id, occurred_at=when)

    def reply(self, filing, department: str, when: datetime) -> None:
        self.app.respond(handler(department), filing.case_id, "resolved", "已办结",
                         occurred_at=when)

    def rate(self, filing, score: int, when: datetime) -> None:
        self.app.rate_case(INTAKE, filing.case_id, score, occurred_at=when)

    def watchdog_at(self, moment: datetime) -> None:
        with time_machine.travel(moment, tick=False):
            self.catch_up()
            Watchdog(self.app, self.runtime.case_index).sweep()

    def catch_up(self) -> None:
        processes.catch_up_projections(self.runtime.services.settings)


@pytest.fixture
def runtime(app: Flask):
    return app.extensions[EXTENSION]


@pytest.fixture
def history(runtime, supervisor) -> dict:
    """Eight cases over September and October 2026, with breaches the watchdog recorded; made
    after the supervisor's account, so that the read models caught up at its end are past
    every event and the pages do not wait for them."""
    h = History(runtime)
    good = h.file(city(9, 7, 9))
    h.dispatch(good, city(9, 7, 10))
    late = h.file(city(9, 8, 9))
    h.watchdog_at(city(9, 10, 9))  # the accept stage of `late` ended with 9 September
    h.dispatch(late, city(9, 10))
    h.reply(good, "TAX", city(9, 10))
    h.rate(good, 5, city(9, 11))
    customs = h.file(city(9, 15), "cross_border_trade")
    h.dispatch(customs, city(9, 15, 11))
    h.reply(customs, "CUSTOMS", city(9, 18))
    h.rate(customs, 3, city(9, 19))
    forgotten = h.file(city(9, 22), "licensing")
    h.dispatch(forgotten, city(9, 22, 11))
    referred = h.file(city(9, 23))
    h.app.refer_case(INTAKE, referred.case_id, "not ours", "12315", occurred_at=city(9, 23, 11))
    unaccepted = h.file(city(10, 12, 9))
    waiting = h.file(city(10, 13, 9))
    h.dispatch(waiting, city(10, 13, 10))
    h.app.request_information(handler("TAX"), waiting.case_id, ["出口报关单"],
                              occurred_at=city(10, 14))
    h.watchdog_at(city(10, 28, 12))  # replies of `late` and `forgotten`, `unaccepted`'s accept
    h.reply(late, "TAX", city(10, 30))
    h.rate(late, 2, city(11, 2))
    after = h.file(city(10, 19, 9))  # the Monday after the period
    h.catch_up()
    return {"good": good, "late": late, "customs": customs, "forgotten": forgotten,
            "referred": referred, "unaccepted": unaccepted, "waiting": waiting, "after": after}


class Reader:
    """A member of staff using the pages through a client that keeps its cookies."""

    def __init__(self, app: Flask, username: str) -> None:
        self.client = app.test_client()
        role, _, department = username.partition("-")
        directory = app.extensions[EXTENSION].services.staff
        directory.register(username, PASSWORD, role, department or None)
        page = self.client.get("/staff/sign-in")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        signed_in = self.client.post("/staff/sign-in", data={
            "csrf_token": token.group(1), "username": username, "password": PASSWORD})
        assert signed_in.status_code == 303

    def get(self, path: str, query: dict | None = None, lang: str = "en"):
        """`path` may carry its own query (a link followed), or take `query`."""
        if "?" in path:
            return self.client.get(f"{path}&lang={lang}")
        return self.client.get(path, query_string={**(query or {}), "lang": lang})


@pytest.fixture
def supervisor(app) -> Reader:
    return Reader(app, "supervisor")


@pytest.fixture
def scorecards(app):
    return app.extensions[SCORECARDS]


def html(reply) -> str:
    return reply.get_data(as_text=True)


def number(text: str) -> int:
    """A count as the page shows it in any locale ("1,234", "1 234")."""
    return int(re.sub(r"\D", "", text))


def links_to_cases(page: str) -> Iterator[tuple[str, dict[str, str], int]]:
    for href, text in CASES_LINK.findall(page):
        href = unescape(href)
        query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
        yield href, query, number(text)


def chart_data(page: str, name: str) -> dict:
    block = re.search(
        rf'<script type="application/json" id="chart-data-{name}">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


# -- who may read it --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/dashboard", "/staff/dashboard/cases",
                                  "/staff/dashboard/scorecards.csv"])
@pytest.mark.parametrize("username", ["handler-TAX", "intake"])
def test_handlers_and_intake_staff_get_the_403_page(app, path, username):
    reader = Reader(app, username)
    reply = reader.get(path, {**PERIOD, "figure": "received"})
    assert reply.status_code == 403
    assert reply.mimetype == "text/html"
    assert "You cannot open this page" in html(reply)
    assert "data-table" not in html(reply) and "from,to,department" not in html(reply)


@pytest.mark.parametrize("username", ["supervisor", "auditor"])
def test_supervisors_and_auditors_read_the_dashboard(app, username):
    reply = Reader(app, username).get("/staff/dashboard", PERIOD)
    assert reply.status_code == 200
    assert "<h1>Dashboard</h1>" in html(reply)


def test_a_stranger_is_sent_to_sign_in_and_back(client):
    reply = client.get("/staff/dashboard/cases", query_string={**PERIOD, "figure": "received"})
    assert reply.status_code == 302
    target = parse_qs(urlsplit(reply.headers["Location"]).query)["next"][0]
    assert target.startswith("/staff/dashboard/cases?from=2026-09-07")


# -- the period -------------------------------------------------------------------------------


def test_without_a_period_it_shows_the_last_twelve_weeks_of_every_department(app):
    with time_machine.travel(city(10, 21, 15), tick=False):  # a Wednesday
        page = html(Reader(app, "supervisor").get("/staff/dashboard"))
    assert 'id="from" name="from" type="date" value="2026-08-03"' in page  # a Monday
    assert 'id="to" name="to" type="date" value="2026-10-21"' in page
    assert '<option selected value="">All departments</option>' in page
    weeks = re.findall(r"Week (\d+) of 2026", page)
    assert weeks == [str(week) for week in range(32, 44)]
    for label, first, last in (("This month", "2026-10-01", "2026-10-21"),
                               ("Last month", "2026-09-01", "2026-09-30"),
                               ("This year", "2026-01-01", "2026-10-21")):
        assert f'href="/staff/dashboard?from={first}&amp;to={last}">{label}</a>' in page


@pytest.mark.parametrize(("query", "field_id", "message"), [
    ({"from": "2026-10-01", "to": "2026-09-30"}, "to",
     "The last day cannot be before the first day"),
    ({"from": "2026-13-01", "to": "2026-10-01"}, "from",
     "Enter the first day as a date, such as 2026-03-01"),
    ({"from": "", "to": "2026-10-01"}, "from", "Enter the first day of the period"),
    ({"from": "2026-10-01"}, "to", "Enter the last day of the period"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "to", "Choose a period of at most 5 years"),
    ({"from": "1969-12-31", "to": "1970-01-05"}, "from", "Choose a day between 1970 and 2100"),
    ({**PERIOD, "department": "NOPE"}, "department", "Choose a department from the list"),
])
def test_a_period_that_cannot_be_read_is_explained_beside_the_picker(
    supervisor, query, field_id, message
):
    reply = supervisor.get("/staff/dashboard", query)
    page = html(reply)
    assert reply.status_code == 422
    assert field_error(page, field_id) == f"Error: {message}"
    assert f'<a href="#{field_id}">{message}</a>' in page  # the summary links to the field
    assert page.count('class="error-message"') == 1
    assert "<title>Error: Dashboard" in page
    assert 'data-testid="table-states"' not in page  # no numbers for a period not understood


def test_the_problem_is_told_in_the_readers_language(supervisor):
    page = html(supervisor.get("/staff/dashboard", {"from": "2026-10-01", "to": "2026-09-01"},
                               lang="ru"))
    assert field_error(page, "to") != ""
    assert re.search("[а-я]", field_error(page, "to"))


def test_what_was_typed_into_the_period_comes_back_as_text(supervisor):
    reply = supervisor.get("/staff/dashboard", {"from": PAYLOAD, "to": PAYLOAD})
    page = html(reply)
    assert reply.status_code == 422
    assert PAYLOAD not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;" in page


def test_the_csv_and_the_cases_pages_refuse_a_bad_period_beside_the_picker(supervisor):
    for path in ("/staff/dashboard/scorecards.csv", "/staff/dashboard/cases"):
        reply = supervisor.get(path, {"from": "2026-10-01", "to": "2026-09-01",
                                      "figure": "received"})
        assert reply.status_code == 422
        assert field_error(html(reply), "to")


# -- the numbers ------------------------------------------------------------------------------


def expected_number(query: dict[str, str], scorecards, runtime) -> int:
    first, last = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
    department = query.get("department")
    if "state" in query:
        return runtime.case_index.search(status=query["state"], filed_from=first,
                                         filed_to=last, department=department, limit=1).total
    figure = query["figure"]
    if figure not in COUNTS:  # a rate: the count of its numerator's cases
        return len(scorecards.cases_behind(figure, first, last + timedelta(days=1), department))
    report = scorecards.scorecard(first, last + timedelta(days=1), department)
    card = report.total if department is None else report.departments[0]
    assert card.department == department
    return card.figures[figure]


def test_every_number_in_the_tables_is_the_scorecards_and_lists_its_cases(
    history, supervisor, scorecards, runtime
):
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    links = list(links_to_cases(page))

    figures = {query.get("figure") or query["state"] for _, query, _ in links}
    assert {"received", "replied_cases", "accepted_on_time", "replied_on_time", "ratings",
            "satisfaction_rate", "breaches_reply", "escalations_accept", "assigned"} <= figures
    nonzero = 0
    for href, query, shown in links:
        assert shown == expected_number(query, scorecards, runtime), href
        listing = html(supervisor.get(href))
        assert f"Cases behind this number: {shown}<" in listing, href
        references = re.findall(r'<a href="/staff/cases/(HY-\d{4}-\d{6})"', listing)
        assert len(references) == shown, href
        nonzero += bool(shown)
    assert nonzero > 20


def test_a_states_cases_are_counted_exactly_past_a_pages_counting_bound(history, supervisor,
                                                                      monkeypatch):
    monkeypatch.setattr(filters, "COUNTED_UP_TO", 0)  # every page's count says only "more"
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    states = [(href, shown) for href, query, shown in links_to_cases(page)
              if "state" in query and shown]

    assert states
    for href, shown in states:
        assert f"Cases behind this number: {shown}<" in html(supervisor.get(href)), href


def test_the_tables_count_the_cases_of_the_history(history, supervisor):
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    shown = {(query.get("figure") or query["state"], query.get("department")): value
             for _, query, value in links_to_cases(page)
             if (query["from"], query["to"]) == (PERIOD["from"], PERIOD["to"])}
    assert shown[("received", None)] == 7  # not the case filed the Monday after
    assert shown[("filed", None)] == 1 and shown[("awaiting_information", None)] == 1
    assert shown[("referred", None)] == 1
    assert shown[("breaches_accept", "TAX")] == 1  # `late`
    assert shown[("breaches_accept", None)] == 2  # and `unaccepted`, of no department yet
    assert shown[("breaches_reply", "TAX")] == 1 and shown[("breaches_reply", "SAMR")] == 1
    assert shown[("escalations", None)] == shown[("breaches", None)] == 4
    assert shown[("satisfaction_rate", "CUSTOMS")] == shown[("ratings", "CUSTOMS")] == 1
    assert shown[("rated_bad", "TAX")] == 1


def test_time_to_reply_is_shown_in_working_and_calendar_days_with_how_it_is_counted(
        history, supervisor, scorecards):
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    table = page.split('data-testid="table-reply-time"')[1].split("</table>")[0]
    total = table.split('class="data-table__total"')[1]
    figures = scorecards.scorecard(date(2026, 9, 7), date(2026, 10, 19)).total.figures

    # `late`: assigned Saturday 10 October, replied Friday 30 October.
    cells = [cell.split("<")[0] for cell in total.split('<td class="num">')[2:]]
    assert cells == [str(figures[code]).replace(".0", "") for code in (
        "time_to_reply_median", "time_to_reply_calendar_median",
        "time_to_reply_p90", "time_to_reply_calendar_p90")]
    assert figures["time_to_reply_calendar_p90"] > figures["time_to_reply_p90"]
    assert "How these figures are counted" in page and "official calendar" in page


def test_weeks_are_named_with_their_year_when_the_period_spans_years(supervisor):
    page = html(supervisor.get("/staff/dashboard", {"from": "2025-12-22", "to": "2026-01-11"}))
    weekly = json.loads(page.split('id="chart-data-weekly">')[1].split("</script>")[0])

    assert weekly["labels"] == ["Dec 22, 2025", "Dec 29, 2025", "Jan 5, 2026"]


def test_the_charts_are_given_the_numbers_of_the_tables(history, supervisor, scorecards,
                                                        runtime):
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    report = scorecards.scorecard(FIRST, LAST + timedelta(days=1))
    weeks = scorecards.weekly(FIRST, LAST + timedelta(days=1))

    states = chart_data(page, "states")
    assert states["series"][0]["values"] == [
        expected_number({**PERIOD, "state": state}, scorecards, runtime)
        for state in ("filed", "accepted", "referred", "assigned", "awaiting_information",
                      "responded", "closed")]
    on_time = chart_data(page, "on-time")
    assert on_time["labels"] == ["Customs", "Market Regulation Administration", "Tax Bureau"]
    assert [series["values"] for series in on_time["series"]] == [
        [card.figures[rate] for card in report.departments]
        for rate in ("accepted_on_time_rate", "replied_on_time_rate")]
    satisfaction = chart_data(page, "satisfaction")
    assert satisfaction["labels"] == on_time["labels"]
    assert satisfaction["notes"] == ["valid ratings: 1", "valid ratings: 0", "valid ratings: 2"]
    assert "Customs (valid ratings: 1): 100%;" in satisfaction["summary"]
    assert satisfaction["series"][0]["values"] == [1.0, None, 0.5]
    weekly = chart_data(page, "weekly")
    assert [series["values"] for series in weekly["series"]] == [
        [week.figures[figure] for week in weeks] for figure in ("received", "replied_cases")]
    breaches = chart_data(page, "breaches")
    assert breaches["labels"] == on_time["labels"]
    assert breaches["stacks"] == {"breaches": "Breaches", "escalations": "Escalations"}
    assert [(series["key"], series["stack"]) for series in breaches["series"]] == [
        (f"{kind}-{stage}", kind) for kind in ("breaches", "escalations")
        for stage in ("accept", "reply", "rectify", "return_visit")]
    by_key = {series["key"]: series["values"] for series in breaches["series"]}
    assert by_key["breaches-accept"] == by_key["escalations-accept"] == [0, 0, 1]  # TAX's
    assert by_key["breaches-reply"] == [0, 1, 1]  # SAMR's forgotten case, TAX's late one
    assert ("Tax Bureau: Breaches: accept and dispatch 1, Breaches: reply 1, "
            "Escalations: accept and dispatch 1, Escalations: reply 1." in breaches["summary"])


def test_the_chart_data_is_a_json_block_no_browser_runs_as_a_script(history, supervisor):
    reply = supervisor.get("/staff/dashboard", PERIOD)
    page = html(reply)
    scripts = re.findall(r"<script([^>]*)>", page)
    assert sum(' type="application/json" ' in attributes for attributes in scripts) == 5
    executable = [attributes for attributes in scripts if "application/json" not in attributes]
    assert all(' src="/static/' in attributes for attributes in executable)
    assert ' src="/static/vendor/chart.umd.min.js" defer' in executable
    assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    assert "<canvas role=\"img\" aria-label=\"Cases by state. Filed, not yet accepted: 1;" in page


def test_one_department_is_shown_alone(history, supervisor, scorecards):
    page = html(supervisor.get("/staff/dashboard", {**PERIOD, "department": "TAX"}))
    report = scorecards.scorecard(FIRST, LAST + timedelta(days=1), "TAX")
    assert "led by Tax Bureau" in page
    assert chart_data(page, "on-time")["labels"] == ["Tax Bureau"]
    assert "All cases" not in page  # the total of every department is not this department's
    for _, query, value in links_to_cases(page):
        assert query.get("department") == "TAX"
        if query.get("figure") in COUNTS and query["from"] == PERIOD["from"] \
                and query["to"] == PERIOD["to"]:
            assert value == report.departments[0].figures[query["figure"]]


def test_the_lag_is_shown_while_the_read_models_are_behind(history, supervisor, runtime):
    History(runtime).catch_up()  # past the supervisor's account, which shares the log
    assert 'data-testid="lag"' not in html(supervisor.get("/staff/dashboard", PERIOD))
    History(runtime).file(city(9, 30))
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    assert re.search(r'data-testid="lag">Recorded changes not yet counted in these figures: 1\.',
                     page)
    History(runtime).catch_up()
    assert 'data-testid="lag"' not in html(supervisor.get("/staff/dashboard", PERIOD))


# -- the cases behind a number ----------------------------------------------------------------


def test_the_cases_behind_a_number_link_to_each_cases_page(history, supervisor):
    listing = html(supervisor.get("/staff/dashboard/cases",
                                  {**PERIOD, "figure": "breaches", "department": "TAX"}))
    assert "Cases behind this number: 2<" in listing  # one case, two stages
    assert f'<a href="/staff/cases/{history["late"].reference}" class="code">' in listing
    assert "stage: accept and dispatch" in listing and "stage: reply" in listing
    assert 'href="/staff/dashboard?from=2026-09-07&amp;to=2026-10-18&amp;department=TAX' in \
        listing


def test_a_long_list_of_cases_comes_in_pages(history, supervisor, monkeypatch):
    monkeypatch.setattr(dashboard, "CASES_PER_PAGE", 3)
    first = html(supervisor.get("/staff/dashboard/cases", {**PERIOD, "figure": "received"}))
    after = re.search(r'<a href="([^"]+)" rel="next">', first).group(1)
    second = html(supervisor.get(unescape(after), lang="en"))
    seen = [re.findall(r"/staff/cases/(HY-[\d-]+)", page) for page in (first, second)]
    assert len(seen[0]) == len(seen[1]) == 3 and not set(seen[0]) & set(seen[1])
    assert 'rel="prev"' in second


@pytest.mark.parametrize("query", [{"figure": "happiness"}, {"state": "lost"}, {},
                                   {"figure": "received", "state": "filed"},
                                   {"figure": "received", "offset": "-3"}])
def test_the_cases_behind_something_that_is_not_a_number_here_are_not_found(supervisor, query):
    assert supervisor.get("/staff/dashboard/cases", {**PERIOD, **query}).status_code == 404


@pytest.mark.parametrize("store", STORES, indirect=True)
@pytest.mark.parametrize("query", [{"state": "filed"}, {"figure": "received"}])
@pytest.mark.parametrize("offset", [2**63, 2**64])
def test_a_page_past_any_list_is_not_found_on_either_store(supervisor, query, offset):
    """SQLite's and PostgreSQL's OFFSET are 64-bit: a larger one must never reach them."""
    reply = supervisor.get("/staff/dashboard/cases",
                           {"from": "2026-12-01", "to": "2026-12-31", **query, "offset": offset})

    assert reply.status_code == 404


# -- the CSV ----------------------------------------------------------------------------------


def test_the_csv_of_the_page_is_the_apis(history, app, supervisor):
    api = app.test_client()
    token = api.post("/api/v1/auth/token", json={"username": "supervisor",
                                                 "password": PASSWORD}).json["access_token"]
    for query in (PERIOD, {**PERIOD, "department": "TAX"}):
        from_api = api.get("/api/v1/scorecards.csv", query_string=query,
                           headers={"Authorization": f"Bearer {token}"})
        from_page = supervisor.get("/staff/dashboard/scorecards.csv", query)
        assert from_page.status_code == from_api.status_code == 200
        assert from_page.get_data() == from_api.get_data()
        assert from_page.mimetype == "text/csv"
        assert from_page.headers["Content-Disposition"] == (
            f'attachment; filename="scorecards-{query["from"]}-{query["to"]}.csv"')
    page = html(supervisor.get("/staff/dashboard", PERIOD))
    assert ('href="/staff/dashboard/scorecards.csv?from=2026-09-07&amp;to=2026-10-18" '
            "download") in page


# -- the chart library ------------------------------------------------------------------------


def test_the_chart_library_is_the_lockfiles_served_from_this_site(client):
    """`make` installs it with `npm ci` (the lockfile's version and integrity hash); a vendored
    file left from another version of the lockfile would be caught here."""
    lock = json.loads((ASSETS / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/chart.js"]
    assert locked["integrity"].startswith("sha512-") and locked["license"] == "MIT"
    assert json.loads((ASSETS / "package.json").read_text())["dependencies"] == {
        "chart.js": locked["version"]}
    served = client.get("/static/vendor/chart.umd.min.js")
    assert served.status_code == 200
    assert served.mimetype in ("text/javascript", "application/javascript")
    assert served.get_data(as_text=True).startswith(f"/*!\n * Chart.js v{locked['version']}\n")
    licence = client.get("/static/vendor/chart.js-LICENSE.md").get_data(as_text=True)
    assert "MIT License" in licence and "Chart.js Contributors" in licence


# -- the weekly query -------------------------------------------------------------------------


@pytest.mark.parametrize("store", STORES, indirect=True)
@pytest.mark.parametrize(("first", "end"), [(FIRST, date(2026, 10, 19)),
                                            (date(2026, 9, 9), date(2026, 10, 15))])
@pytest.mark.parametrize("department", [None, "TAX"])
def test_each_week_is_the_scorecard_of_its_days(history, scorecards, first, end, department):
    weeks = scorecards.weekly(first, end, department)

    assert [(week.year, week.week) for week in weeks] == [(2026, n) for n in range(37, 43)]
    assert weeks[0].starts == datetime(first.year, first.month, first.day, tzinfo=CITY)
    assert weeks[-1].ends == datetime(end.year, end.month, end.day, tzinfo=CITY)
    for week, following in pairwise(weeks):
        assert week.ends == following.starts
        assert following.starts.astimezone(CITY).weekday() == 0
    for week in weeks:
        report = scorecards.scorecard(week.starts, week.ends, department)
        card = report.departments[0] if department else report.total
        assert week.figures == card.figures, (week.week, department)
    assert [week.figures["received"] for week in weeks][3:5] == [0, 0]  # National Day weeks
    whole = scorecards.scorecard(first, end, department)
    total = whole.departments[0] if department else whole.total
    assert sum(week.figures["received"] for week in weeks) == total.figures["received"]
    assert sum(week.figures["breaches"] for week in weeks) == total.figures["breaches"]


@pytest.mark.parametrize("store", STORES, indirect=True)
def test_a_week_is_counted_on_the_citys_calendar(runtime, scorecards):
    # 23:30 on a Sunday in the city is still that week; 00:10 on the Monday is the next.
    History(runtime).file(city(9, 13, 23) + timedelta(minutes=30))
    History(runtime).file(city(9, 14, 0) + timedelta(minutes=10))
    History(runtime).catch_up()
    weeks = scorecards.weekly(FIRST, date(2026, 9, 21))
    assert [(week.week, week.figures["received"]) for week in weeks] == [(37, 1), (38, 1)]
    assert scorecards.weekly(FIRST, FIRST) == []
