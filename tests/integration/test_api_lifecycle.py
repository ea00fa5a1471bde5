"""A case's full round through the HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime


def test_a_bad_review_runs_its_closed_loop_before_the_case_closes(
    filer, staff, assert_error, event_store
):
    intake = staff.login("intake")
    supervisor = staff.login("supervisor")
    handler = staff.login("handler-TAX")
    case = filer.file_case(category="tax")
    owner = filer.sign_in(case)
    ref = case.reference

    seen = {1: ("filed", "none")}

    def step(session, command: str, payload: dict | None = None):
        reply = session.act(ref, command, payload)
        assert reply.status_code == 200, reply.json
        seen[reply.json["version"]] = (reply.json["status"], reply.json["review"]["stage"])
        return reply

    def close_is_refused(rule: str | None, error: str = "rule_violated") -> None:
        before = event_store.version_of(case)
        body = assert_error(intake.act(ref, "close"), 409, error)
        if rule:
            assert body["details"]["rule"] == rule
        assert event_store.version_of(case) == before

    close_is_refused("reply_required")
    accepted = step(intake, "accept")
    assert accepted.json["proposed_lead"] == "TAX"
    close_is_refused("reply_required")

    assigned = step(intake, "assign")
    assert assigned.json["lead_department"] == "TAX"
    assert assigned.json["status"] == "assigned"
    close_is_refused("reply_required")

    asked = step(handler, "information-requests", {"items": ["出口报关单", "增值税发票"]})
    assert asked.json["status"] == "awaiting_information"
    assert asked.json["requested_items"] == ["出口报关单", "增值税发票"]
    close_is_refused("reply_required")

    supplied = step(owner, "information", {"content": "已补充报关单和发票。"})
    assert supplied.json["status"] == "assigned"
    close_is_refused("reply_required")

    responded = step(
        handler,
        "responses",
        {"outcome": "resolved", "reply": "退税已于本周办理完毕。", "actions": ["重新审核"]},
    )
    assert responded.json["status"] == "responded"
    assert responded.json["reply"]["outcome"] == "resolved"

    rated = step(owner, "ratings", {"score": 2, "comment": "拖得太久"})
    assert rated.json["review"] == {**rated.json["review"], "score": 2, "bad": True}
    close_is_refused("review_pending")

    upheld = step(supervisor, "review", {"result": "upheld", "explanation": "确有拖延，责令整改。"})
    assert upheld.json["review"]["stage"] == "rectification"
    close_is_refused("rectification_required")

    rectified = step(handler, "rectification", {"actions": ["设立退税专窗", "每周通报进度"]})
    assert rectified.json["review"]["stage"] == "return_visit"
    close_is_refused("return_visit_required")

    visited = step(
        intake, "follow-up", {"method": "phone", "satisfied": True, "notes": "企业表示满意"}
    )
    assert visited.json["review"]["followed_up"] is True

    closed = step(handler, "close")
    assert closed.json["status"] == "closed"
    close_is_refused(None, error="invalid_state")

    assert len(seen) == 11  # filed and ten steps, each one event
    final = owner.view(ref)
    assert final.json["status"] == "closed"
    assert final.headers["ETag"] == f'"{final.json["version"]}"'
    for version, (status, stage) in seen.items():
        then = supervisor.history(ref, as_of=version).json
        assert len(then["events"]) == version
        assert (then["state"]["status"], then["state"]["review"]["stage"]) == (status, stage)


def test_the_history_replays_every_intermediate_state(filer, staff):
    intake = staff.login("intake")
    handler = staff.login("handler-TAX")
    case = filer.file_case()
    ref = case.reference
    states = {1: filer.sign_in(case).view(ref).json["status"]}
    steps = [
        (intake, "accept", None),
        (intake, "assign", None),
        (handler, "notes", {"text": "已联系企业", "visibility": "public"}),
        (handler, "responses", {"outcome": "explained", "reply": "已说明政策。"}),
    ]
    for session, command, body in steps:
        reply = session.act(ref, command, body)
        assert reply.status_code == 200, reply.json
        states[reply.json["version"]] = reply.json["status"]

    latest = intake.history(ref).json
    assert latest["latest_position"] == 5
    assert [event["type"] for event in latest["events"]] == [
        "Filed",
        "Accepted",
        "Assigned",
        "ProgressNoted",
        "Responded",
    ]
    for position, status in states.items():
        by_position = intake.history(ref, as_of=position).json
        assert by_position["as_of_position"] == position
        assert len(by_position["events"]) == position
        assert by_position["state"]["status"] == status
        assert by_position["state"]["version"] == position
        recorded = datetime.fromisoformat(latest["events"][position - 1]["recorded_at"])
        by_time = intake.history(ref, as_of=recorded.isoformat()).json
        assert by_time["as_of_position"] == position
        assert by_time["state"]["status"] == status
    chain = [event["prev_hash"] for event in latest["events"][1:]]
    assert chain == [event["hash"] for event in latest["events"][:-1]]


def test_a_case_is_found_by_reference_and_by_id(filer, staff):
    intake = staff.login("intake")
    case = filer.file_case()

    by_reference = intake.view(case.reference)
    by_id = intake.view(case.case_id)

    assert by_reference.status_code == by_id.status_code == 200
    assert by_reference.json == by_id.json
    assert by_id.json["reference"] == case.reference


def test_staff_file_for_a_caller_on_the_hotline_with_the_time_of_the_call(filer, staff):
    intake = staff.login("intake")
    case = filer.file_case(intake, channel="hotline", occurred_at="2026-03-02T09:15:00+08:00")

    view = intake.view(case.reference).json
    history = intake.history(case.reference).json

    assert view["on_behalf_of"] is True
    assert view["channel"] == "hotline"
    assert history["events"][0]["occurred_at"] == "2026-03-02T01:15:00+00:00"
    assert history["events"][0]["actor"] == {"id": "intake", "role": "intake"}


def test_reopening_starts_a_new_round_that_may_be_rated_again(filer, staff):
    intake = staff.login("intake")
    handler = staff.login("handler-TAX")
    case = filer.file_case()
    owner = filer.sign_in(case)
    ref = case.reference
    intake.act(ref, "accept")
    intake.act(ref, "assign")
    handler.act(ref, "responses", {"outcome": "explained", "reply": "已说明。"})
    owner.act(ref, "ratings", {"score": 4})
    intake.act(ref, "close")

    reopened = owner.act(ref, "reopen", {"reason": "问题再次出现"})
    handler.act(ref, "responses", {"outcome": "resolved", "reply": "已解决。"})
    rated_again = owner.act(ref, "ratings", {"score": 5})

    assert reopened.json["round"] == 2
    assert reopened.json["status"] == "assigned"
    assert rated_again.status_code == 200
    assert rated_again.json["review"]["score"] == 5


def test_a_referred_case_may_close_at_once(filer, staff):
    intake = staff.login("intake")
    case = filer.file_case(category="judicial")

    referred = intake.act(
        case.reference, "refer", {"reason": "属于民事诉讼", "where_to": "区人民法院立案庭"}
    )
    closed = intake.act(case.reference, "close")

    assert referred.json["status"] == "referred"
    assert referred.json["referred_to"] == "区人民法院立案庭"
    assert closed.json["status"] == "closed"


def test_a_department_transfers_a_case_on_or_back_to_intake(filer, staff):
    intake = staff.login("intake")
    case = filer.file_case(category="tax")
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")

    onward = staff.login("handler-TAX").act(
        case.reference, "transfer", {"to": "CUSTOMS", "reason": "涉及出口报关环节"}
    )
    back = staff.login("handler-CUSTOMS").act(
        case.reference, "transfer", {"to": None, "reason": "需重新分派"}
    )

    assert onward.json["lead_department"] == "CUSTOMS"
    assert back.json["lead_department"] is None
    assert back.json["status"] == "accepted"


def test_a_rating_ruled_malicious_no_longer_holds_the_case_open(filer, staff, assert_error):
    intake, handler = staff.login("intake"), staff.login("handler-TAX")
    supervisor = staff.login("supervisor")
    case = filer.file_case()
    owner = filer.sign_in(case)
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")
    handler.act(case.reference, "responses", {"outcome": "explained", "reply": "已说明。"})
    owner.act(case.reference, "ratings", {"score": 1, "comment": "骂人的话"})
    assert_error(intake.act(case.reference, "close"), 409, "rule_violated")

    ruled = supervisor.act(
        case.reference,
        "ratings/invalidate",
        {"invalidation_class": "malicious", "reason": "评价内容与办理无关"},
    )
    closed = intake.act(case.reference, "close")

    assert ruled.json["review"]["invalidated"] == "malicious"
    assert closed.json["status"] == "closed"
