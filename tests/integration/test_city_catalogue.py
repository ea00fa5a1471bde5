"""A city runs on its own catalogue (HUIYIN_CATALOGUE_FILE): the message board's seven classes."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from complaints.settings import Settings
from tests.fixtures.stores import settings_for

BOARD = resources.files("complaints") / "data/catalogues/msgboard-seven-classes.json"


@pytest.fixture
def settings(store: str, request: pytest.FixtureRequest, tmp_path) -> Settings:
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return settings_for(store, str(tmp_path), url, HUIYIN_LOG_LEVEL="WARNING",
                        HUIYIN_CATALOGUE_FILE=str(BOARD))


def test_the_filing_page_offers_the_catalogues_categories(client):
    page = client.get("/file", headers={"Accept-Language": "zh"}).get_data(as_text=True)

    assert "环境保护" in page and "卫生计生" in page
    assert "纳税服务" not in page  # a packaged category the city does not have


def test_the_api_files_and_routes_by_the_catalogue(filer, staff, assert_error):
    case = filer.file_case(category="environment", subject="化工厂夜间排放废气",
                           description="小区旁的化工厂每晚排放刺鼻废气。")
    intake = staff.login("intake")

    accepted = intake.act(case.reference, "accept", {})

    assert accepted.status_code == 200, accepted.json
    assert accepted.json["proposed_lead"] == "ECOLOGY"
    refused = filer.anonymous.post("/api/v1/cases", json=filer.submission(category="tax"))
    assert_error(refused, 422)


def test_the_api_document_lists_the_catalogues_categories(client):
    document = client.get("/openapi.json").get_json()

    enums = [set(values) for values in _enums(document) if "environment" in values]

    assert enums and all(values == CATEGORIES for values in enums)


CATEGORIES = {"urban_rural_construction", "environment", "transport", "education_culture_sports",
              "labour_social_security", "trade_tourism", "health_family_planning"}


def _enums(node):
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            yield node["enum"]
        for value in node.values():
            yield from _enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enums(value)


def test_the_scorecards_count_the_catalogues_departments(filer, staff, event_store):
    case = filer.file_case(category="transport", subject="公交线路停运", description="无人通知")
    intake = staff.login("intake")
    intake.act(case.reference, "accept", {})
    intake.act(case.reference, "assign", {})
    event_store.catch_up()

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    body = staff.login("supervisor").get("/api/v1/scorecards", query_string=period).json

    (card,) = body["departments"]
    assert card["department"] == "TRANSPORT"
    assert card["figures"]["dispatched"]["value"] == 1
    assert card["figures"]["first_dispatch_accuracy"]["value"] == 1.0
    by_category = {code.removeprefix("received_in_"): figure["value"]
                   for code, figure in body["total"]["figures"].items()
                   if code.startswith("received_in_")}
    assert by_category == {category: int(category == "transport") for category in CATEGORIES}
    listed = staff.login("supervisor").get(card["figures"]["received_in_transport"]["cases"]).json
    assert [item["reference"] for item in listed["items"]] == [case.reference]
    csv_heading = staff.login("supervisor").get("/api/v1/scorecards.csv", query_string=period)
    assert "received_in_transport" in csv_heading.get_data(as_text=True).splitlines()[0]
    assert "received_in_tax" not in csv_heading.get_data(as_text=True)


def test_the_api_document_names_the_catalogues_categories_figures(client):
    document = client.get("/openapi.json").get_json()

    figures = document["components"]["schemas"]["ScorecardFigures"]["properties"]

    assert {code.removeprefix("received_in_") for code in figures
            if code.startswith("received_in_")} == CATEGORIES
