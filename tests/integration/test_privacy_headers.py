"""What answers carry beside their body: no copy kept of personal data, no sniffing, no framing,
metrics only for the scraper that knows the token, and secure cookies off loopback."""

from __future__ import annotations

import re

import pytest

from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION
from tests.fixtures.stores import settings_for

METRICS_TOKEN = "metrics-token-0123456789abcdefghijkl"


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture
def settings(tmp_path):
    return settings_for("sqlite", str(tmp_path), HUIYIN_LOG_LEVEL="WARNING",
                        HUIYIN_METRICS_TOKEN=METRICS_TOKEN)


def kept_by_no_one(reply) -> None:
    assert "no-store" in reply.headers.get("Cache-Control", ""), (reply.request.path,
                                                                 reply.headers)
    assert reply.headers.get("X-Content-Type-Options") == "nosniff", reply.request.path


def test_api_answers_with_personal_data_are_neither_stored_nor_sniffed(filer, staff, client):
    case = filer.file_case()
    intake = staff.login("intake")
    owner = filer.sign_in(case)

    for reply in (
        filer.anonymous.post("/api/v1/cases", json=filer.submission()),
        client.post("/api/v1/auth/filer-token",
                    json={"reference": case.reference, "access_code": case.access_code}),
        client.post("/api/v1/auth/token", json={"username": "intake", "password": "wrong"}),
        intake.view(case.reference),
        intake.history(case.reference),
        intake.get("/api/v1/cases"),
        owner.view(case.reference),
        client.get("/api/v1/cases/HY-2026-999999"),
    ):
        kept_by_no_one(reply)
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


def test_pages_that_may_echo_personal_data_are_never_stored(client):
    for path in ("/staff/sign-in", "/track", "/file"):
        kept_by_no_one(client.get(path))


def test_the_docs_page_has_a_policy_against_framing_and_no_inline_script(client):
    reply = client.get("/docs")
    page = reply.get_data(as_text=True)

    policy = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert re.search(r"script-src 'self'(;|$)", policy)
    assert "unsafe-eval" not in policy
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script"
    assert "/openapi.json" in page


def test_metrics_answer_only_the_bearer_of_the_metrics_token(client, assert_error):
    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 36})
    right = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert_error(missing, 401, "unauthenticated")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(wrong, 401, "unauthenticated")
    assert right.status_code == 200
    assert "huiyin_http_requests_total" in right.get_data(as_text=True)


def test_without_a_metrics_token_there_are_no_metrics(tmp_path, assert_error):
    app = create_app(settings_for("sqlite", str(tmp_path), HUIYIN_LOG_LEVEL="WARNING"))
    try:
        reply = app.test_client().get("/metrics")
    finally:
        app.extensions[EXTENSION].close()

    assert_error(reply, 404)


def test_off_loopback_the_cookies_are_secure_unless_told_otherwise(tmp_path):
    for bind, secure in (("0.0.0.0:8000", True), ("127.0.0.1:8000", False)):
        app = create_app(settings_for("sqlite", str(tmp_path / bind), HUIYIN_BIND=bind,
                                      HUIYIN_LOG_LEVEL="WARNING"))
        try:
            reply = app.test_client().get("/?lang=en", base_url="https://localhost")
        finally:
            app.extensions[EXTENSION].close()
        assert app.config["SESSION_COOKIE_SECURE"] is secure
        cookie = next(value for value in reply.headers.getlist("Set-Cookie")
                      if value.startswith("huiyin_lang="))
        assert ("Secure" in cookie) is secure
