"""Similar cases through the API, on SQLite and PostgreSQL: ranked by their words, fresh as
cases are filed, erased text left out, limited to what the reader may see, never the filer."""

from __future__ import annotations

import pytest

REPEAT = "出口退税一直没有到账，三个月前申报的出口退税还是没有消息"


@pytest.fixture
def intake(staff):
    return staff.login("intake")


@pytest.fixture
def cases(filer, intake, event_store):
    """Three cases: an export tax refund (TAX), a business licence (SAMR) and a noisy stall
    (BIZENV, confidential), each accepted and assigned."""
    filed = {
        "refund": filer.file_case(),
        "licence": filer.file_case(category="business_registration", subject="营业执照变更办理缓慢",
                                   description="材料已齐全，窗口仍要求补充材料。"),
        "stall": filer.file_case(category="other", subject="小区门口占道经营",
                                 description="晚上摊位堵路，噪音扰民。", confidential=True),
    }
    for case in filed.values():
        intake.act(case.reference, "accept")
        intake.act(case.reference, "assign")
    event_store.catch_up()
    return filed


def references(reply):
    assert reply.status_code == 200, reply.json
    assert reply.json["ready"] is True
    return [item["reference"] for item in reply.json["items"]]


def test_a_case_lists_the_cases_like_it_with_score_and_shared_words_and_no_filer(
        cases, filer, intake, event_store):
    repeat = filer.file_case(subject="出口退税还没到账", description=REPEAT)
    event_store.catch_up()

    reply = intake.get(f"/api/v1/cases/{repeat.reference}/similar")

    assert references(reply)[0] == cases["refund"].reference
    best = reply.json["items"][0]
    assert set(best) == {"reference", "subject", "status", "category", "lead_department",
                         "filed_at", "language", "score", "shared_terms"}
    assert 0.2 < best["score"] <= 1
    assert {"出口", "退税"} <= set(best["shared_terms"])
    assert best["lead_department"] == "TAX"
    assert repeat.reference not in references(reply)


def test_typed_text_finds_open_cases_and_a_case_filed_a_moment_ago(cases, filer, intake,
                                                                    event_store):
    first = intake.post("/api/v1/similar", json={"text": "超市出售过期牛奶 食品安全"})
    assert references(first) == []

    milk = filer.file_case(category="licensing", subject="超市出售过期牛奶",
                           description="食品安全问题，请查处。")
    event_store.catch_up()
    typed = intake.post("/api/v1/similar", json={"text": "超市出售过期牛奶 食品安全",
                                                 "open_only": True, "limit": 3})

    assert references(typed) == [milk.reference]


def test_open_only_leaves_closed_cases_out(cases, intake, staff, event_store):
    handler = staff.login("handler-BIZENV")
    stall = cases["stall"].reference
    handler.act(stall, "responses", {"outcome": "resolved", "reply": "已取缔占道摊位。"})
    intake.act(stall, "close")
    event_store.catch_up()
    text = {"text": "小区门口占道经营，摊位堵路"}

    assert references(intake.post("/api/v1/similar", json=text)) == [stall]
    assert references(intake.post("/api/v1/similar", json={**text, "open_only": True})) == []


def test_a_case_whose_personal_data_was_erased_is_never_listed(cases, filer, staff,
                                                                event_store):
    supervisor = staff.login("supervisor")
    refund = cases["refund"].reference
    supervisor.act(refund, "personal-data/erasure", {"basis": "filer_request"})
    event_store.catch_up()

    reply = supervisor.post("/api/v1/similar", json={"text": REPEAT})
    its_own = supervisor.get(f"/api/v1/cases/{refund}/similar")

    assert refund not in references(reply)
    assert references(its_own) == []  # its words are gone: nothing to compare


def test_a_handler_sees_only_cases_their_department_leads_or_co_handles(cases, filer, intake,
                                                                         staff, event_store):
    refund_again = filer.file_case(subject="出口退税拖延", description=REPEAT)
    at_customs = filer.file_case(category="cross_border_trade", subject="出口退税与报关单",
                                 description=REPEAT)
    for case in (refund_again, at_customs):
        intake.act(case.reference, "accept")
        intake.act(case.reference, "assign")
    event_store.catch_up()

    tax = staff.login("handler-TAX").get(f"/api/v1/cases/{refund_again.reference}/similar")
    supervisor = staff.login("supervisor").get(
        f"/api/v1/cases/{refund_again.reference}/similar")
    commerce = staff.login("handler-COMMERCE").get(
        f"/api/v1/cases/{at_customs.reference}/similar")

    assert references(tax) == [cases["refund"].reference]
    assert set(references(supervisor)) >= {cases["refund"].reference, at_customs.reference}
    assert references(commerce) == []  # it co-handles the customs case, none of TAX's


def test_a_handler_may_not_ask_about_another_departments_case(cases, staff, assert_error):
    reply = staff.login("handler-SAMR").get(
        f"/api/v1/cases/{cases['refund'].reference}/similar")

    assert_error(reply, 403, "forbidden")


@pytest.mark.parametrize("who", ["handler-TAX", "auditor"])
def test_only_intake_and_supervisors_ask_with_typed_text(staff, who, assert_error):
    reply = staff.login(who).post("/api/v1/similar", json={"text": "出口退税"})

    assert_error(reply, 403, "forbidden")


def test_a_filer_may_not_ask_even_about_their_own_case(cases, filer, assert_error):
    owner = filer.sign_in(cases["refund"])

    assert_error(owner.get(f"/api/v1/cases/{cases['refund'].reference}/similar"), 403)


def test_asking_needs_a_token(cases, client, assert_error):
    assert_error(client.get(f"/api/v1/cases/{cases['refund'].reference}/similar"), 401)
    assert_error(client.post("/api/v1/similar", json={"text": "退税"}), 401)


def test_an_unknown_case_is_404_named_as_typed(intake, assert_error):
    body = assert_error(intake.get("/api/v1/cases/HY-2026-999999/similar"), 404, "not_found")

    assert body["details"] == {"case": "HY-2026-999999"}


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "退税", "limit": 0},
                                  {"text": "退税", "limit": 51}, {"text": "退税", "more": 1},
                                  {"text": "x" * 10_001}, {"text": "退税", "open_only": 0}])
def test_a_bad_body_is_422(intake, body, assert_error):
    assert_error(intake.post("/api/v1/similar", json=body), 422, "invalid_input")


def test_a_body_that_is_not_json_is_400_and_another_type_415(intake, assert_error):
    broken = intake.post("/api/v1/similar", data="{", content_type="application/json")
    plain = intake.post("/api/v1/similar", data="退税", content_type="text/plain")

    assert_error(broken, 400)
    assert_error(plain, 415)


def test_a_bad_limit_is_422(cases, intake, assert_error):
    reference = cases["refund"].reference
    assert_error(intake.get(f"/api/v1/cases/{reference}/similar?limit=100"), 422)
    assert_error(intake.get(f"/api/v1/cases/{reference}/similar?sort=score"), 422)


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]

    assert "get" in paths["/api/v1/cases/{case}/similar"]
    assert "post" in paths["/api/v1/similar"]
    assert "422" in paths["/api/v1/similar"]["post"]["responses"]
