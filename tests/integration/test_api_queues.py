"""Queues and search through the API: from the read model, paged, masked, and honest about lag."""

from __future__ import annotations

import pytest

from complaints.readmodels.case_index import filters

OTHER_CREDIT_CODE = "91110108MA01ABCD1E"


@pytest.fixture
def intake(staff):
    return staff.login("intake")


def assigned(enterprise, desk, /, **overrides):
    """A case filed by `enterprise`, accepted and assigned by the intake `desk`."""
    case = enterprise.file_case(**overrides)
    desk.act(case.reference, "accept")
    desk.act(case.reference, "assign")
    return case


def test_the_queue_says_how_far_behind_it_is_until_the_projection_catches_up(
    filer, intake, staff, event_store
):
    case = assigned(filer, intake)
    handler = staff.login("handler-TAX")

    before = handler.get("/api/v1/queues/TAX").json
    event_store.catch_up()
    after = handler.get("/api/v1/queues/TAX").json

    assert before["lag"]["behind"] > 0
    assert case.reference not in [row["reference"] for row in before["items"]]
    assert after["lag"] == {"tracked": event_store.head(), "head": event_store.head(), "behind": 0}
    assert [row["reference"] for row in after["items"]] == [case.reference]
    assert after["items"][0]["lead_department"] == "TAX"
    assert after["total"] == 1


def test_a_queue_filters_by_status_and_pages(filer, intake, event_store):
    cases = [assigned(filer, intake, subject=f"退税问题 {n}") for n in range(3)]
    intake.act(cases[0].reference, "information-requests", {"items": ["发票"]})
    event_store.catch_up()

    waiting = intake.get("/api/v1/queues/TAX?status=awaiting_information").json
    page = intake.get("/api/v1/queues/TAX?limit=2&offset=2").json

    assert [row["reference"] for row in waiting["items"]] == [cases[0].reference]
    assert page["total"] == 3
    assert page["limit"] == 2 and page["offset"] == 2
    assert len(page["items"]) == 1


def test_a_count_stops_at_its_bound_and_says_that_more_match(filer, intake, event_store,
                                                             monkeypatch):
    monkeypatch.setattr(filters, "COUNTED_UP_TO", 2)
    cases = [assigned(filer, intake, subject=f"退税问题 {n}") for n in range(3)]
    event_store.catch_up()

    queue = intake.get("/api/v1/queues/TAX?limit=1").json
    search = intake.get("/api/v1/cases?text=退税").json
    one = intake.get(f"/api/v1/cases?reference={cases[0].reference}").json

    assert (queue["total"], queue["total_exact"], len(queue["items"])) == (2, False, 1)
    assert (search["total"], search["total_exact"], len(search["items"])) == (2, False, 3)
    assert (one["total"], one["total_exact"]) == (1, True)


def test_search_finds_chinese_words_and_filters(filer, intake, staff, event_store):
    tax = assigned(filer, intake)
    customs = assigned(
        filer,
        intake,
        category="cross_border_trade",
        subject="货物通关延误",
        description="口岸查验等待超过一周。",
        filer={"enterprise_name": "黑河对俄贸易公司", "credit_code": OTHER_CREDIT_CODE},
    )
    auditor = staff.login("auditor")
    event_store.catch_up()

    by_word = auditor.get("/api/v1/cases", query_string={"text": "退税"}).json
    by_code = auditor.get("/api/v1/cases", query_string={"credit_code": OTHER_CREDIT_CODE}).json
    by_department = auditor.get("/api/v1/cases?department=CUSTOMS").json
    everything = auditor.get("/api/v1/cases").json

    assert [row["reference"] for row in by_word["items"]] == [tax.reference]
    assert [row["reference"] for row in by_code["items"]] == [customs.reference]
    assert customs.reference in [row["reference"] for row in by_department["items"]]
    assert everything["total"] == 2
    assert everything["lag"]["behind"] == 0


def test_a_handler_searches_only_their_own_departments_cases(filer, intake, staff, event_store):
    tax = assigned(filer, intake)
    assigned(filer, intake, category="cross_border_trade", subject="通关延误")
    staff.register("handler-TAX")
    event_store.catch_up()
    handler = staff.login("handler-TAX")

    own = handler.get("/api/v1/cases").json
    asked_for_other = handler.get("/api/v1/cases?department=CUSTOMS").json

    assert [row["reference"] for row in own["items"]] == [tax.reference]
    assert [row["reference"] for row in asked_for_other["items"]] == [tax.reference]


def test_lists_withhold_a_confidential_filer_from_handlers_only(filer, intake, staff, event_store):
    assigned(filer, intake, confidential=True)
    staff.register("handler-TAX", "supervisor")
    event_store.catch_up()

    handler_row = staff.login("handler-TAX").get("/api/v1/queues/TAX").json["items"][0]
    supervisor_row = staff.login("supervisor").get("/api/v1/queues/TAX").json["items"][0]
    intake_row = intake.get("/api/v1/cases").json["items"][0]

    handler_search = staff.login("handler-TAX").get("/api/v1/cases")

    assert handler_row["enterprise_name"] is None and handler_row["credit_code"] is None
    assert handler_row["filer_withheld"] is True
    assert handler_search.json["items"][0]["filer_withheld"] is True
    for part in ("黑河", "远东", "9135", "Y43"):
        assert part not in handler_search.get_data(as_text=True)
    assert supervisor_row["enterprise_name"] == "黑河市远东商贸有限公司"
    assert supervisor_row["filer_withheld"] is False
    assert intake_row["credit_code"] == "91350100M000100Y43"


def test_a_handler_cannot_find_a_confidential_filer_by_who_they_are(
    filer, intake, staff, event_store
):
    hidden = assigned(filer, intake, confidential=True)
    staff.register("handler-TAX")
    event_store.catch_up()
    handler = staff.login("handler-TAX")

    by_name = handler.get("/api/v1/cases", query_string={"enterprise_name": "远东"}).json
    by_code = handler.get("/api/v1/cases", query_string={"credit_code": "91350100M000100Y43"}).json
    by_intake = intake.get("/api/v1/cases", query_string={"enterprise_name": "远东"}).json

    assert by_name["items"] == [] and by_code["items"] == []
    assert [row["reference"] for row in by_intake["items"]] == [hidden.reference]


def test_search_finds_a_filer_by_phone_and_email_as_written_any_usual_way(
    filer, intake, event_store
):
    case = assigned(filer, intake)
    assigned(filer, intake, filer={"phone": "13800000000", "email": "other@example.cn",
                                   "credit_code": OTHER_CREDIT_CODE})
    event_store.catch_up()

    def found(**query):
        return [row["reference"] for row in intake.get("/api/v1/cases", query_string=query)
                .json["items"]]

    assert found(phone="0456-823-1234") == [case.reference]
    assert found(phone="+864568231234") == [case.reference]
    assert found(email=" Wang.Li@Example.CN") == [case.reference]
    assert found(credit_code="9135 0100 m000 100y43") == [case.reference]
    assert found(phone="0456-823-1235") == []
    assert intake.get("/api/v1/cases", query_string={"phone": "call me"}).status_code == 422


def test_an_erased_case_lists_without_its_filer_and_is_found_by_none_of_it(
    filer, intake, runtime, event_store
):
    from complaints.application.principals import Principal
    from complaints.domain.values import Role

    case = assigned(filer, intake, subject="Zqxsubject 退税", filer={"enterprise_name": "Zqx Ltd"})
    event_store.catch_up()
    listed = intake.get("/api/v1/cases").json["items"][0]
    complaints = runtime.services.complaints
    complaints.erase_personal_data(Principal("s", Role.SUPERVISOR),
                                   complaints.resolve_case_id(case.reference), "filer_request")
    event_store.catch_up()

    reply = intake.get("/api/v1/cases")
    (row,) = reply.json["items"]
    searches = [{"text": "zqxsubject"}, {"enterprise_name": "zqx"}, {"phone": "04568231234"},
                {"email": "wang.li@example.cn"}, {"credit_code": "91350100M000100Y43"}]

    assert (listed["credit_code"], listed["personal_data_erased"]) == ("91350100M000100Y43", False)
    assert row["personal_data_erased"] is True
    assert (row["subject"], row["enterprise_name"], row["credit_code"]) == ("", None, None)
    assert (row["status"], row["lead_department"]) == ("assigned", "TAX")
    for part in ("Zqx", "Y43", "wang.li", "8231234"):
        assert part not in reply.get_data(as_text=True)
    for query in searches:
        assert intake.get("/api/v1/cases", query_string=query).json["items"] == [], query
