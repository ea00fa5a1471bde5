"""Hot issues through the API: planted matters found among other complaints, each with its
cases, words and places; for supervisors and auditors, a period of at most a year."""

from __future__ import annotations

import random
import re
from datetime import datetime

import pytest

from shared.locale import CITY_TIME
from tests.fixtures.planted import MATTERS, _rephrased, board_rows, required_msgboard

PLANTED = ("elevator", "wages", "water")


@pytest.fixture
def filed(filer, event_store):
    """Six complaints about each of three matters, among thirty of the board's messages."""
    chance = random.Random(3)
    references: dict[str, list[str]] = {matter: [] for matter in PLANTED}
    for matter in PLANTED:
        for number in range(6):
            sentences = chance.sample(MATTERS[matter], 4)
            text = "，".join(_rephrased(chance, s.format(place="A市A3区")) for s in sentences)
            phone = f"+86 139 0000 {number + 10 * PLANTED.index(matter):04d}"
            case = filer.file_case(subject=text[:20], description=text, filer={"phone": phone})
            references[matter].append(case.reference)
    for row in board_rows(required_msgboard(), limit=30):
        filer.file_case(subject=row["subject"][:200], description=row["description"][:10_000])
    event_store.catch_up()
    return references


def test_the_planted_matters_are_the_hot_issues_with_their_cases(staff, filed):
    supervisor = staff.login("supervisor")
    today = datetime.now(CITY_TIME).date().isoformat()

    reply = supervisor.get("/api/v1/hot-issues", query_string={"from": today, "to": today})

    assert reply.status_code == 200, reply.json
    body = reply.json
    assert body["cases"] == 48
    found = {}
    for issue in body["issues"]:
        for matter, references in filed.items():
            if set(references) & set(issue["references"]):
                found[matter] = issue
    assert set(found) == set(PLANTED)
    for matter, issue in found.items():
        # Pure, and nearly whole: a case written far from the others may stand apart.
        assert set(issue["references"]) <= set(filed[matter]), matter
        assert len(issue["references"]) >= 5, matter
        # One enterprise (one credit code) filed them all, from six phones: one filer.
        assert issue["filers"] == 1 and issue["heat"] > 0 and issue["terms"]
    assert "A3区" in found["elevator"]["places"]
    assert body["concentration"]["tax"][today[:7]] == 48


def test_hot_issues_are_for_supervisors_and_auditors_over_a_year_at_most(
    staff, assert_error
):
    handler, auditor = staff.login("handler-TAX"), staff.login("auditor")
    period = {"from": "2025-01-01", "to": "2025-12-31"}

    assert_error(handler.get("/api/v1/hot-issues", query_string=period), 403)
    assert auditor.get("/api/v1/hot-issues", query_string=period).json["issues"] == []
    too_long = auditor.get("/api/v1/hot-issues", query_string={**period, "to": "2026-01-02"})
    assert "366 days" in assert_error(too_long, 422)["details"]["fields"]["to"][0]
    assert_error(auditor.get("/api/v1/hot-issues", query_string={**period, "limit": 0}), 422)
    assert_error(staff.with_token(None).get("/api/v1/hot-issues", query_string=period), 401)


def test_the_dashboard_lists_the_hot_issues_with_links_to_their_cases(app, staff, filed):
    from tests.integration.test_pages_dashboard import Reader

    staff.login("supervisor")  # the account
    reader = Reader(app, "supervisor-pages")
    today = datetime.now(CITY_TIME).date().isoformat()

    page = reader.get("/staff/dashboard/hot-issues", {"from": today, "to": today})
    overview = reader.get("/staff/dashboard", {"from": today, "to": today})
    too_long = reader.get("/staff/dashboard/hot-issues", {"from": "2024-01-01", "to": today})

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for references in filed.values():
        assert sum(f'href="/staff/cases/{reference}"' in text for reference in references) >= 5
    assert 'data-testid="concentration"' in text and "How the heat is reckoned" in text
    # One enterprise filed each matter's cases: one filer, told in each language's number.
    assert re.search(r"[56] cases, 1 filer, heat", text), text
    russian = reader.get("/staff/dashboard/hot-issues", {"from": today, "to": today}, lang="ru")
    assert re.search(r"[56] обращений, 1 заявитель, острота", russian.get_data(as_text=True))
    empty = reader.get("/staff/dashboard/hot-issues", {"from": "2025-01-01", "to": "2025-01-31"})
    assert "No group of similar complaints in this period (of 0 cases)." in empty.get_data(
        as_text=True)
    assert 'data-testid="hot-issues-link"' in overview.get_data(as_text=True)
    assert too_long.status_code == 422
    assert "at most 366 days" in too_long.get_data(as_text=True)
    assert Reader(app, "handler-TAX").get("/staff/dashboard/hot-issues",
                                          {"from": today, "to": today}).status_code == 403
