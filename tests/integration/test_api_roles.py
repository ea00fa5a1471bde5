"""Who may do what: every role's forbidden paths answer 401 or 403, and privacy holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.web.tokens import TokenIssuer


@pytest.fixture
def assigned_case(filer, staff):
    """A case accepted and assigned to TAX, filed confidentially."""
    intake = staff.login("intake")
    case = filer.file_case(confidential=True)
    intake.act(case.reference, "accept")
    intake.act(case.reference, "assign")
    return case


def test_reading_a_case_needs_a_token(client, filer, assert_error):
    case = filer.file_case()

    reply = client.get(f"/api/v1/cases/{case.reference}")

    body = assert_error(reply, 401, "unauthenticated")
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert "token" in body["message"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Basic aW50YWtlOmRlbW8=", "Bearer", "Token abc"],
)
def test_a_malformed_authorization_is_refused(client, filer, assert_error, authorization):
    case = filer.file_case()

    reply = client.get(f"/api/v1/cases/{case.reference}", headers={"Authorization": authorization})

    assert_error(reply, 401, "unauthenticated")


def test_an_expired_token_is_refused(settings, filer, staff, assert_error):
    case = filer.file_case()
    long_ago = datetime.now(UTC) - timedelta(days=2)
    expired = TokenIssuer(settings.secret_key, 3600, clock=lambda: long_ago).issue(
        Principal("intake", Role.INTAKE)
    )

    reply = staff.with_token(expired.token).view(case.reference)

    body = assert_error(reply, 401, "unauthenticated")
    assert "expired" in body["message"]


def test_a_tampered_token_is_refused(filer, staff, assert_error):
    case = filer.file_case()
    handler = staff.login("handler-DRC")
    header, _, signature = handler.token.split(".")
    forged = TokenIssuer("another-secret-key-of-at-least-32-chars", 3600).issue(
        Principal("handler-DRC", Role.SUPERVISOR, "BIZENV")
    )
    _, forged_payload, _ = forged.token.split(".")

    reply = staff.with_token(f"{header}.{forged_payload}.{signature}").view(case.reference)

    assert_error(reply, 401, "unauthenticated")


def test_a_wrong_password_or_access_code_gets_no_token(client, filer, staff, assert_error):
    staff.login("intake")
    case = filer.file_case()

    wrong_password = client.post(
        "/api/v1/auth/token", json={"username": "intake", "password": "guess"}
    )
    unknown_user = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    wrong_code = client.post(
        "/api/v1/auth/filer-token",
        json={"reference": case.reference, "access_code": "AAAA-BBBB-CCCC"},
    )

    for reply in (wrong_password, unknown_user, wrong_code):
        assert_error(reply, 401, "unauthenticated")


def test_a_staff_token_carries_role_and_department(staff):
    handler = staff.login("handler-CUSTOMS")

    assert handler.info["token_type"] == "Bearer"
    assert handler.info["role"] == "handler"
    assert handler.info["department"] == "CUSTOMS"
    assert handler.info["expires_in"] > 0


def test_a_filer_reaches_only_their_own_case(filer, assert_error, event_store):
    mine = filer.file_case()
    theirs = filer.file_case(subject="另一家企业的投诉")
    me = filer.sign_in(mine)
    head = event_store.head()

    assert me.view(mine.reference).status_code == 200
    assert_error(me.view(theirs.reference), 403, "forbidden")
    assert_error(me.history(theirs.reference), 403, "forbidden")
    assert_error(me.act(theirs.reference, "reopen", {"reason": "x"}), 403, "forbidden")
    assert event_store.head() == head


def test_a_filer_may_not_use_staff_paths(filer, assert_error, event_store):
    case = filer.file_case()
    me = filer.sign_in(case)
    head = event_store.head()

    for command, body in [
        ("accept", None),
        ("assign", None),
        ("notes", {"text": "x"}),
        ("close", None),
    ]:
        assert_error(me.act(case.reference, command, body), 403, "forbidden")
    assert_error(me.get(f"/api/v1/cases/{case.reference}/verify"), 403, "forbidden")
    assert_error(me.get("/api/v1/cases"), 403, "forbidden")
    assert_error(me.get("/api/v1/queues/TAX"), 403, "forbidden")
    assert event_store.head() == head


def test_a_handler_of_another_department_can_neither_read_nor_act(
    assigned_case, staff, assert_error, event_store
):
    other = staff.login("handler-CUSTOMS")
    ref = assigned_case.reference
    head = event_store.head()

    assert_error(other.view(ref), 403, "forbidden")
    assert_error(other.history(ref), 403, "forbidden")
    assert_error(other.act(ref, "notes", {"text": "不是我们的"}), 403, "forbidden")
    assert_error(other.act(ref, "responses", {"outcome": "resolved", "reply": "x"}), 403)
    assert_error(other.get("/api/v1/queues/TAX"), 403, "forbidden")
    assert event_store.head() == head


def test_a_handler_may_not_do_the_intake_desks_work(assigned_case, staff, assert_error):
    handler = staff.login("handler-TAX")

    body = assert_error(handler.act(assigned_case.reference, "accept"), 403, "forbidden")

    assert body["details"]["allowed_roles"] == ["intake", "supervisor"]


def test_an_auditor_reads_everything_and_changes_nothing(
    assigned_case, staff, assert_error, event_store
):
    auditor = staff.login("auditor")
    ref = assigned_case.reference
    head = event_store.head()

    assert auditor.view(ref).status_code == 200
    assert auditor.history(ref).status_code == 200
    assert auditor.get(f"/api/v1/cases/{ref}/verify").json["intact"] is True
    for command, body in [
        ("accept", None),
        ("notes", {"text": "审计意见"}),
        ("transfer", {"to": None, "reason": "x"}),
        ("review", {"result": "upheld", "explanation": "x"}),
        ("close", None),
    ]:
        assert_error(auditor.act(ref, command, body), 403, "forbidden")
    filing = auditor.post("/api/v1/cases", json={**_hotline_filing()})
    assert_error(filing, 403, "forbidden")
    assert event_store.head() == head


def test_verification_is_for_supervisors_and_auditors(assigned_case, staff, assert_error):
    path = f"/api/v1/cases/{assigned_case.reference}/verify"

    assert staff.login("supervisor").get(path).status_code == 200
    assert_error(staff.login("intake").get(path), 403, "forbidden")
    assert_error(staff.login("handler-TAX").get(path), 403, "forbidden")


def test_filing_on_a_staff_channel_needs_a_staff_token(client, assert_error, event_store):
    head = event_store.head()

    reply = client.post("/api/v1/cases", json=_hotline_filing())

    body = assert_error(reply, 422, "invalid_value")
    assert body["details"]["field"] == "channel"
    assert event_store.head() == head


def test_a_handler_sees_nothing_of_a_confidential_filer_intake_and_supervisor_see_it_whole(
    assigned_case, staff
):
    ref = assigned_case.reference
    handler_view = staff.login("handler-TAX").view(ref)
    intake_view = staff.login("intake").view(ref).json
    supervisor_view = staff.login("supervisor").view(ref).json
    handler_history = staff.login("handler-TAX").history(ref)

    assert handler_view.json["filer_masked"] is True
    assert handler_view.json["filer"] == {"kind": "enterprise", "language": "zh", "withheld": True}
    assert handler_history.json["events"][0]["data"]["filer"] == {"language": "zh",
                                                                  "withheld": True}
    for reply in (handler_view, handler_history):
        text = reply.get_data(as_text=True)
        for part in ("黑河", "商贸", "王", "+86", "wang", "@", "example.cn"):
            assert part not in text, (part, reply.request.path)
    for whole in (intake_view, supervisor_view):
        assert whole["filer_masked"] is False
        assert whole["filer"]["enterprise_name"] == "黑河市远东商贸有限公司"


def test_why_a_confidential_filer_was_unreachable_reaches_every_reader_as_a_code(
    assigned_case, staff, runtime
):
    app = runtime.services.complaints
    case_id = app.resolve_case_id(assigned_case.reference)
    app.record_receipt(case_id, "n-1", delivered=False, channel="webhook",
                       reason="webhook to https://hooks.farm-east.example/x failed: refused")
    app.record_receipt(case_id, "n-2", delivered=False, channel="email",
                       reason="email_timeout")

    def reasons(username: str) -> list[str]:
        events = staff.login(username).history(assigned_case.reference).json["events"]
        return [event["data"]["reason"] for event in events
                if event["type"] == "FilerUnreachable"]

    assert reasons("handler-TAX") == ["unknown", "email_timeout"]
    assert reasons("intake") == ["unknown", "email_timeout"]


def test_a_filer_never_sees_internal_notes(filer, staff):
    intake = staff.login("intake")
    handler = staff.login("handler-TAX")
    case = filer.file_case()
    ref = case.reference
    intake.act(ref, "accept")
    intake.act(ref, "assign")
    handler.act(ref, "notes", {"text": "企业背景复杂，内部注意", "visibility": "internal"})
    handler.act(ref, "notes", {"text": "已转交科室办理", "visibility": "public"})

    owner = filer.sign_in(case)
    seen_by_filer = owner.history(ref).json
    seen_by_staff = intake.history(ref).json
    view = owner.view(ref)

    filer_texts = [e["data"].get("text") for e in seen_by_filer["events"]]
    staff_texts = [e["data"].get("text") for e in seen_by_staff["events"]]
    assert "企业背景复杂，内部注意" not in filer_texts
    assert "已转交科室办理" in filer_texts
    assert "企业背景复杂，内部注意" in staff_texts
    assert "企业背景复杂" not in view.get_data(as_text=True)
    assert all(
        e["actor"]["id"] is None for e in seen_by_filer["events"] if e["actor"]["role"] != "filer"
    )


def _hotline_filing() -> dict:
    return {
        "channel": "hotline",
        "category": "licensing",
        "subject": "许可证办理超期",
        "description": "申请食品经营许可证超过法定期限仍未办结。",
        "filer": {"enterprise_name": "黑河市北方食品有限公司"},
    }
