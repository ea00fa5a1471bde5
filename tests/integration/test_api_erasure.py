"""Erasing a case's personal data through the API: who may, on which basis, once, and what the
case says afterwards — on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

ERASURE = "personal-data/erasure"


@pytest.fixture
def supervisor(staff):
    return staff.login("supervisor")


@pytest.fixture
def closed_case(filer, staff):
    intake, handler = staff.login("intake"), staff.login("handler-TAX")
    case = filer.file_case(category="tax")
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")
    handler.act(case.reference, "responses", {"outcome": "resolved", "reply": "退税已办结。"})
    assert handler.act(case.reference, "close").status_code == 200
    return case


def test_a_fresh_case_says_its_personal_data_is_kept(filer, supervisor):
    case = filer.file_case()

    view = supervisor.view(case.reference).json

    assert view["personal_data"] == {"erased": False, "erased_at": None, "basis": None}
    assert view["filer"]["contact_person"] == "王丽"


def test_a_supervisor_erases_a_closed_cases_personal_data(closed_case, supervisor, filer):
    reply = supervisor.act(closed_case.reference, ERASURE,
                           {"basis": "retention_expired", "note": "保存期满"})

    assert reply.status_code == 200, reply.json
    view = reply.json
    assert view["personal_data"]["erased"] is True
    assert view["personal_data"]["basis"] == "retention_expired"
    assert view["personal_data"]["erased_at"]
    assert reply.headers["ETag"] == f'"{view["version"]}"'
    for field in ("enterprise_name", "credit_code", "contact_person", "phone", "email"):
        assert view["filer"][field] is None, field
    assert view["filer"]["language"] == "zh"  # not personal: it stays
    assert view["subject"] is None and view["description"] is None
    # What the handling was stays: the reply, the departments, the times.
    assert view["reply"]["reply"] == "退税已办结。"
    assert view["lead_department"] == "TAX" and view["status"] == "closed"
    assert supervisor.view(closed_case.reference).json == view
    history = supervisor.history(closed_case.reference).json["events"]
    erased = [event for event in history if event["type"] == "PersonalDataErased"]
    assert [event["data"] for event in erased] == [{"basis": "retention_expired",
                                                    "note": "保存期满"}]
    owner = filer.sign_in(closed_case)  # the access code is no personal data: it still works
    assert owner.view(closed_case.reference).json["personal_data"]["erased"] is True


def test_an_open_case_is_erased_at_the_filers_request_and_goes_on(filer, staff, supervisor):
    intake, handler = staff.login("intake"), staff.login("handler-TAX")
    case = filer.file_case()
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")

    reply = supervisor.act(case.reference, ERASURE, {"basis": "filer_request"})

    assert reply.status_code == 200, reply.json
    assert reply.json["status"] == "assigned"
    assert reply.json["personal_data"]["basis"] == "filer_request"
    answered = handler.act(case.reference, "responses",
                           {"outcome": "explained", "reply": "已核实。"})
    assert answered.status_code == 200, answered.json
    assert answered.json["personal_data"]["erased"] is True


def test_an_open_case_is_not_erased_on_another_basis(filer, supervisor, event_store,
                                                     assert_error):
    case = filer.file_case()
    before = event_store.version_of(case)

    for basis in ("retention_expired", "purpose_fulfilled"):
        body = assert_error(supervisor.act(case.reference, ERASURE, {"basis": basis}), 409,
                            "rule_violated")
        assert body["details"]["rule"] == "case_open"
    assert event_store.version_of(case) == before
    assert supervisor.view(case.reference).json["personal_data"]["erased"] is False


def test_personal_data_is_erased_once(closed_case, supervisor, event_store, assert_error):
    assert supervisor.act(closed_case.reference, ERASURE,
                          {"basis": "purpose_fulfilled"}).status_code == 200
    version = event_store.version_of(closed_case)

    body = assert_error(supervisor.act(closed_case.reference, ERASURE,
                                       {"basis": "filer_request"}), 409, "rule_violated")

    assert body["details"]["rule"] == "already_erased"
    assert datetime.fromisoformat(body["details"]["erased_at"])  # as every time is written
    assert event_store.version_of(closed_case) == version


@pytest.mark.parametrize("body", [
    {"basis": "because"}, {}, {"basis": None}, {"basis": "filer_request", "note": 3},
    {"basis": "filer_request", "note": "x" * 2_001}, {"basis": "filer_request", "extra": 1},
])
def test_a_bad_body_is_422_and_erases_nothing(filer, supervisor, event_store, assert_error,
                                              body):
    case = filer.file_case()

    assert_error(supervisor.act(case.reference, ERASURE, body), 422)

    assert event_store.version_of(case) == 1


def test_a_stale_if_match_erases_nothing(filer, supervisor, event_store, assert_error):
    case = filer.file_case()

    assert_error(supervisor.act(case.reference, ERASURE, {"basis": "filer_request"},
                                headers={"If-Match": '"7"'}), 409, "version_conflict")
    reply = supervisor.act(case.reference, ERASURE, {"basis": "filer_request"},
                           headers={"If-Match": '"1"'})

    assert reply.status_code == 200, reply.json


@pytest.mark.parametrize("who", ["intake", "handler-TAX", "auditor"])
def test_only_a_supervisor_erases(closed_case, staff, event_store, assert_error, who):
    version = event_store.version_of(closed_case)

    body = assert_error(staff.login(who).act(closed_case.reference, ERASURE,
                                             {"basis": "filer_request"}), 403, "forbidden")

    assert body["message"] == f"the {who.partition('-')[0]} role may not erase a case's " \
                              "personal data"
    assert event_store.version_of(closed_case) == version


def test_the_filer_cannot_erase_through_the_api(closed_case, filer, event_store, assert_error):
    owner = filer.sign_in(closed_case)
    version = event_store.version_of(closed_case)

    assert_error(owner.act(closed_case.reference, ERASURE, {"basis": "filer_request"}), 403,
                 "forbidden")
    assert event_store.version_of(closed_case) == version


def test_erasing_needs_a_token(closed_case, filer, assert_error):
    assert_error(filer.anonymous.act(closed_case.reference, ERASURE,
                                     {"basis": "filer_request"}), 401, "unauthenticated")


def test_an_unknown_case_is_404(supervisor, assert_error):
    assert_error(supervisor.act("HY-2026-999999", ERASURE, {"basis": "filer_request"}), 404,
                 "not_found")
