"""Individuals file too: a person's name and contacts, an external user id, no enterprise
details; masked, searched and erased as an enterprise's are."""

from __future__ import annotations

import pytest

PERSON = {"kind": "individual", "person_name": "李小红", "phone": "+86 139 0451 2345",
          "email": "li.xh@example.cn", "language": "zh"}


def individual(filer, **overrides):
    submission = filer.submission(**overrides)
    submission["filer"] = {**PERSON, **overrides.get("filer", {})}
    return submission


def test_a_person_files_and_reads_their_case_as_an_individual(client, filer):
    reply = client.post("/api/v1/cases", json=individual(filer))
    assert reply.status_code == 201, reply.json

    owner = filer.sign_in(type("Filed", (), {"reference": reply.json["reference"],
                                             "access_code": reply.json["access_code"]}))
    view = owner.view(reply.json["reference"]).json

    assert view["filer"]["kind"] == "individual"
    assert view["filer"]["person_name"] == "李小红"
    assert "enterprise_name" not in view["filer"] and "credit_code" not in view["filer"]


def test_an_enterprise_filing_says_its_kind_when_read(filer):
    case = filer.file_case()

    view = filer.sign_in(case).view(case.reference).json

    assert view["filer"]["kind"] == "enterprise"
    assert view["filer"]["enterprise_name"] == "黑河市远东商贸有限公司"


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"credit_code": "91350100M000100Y43"}, "credit_code", "individual filer has no"),
        ({"enterprise_name": "某公司"}, "enterprise_name", "individual filer has no"),
        ({"contact_person": "王丽"}, "contact_person", "individual filer has no"),
        ({"person_name": None}, "person_name", "Missing data"),
        ({"kind": "household"}, "kind", "Must be one of"),
    ],
)
def test_a_person_with_an_enterprises_details_or_without_a_name_is_422(
    client, filer, assert_error, event_store, given, field, words
):
    submission = individual(filer)
    submission["filer"] = {key: value for key, value in {**PERSON, **given}.items()
                           if value is not None}
    head = event_store.head()

    reply = client.post("/api/v1/cases", json=submission)

    body = assert_error(reply, 422, "invalid_input")
    (message,) = body["details"]["fields"]["filer"][field]
    assert words in message
    assert event_store.head() == head


def test_an_enterprise_with_a_persons_details_is_422(client, filer, assert_error):
    for given in ({"person_name": "李小红"}, {"external_user_id": "U-1"}):
        reply = client.post("/api/v1/cases", json=filer.submission(filer=given))

        body = assert_error(reply, 422, "invalid_input")
        assert list(body["details"]["fields"]["filer"]) == list(given)


def test_an_enterprise_without_its_name_is_422(client, filer, assert_error):
    submission = filer.submission()
    del submission["filer"]["enterprise_name"]

    body = assert_error(client.post("/api/v1/cases", json=submission), 422, "invalid_input")

    assert "enterprise_name" in body["details"]["fields"]["filer"]


def test_staff_find_a_persons_cases_and_a_department_sees_an_anonymous_one_withheld(
    client, filer, staff, event_store
):
    intake = staff.login("intake")
    open_case = client.post("/api/v1/cases", json=individual(filer)).json
    hidden = client.post("/api/v1/cases", json=individual(filer, anonymous=True)).json
    for reference in (open_case["reference"], hidden["reference"]):
        intake.act(reference, "accept")
        intake.act(reference, "assign")
    staff.register("handler-TAX")
    event_store.catch_up()
    handler = staff.login("handler-TAX")

    found = intake.get("/api/v1/cases", query_string={"phone": "13904512345"}).json["items"]
    rows = {row["reference"]: row for row in handler.get("/api/v1/queues/TAX").json["items"]}
    withheld = handler.view(hidden["reference"]).json["filer"]

    assert {row["reference"] for row in found} == {open_case["reference"], hidden["reference"]}
    assert {row["filer_kind"] for row in found} == {"individual"}
    assert rows[open_case["reference"]]["person_name"] == "李小红"
    assert rows[hidden["reference"]]["person_name"] is None
    assert rows[hidden["reference"]]["filer_withheld"] is True
    assert withheld == {"kind": "individual", "language": "zh", "withheld": True}
