"""The knowledge base through the API: kept by intake and supervisors, suggested for a caller's
words, and a caller answered on the spot from an entry, recorded as such."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from shared.locale import CITY_TIME

REFUND = {
    "question": "出口退税多久能到账？",
    "answer": "出口退税申报审核通过后，一般在10个工作日内退还至企业账户；可在电子税务局查询进度。",
    "category": "tax", "valid_from": "2026-01-01", "source": "国家税务总局公告2022年第9号",
}
LICENCE = {
    "question": "营业执照遗失怎么补办？",
    "answer": "在国家企业信用信息公示系统发布遗失公告后，携带身份证到政务中心窗口申请补领。",
    "category": "business_registration", "valid_from": "2026-01-01", "source": "市场监管局",
}


@pytest.fixture
def intake(staff):
    return staff.login("intake")


def test_entries_are_kept_revised_and_withdrawn_and_suggested_by_a_callers_words(
    intake, staff, assert_error
):
    refund = intake.post("/api/v1/knowledge", json=REFUND)
    licence = intake.post("/api/v1/knowledge", json=LICENCE)
    assert refund.status_code == licence.status_code == 201, refund.json
    handler = staff.login("handler-TAX")

    suggested = handler.get("/api/v1/knowledge", query_string={
        "text": "我公司申报的出口退税什么时候到账"}).json["items"]
    revised = intake.post(f"/api/v1/knowledge/{refund.json['entry_id']}/revision",
                          json={**REFUND, "answer": "一般在7个工作日内退还。"})
    withdrawn = intake.post(f"/api/v1/knowledge/{licence.json['entry_id']}/withdrawal",
                            json={"reason": "流程已改为全程网办"})

    assert suggested[0]["entry_id"] == refund.json["entry_id"]
    assert suggested[0]["score"] > 0 and "退税" in suggested[0]["shared"]
    assert (revised.json["revision"], revised.json["answer"]) == (2, "一般在7个工作日内退还。")
    assert withdrawn.json["withdrawn"] is True
    listed = intake.get("/api/v1/knowledge").json["items"]
    assert [entry["entry_id"] for entry in listed] == [refund.json["entry_id"]]
    assert len(intake.get("/api/v1/knowledge?withdrawn=true").json["items"]) == 2
    assert_error(handler.post("/api/v1/knowledge", json=REFUND), 403)
    assert_error(intake.post(f"/api/v1/knowledge/{licence.json['entry_id']}/revision",
                             json=LICENCE), 409)
    assert_error(intake.post("/api/v1/knowledge/nothing/withdrawal", json={"reason": "x"}), 404)
    assert_error(intake.post("/api/v1/knowledge", json={**REFUND, "valid_until": "2025-01-01"}),
                 422)
    assert_error(intake.post("/api/v1/knowledge", json={**REFUND, "category": "weather"}), 422)


def test_a_caller_is_answered_at_first_contact_from_an_entry_in_force(
    intake, filer, staff, assert_error, event_store
):
    entry = intake.post("/api/v1/knowledge", json=REFUND).json["entry_id"]
    expired = intake.post("/api/v1/knowledge", json={
        **LICENCE, "valid_from": "2024-01-01", "valid_until": "2024-12-31"}).json["entry_id"]
    call = filer.file_case(intake, channel="hotline", subject="咨询出口退税到账时间",
                           description="企业来电咨询出口退税多久到账。")
    own = filer.file_case(subject="网上提交的投诉")

    head = event_store.head()
    stale = intake.act(call.reference, "first-contact-answer", {"entry": expired})
    assert event_store.head() == head
    answered = intake.act(call.reference, "first-contact-answer", {"entry": entry})
    web_filed = intake.act(own.reference, "first-contact-answer", {"entry": entry})
    twice = intake.act(call.reference, "first-contact-answer", {"entry": entry})

    assert "not in force" in assert_error(stale, 422)["message"]
    assert answered.status_code == 200, answered.json
    assert answered.json["status"] == "responded"
    assert answered.json["reply"]["at_first_contact"] == entry
    assert answered.json["reply"]["reply"] == REFUND["answer"]
    assert assert_error(web_filed, 409)["details"]["rule"] == "first_contact_only"
    assert_error(twice, 409)
    assert_error(staff.login("handler-TAX").act(call.reference, "first-contact-answer",
                                                {"entry": entry}), 403)
    history = intake.history(call.reference).json["events"]
    assert history[-1]["type"] == "AnsweredAtFirstContact"
    assert date.fromisoformat(answered.json["reply"]["responded_at"][:10]) >= (
        date.today() - timedelta(days=1))


def test_the_scorecards_count_the_cases_answered_at_first_contact(
    intake, filer, staff, event_store
):
    entry = intake.post("/api/v1/knowledge", json=REFUND).json["entry_id"]
    calls = [filer.file_case(intake, channel="hotline", subject=f"咨询 {n}") for n in range(3)]
    filer.file_case(subject="网上投诉")
    for call in calls[:2]:
        intake.act(call.reference, "first-contact-answer", {"entry": entry})
    event_store.catch_up()
    today = datetime.now(CITY_TIME).date().isoformat()

    body = staff.login("supervisor").get(
        "/api/v1/scorecards", query_string={"from": today, "to": today}).json
    total = {code: figure["value"] for code, figure in body["total"]["figures"].items()}
    behind = staff.login("auditor").get("/api/v1/scorecards/cases", query_string={
        "from": today, "to": today, "figure": "answered_at_first_contact"}).json

    assert (total["answered_at_first_contact"], total["received"]) == (2, 4)
    assert total["answered_at_first_contact_rate"] == 0.5
    assert {item["reference"] for item in behind["items"]} == {c.reference for c in calls[:2]}


def test_whoever_replies_sees_the_entries_and_the_replies_to_similar_cases(
    app, intake, filer, staff, event_store
):
    from tests.integration.test_pages_dashboard import Reader

    intake.post("/api/v1/knowledge", json=REFUND)
    page_reader = Reader(app, "handler-TAX")  # the account, signed in to the pages
    staff.created.add("handler-TAX")
    handler = staff.login("handler-TAX")
    earlier = filer.file_case(subject="出口退税三个月未到账",
                              description="出口退税申报后三个月仍未到账。")
    for command in ("accept", "assign"):
        intake.act(earlier.reference, command)
    handler.act(earlier.reference, "responses",
                {"outcome": "resolved", "reply": "已督促退库，退税款本周到账。"})
    now = filer.file_case(subject="出口退税迟迟不到账", description="出口退税申报后一直未到账。")
    for command in ("accept", "assign"):
        intake.act(now.reference, command)
    event_store.catch_up()

    page = page_reader.get(f"/staff/cases/{now.reference}")
    text = page.get_data(as_text=True)
    auditor = Reader(app, "auditor").get(f"/staff/cases/{now.reference}").get_data(as_text=True)

    assert page.status_code == 200
    assert 'data-testid="answers"' in text
    assert REFUND["answer"] in text  # the knowledge base's entry
    assert "已督促退库，退税款本周到账。" in text and earlier.reference in text
    assert 'data-testid="answers"' not in auditor  # an auditor replies to nobody


def test_entries_with_no_word_to_compare_suggest_nothing(intake):
    intake.post("/api/v1/knowledge", json={**REFUND, "question": "0", "answer": "0",
                                           "source": "0"})

    reply = intake.get("/api/v1/knowledge", query_string={"text": "0"})

    assert reply.status_code == 200 and reply.json["items"] == []
