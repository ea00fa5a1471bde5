"""First-dispatch accuracy on each store: per department and overall, exact, naming its cases."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from complaints.application.principals import Principal
from complaints.domain.values import Role
from tests.fixtures.filing import filing_command
from tests.integration.test_pages_staff import Desk

CITY = ZoneInfo("Asia/Shanghai")
INTAKE = Principal("intake-1", Role.INTAKE)
MAY = {"from": "2026-05-01", "to": "2026-05-31"}


def city(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=CITY)


def handler(department: str) -> Principal:
    return Principal(f"handler-{department}", Role.HANDLER, department=department)


@pytest.fixture
def may(runtime) -> dict:
    """Five cases of May 2026: two TAX cases right first time, one sent on from TAX to
    CUSTOMS, one bounced back to intake and sent to TAX again, one referred (never assigned)."""
    app = runtime.services.complaints

    def filed(day: int, category: str = "tax"):
        return app.file_case(INTAKE, filing_command({
            "channel": "hotline", "category": category, "subject": "出口退税迟迟未到账",
            "description": "我公司申请出口退税，至今未到账。",
            "filer": {"enterprise_name": "黑河市远东贸易有限公司"}}, occurred_at=city(day, 9)))

    def dispatched(day: int):
        case = filed(day)
        app.accept_case(INTAKE, case.case_id, occurred_at=city(day))
        app.assign_case(INTAKE, case.case_id, occurred_at=city(day))
        return case

    first, second = dispatched(4), dispatched(5)
    onward = dispatched(6)
    app.transfer_case(handler("TAX"), onward.case_id, "CUSTOMS", "报关事项", occurred_at=city(7))
    bounced = dispatched(8)
    app.transfer_case(handler("TAX"), bounced.case_id, None, "退回分办", occurred_at=city(9))
    app.assign_case(INTAKE, bounced.case_id, "TAX", occurred_at=city(11))
    referred = filed(12)
    app.refer_case(INTAKE, referred.case_id, "not ours", "12315", occurred_at=city(12, 11))
    return {"first": first, "second": second, "onward": onward, "bounced": bounced}


def figures(card: dict) -> dict:
    return {code: figure["value"] for code, figure in card["figures"].items()}


def test_first_dispatch_accuracy_per_department_and_overall(may, event_store, staff):
    event_store.catch_up()
    supervisor = staff.login("supervisor")

    body = supervisor.get("/api/v1/scorecards", query_string=MAY).json
    cards = {card["department"]: figures(card) for card in body["departments"]}
    total = figures(body["total"])

    assert (cards["TAX"]["first_dispatch_final"], cards["TAX"]["dispatched"]) == (2, 3)
    assert cards["TAX"]["first_dispatch_accuracy"] == round(2 / 3, 4)
    assert (cards["CUSTOMS"]["first_dispatch_final"], cards["CUSTOMS"]["dispatched"]) == (0, 1)
    assert cards["CUSTOMS"]["first_dispatch_accuracy"] == 0.0
    assert (total["first_dispatch_final"], total["dispatched"]) == (2, 4)
    assert total["first_dispatch_accuracy"] == 0.5
    rate = body["total"]["figures"]["first_dispatch_accuracy"]
    assert (rate["numerator"], rate["denominator"]) == (["first_dispatch_final"], "dispatched")


def test_the_cases_behind_it_are_those_right_first_time(may, event_store, staff):
    event_store.catch_up()
    supervisor = staff.login("supervisor")

    listed = supervisor.get("/api/v1/scorecards/cases",
                            query_string={**MAY, "figure": "first_dispatch_accuracy"}).json
    dispatched = supervisor.get("/api/v1/scorecards/cases",
                                query_string={**MAY, "figure": "dispatched"}).json

    assert {item["reference"] for item in listed["items"]} == {
        may["first"].reference, may["second"].reference}
    assert dispatched["total"] == 4


def test_the_csv_has_the_figures_beside_the_others(may, event_store, staff):
    event_store.catch_up()

    reply = staff.login("supervisor").get("/api/v1/scorecards.csv", query_string=MAY)
    rows = {row["department"]: row for row in csv.DictReader(io.StringIO(reply.text))}

    assert (rows["TAX"]["first_dispatch_final"], rows["TAX"]["dispatched"]) == ("2", "3")
    assert rows["TAX"]["first_dispatch_accuracy"] == str(round(2 / 3, 4))


@pytest.mark.parametrize("store", ["sqlite"])
def test_the_dashboard_links_the_counts_to_their_cases(app, runtime, may, event_store, store):
    event_store.catch_up()
    runtime.services.staff.register("supervisor", "correct horse battery staple", "supervisor")
    reader = Desk(app, "supervisor")

    page = reader.get("/staff/dashboard", **MAY).get_data(as_text=True)
    table = page[page.index('data-testid="table-first-dispatch"'):]
    table = table[:table.index("</table>")]
    links = re.findall(r'<a href="([^"]+)">(\d+)</a>', table)

    assert "First-dispatch accuracy by department" in page
    assert "67" in " ".join(unescape(re.sub(r"<[^>]+>", " ", table)).split())
    first_final = next(href for href, n in links if "first_dispatch_final" in href and n == "2")
    behind = reader.client.get(unescape(first_final)).get_data(as_text=True)
    assert may["first"].reference in behind and may["onward"].reference not in behind
