"""Intake through the API: the one-time reply, and idempotent retries."""

from __future__ import annotations


def test_filing_answers_the_reference_and_access_code_once(client, filer):
    reply = client.post("/api/v1/cases", json=filer.submission())

    assert reply.status_code == 201
    body = reply.get_json()
    assert body["reference"].startswith("HY-")
    assert body["replayed"] is False
    assert reply.headers["Location"].endswith(f"/api/v1/cases/{body['case_id']}")


def test_the_same_idempotency_key_files_one_case_and_answers_the_same_reply(
    client, filer, event_store
):
    submission = filer.submission()
    key = {"Idempotency-Key": "form-7f3a9c"}

    first = client.post("/api/v1/cases", json=submission, headers=key)
    head = event_store.head()
    second = client.post("/api/v1/cases", json=submission, headers=key)

    assert first.status_code == 201
    assert second.status_code == 200
    assert {**second.json, "replayed": False} == first.json
    assert second.json["replayed"] is True
    assert event_store.head() == head


def test_a_reused_idempotency_key_with_another_body_is_422(
    client, filer, assert_error, event_store
):
    key = {"Idempotency-Key": "form-0001"}
    client.post("/api/v1/cases", json=filer.submission(), headers=key)
    head = event_store.head()

    reply = client.post("/api/v1/cases", json=filer.submission(subject="另一件事"), headers=key)

    assert_error(reply, 422, "idempotency_key_reused")
    assert event_store.head() == head


def test_different_keys_file_different_cases(client, filer):
    submission = filer.submission()

    first = client.post("/api/v1/cases", json=submission, headers={"Idempotency-Key": "a-1"})
    second = client.post("/api/v1/cases", json=submission, headers={"Idempotency-Key": "a-2"})

    assert first.json["reference"] != second.json["reference"]


def test_the_filer_opens_the_case_with_reference_and_access_code(filer):
    case = filer.file_case(anonymous=True)

    owner = filer.sign_in(case)
    view = owner.view(case.reference).json

    assert owner.info["role"] == "filer"
    assert owner.info["case_id"] == case.case_id
    assert view["filer"]["enterprise_name"] == "黑河市远东商贸有限公司"
    assert view["anonymous"] is True
    assert "access_code_hash" not in str(owner.history(case.reference).json)


def test_a_filer_with_a_webhook_gets_its_signing_secret_once_at_filing(client):
    body = {
        "channel": "api",
        "category": "tax",
        "subject": "webhook",
        "description": "tell our system",
        "filer": {"enterprise_name": "Amur Trade", "webhook_url": "https://hooks.amur.example/h"},
    }
    with_hook = client.post("/api/v1/cases", json=body)
    plain = client.post("/api/v1/cases", json={**body, "filer": {"enterprise_name": "Amur"}})
    insecure = client.post("/api/v1/cases", json={
        **body, "filer": {"enterprise_name": "Amur", "webhook_url": "http://hooks.amur.example/h"}})

    assert with_hook.status_code == 201 and len(with_hook.json["webhook_secret"]) == 64
    assert plain.json["webhook_secret"] is None
    assert insecure.status_code == 422
    assert "https" in str(insecure.json["details"])
