"""Sign-ins are throttled per account and per client address, whichever door (API or page) is
tried, before any password is hashed; filings without login per address. The counters live
in the deployment's own database, so every worker (here: a second app) sees them."""

from __future__ import annotations

import logging
import re
from html import unescape

import pytest

from complaints.application import staff as staff_module
from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION
from tests.fixtures.stores import settings_for
from tests.integration.conftest import PASSWORD

FAILED = (400, 401, 422)  # the answers a sign-in is counted by
STRICT = {
    "HUIYIN_SIGN_IN_ACCOUNT_LIMITS": "3 per minute",
    "HUIYIN_SIGN_IN_ADDRESS_LIMITS": "5 per minute",
    "HUIYIN_ANONYMOUS_FILING_LIMITS": "2 per minute",
}


@pytest.fixture
def settings(store, request, tmp_path):
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return settings_for(store, str(tmp_path), url, HUIYIN_LOG_LEVEL="WARNING", **STRICT)


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password check the staff directory makes."""
    made: list[str] = []
    real = staff_module.check_password_hash

    def counted(password_hash: str, password: str) -> bool:
        made.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(staff_module, "check_password_hash", counted)
    return made


def token(client, username: str, password: str, **kwargs):
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, **kwargs
    )


def form_token(page) -> str:
    html = page.get_data(as_text=True)
    return unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1))


def test_wrong_passwords_for_one_account_are_refused_with_429_before_any_hash(
    client, staff, hashes, assert_error
):
    staff.login("intake")
    hashes.clear()

    tries = [token(client, "intake", f"wrong guess {n:04}") for n in range(3)]
    refused = token(client, "intake", "wrong guess 0003")
    even_right = token(client, "INTAKE", PASSWORD)

    assert [reply.status_code for reply in tries] == [401, 401, 401]
    body = assert_error(refused, 429, "too_many_requests")
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 61  # a minute's window, rounded up
    assert body["details"]["retry_after"] == wait
    assert_error(even_right, 429, "too_many_requests")  # the account waits out the window
    assert len(hashes) == 3  # the refused tries hashed nothing


def test_signing_in_right_does_not_count(client, staff):
    staff.login("auditor")

    replies = [token(client, "auditor", PASSWORD) for _ in range(6)]

    assert {reply.status_code for reply in replies} == {200}


def test_one_address_trying_many_accounts_is_refused_after_its_own_limit(client, hashes,
                                                                       assert_error):
    tries = [token(client, f"someone-{n}", "wrong guess here") for n in range(5)]
    refused = token(client, "someone-else", "wrong guess here")
    elsewhere = token(client, "someone-else", "wrong guess here",
                      environ_base={"REMOTE_ADDR": "198.51.100.7"})

    assert [reply.status_code for reply in tries] == [401] * 5
    assert_error(refused, 429, "too_many_requests")
    assert elsewhere.status_code == 401
    assert len(hashes) == 6


def test_a_sign_in_naming_no_account_is_counted_by_its_address_alone_and_logs_no_error(
    client, caplog, assert_error
):
    with caplog.at_level(logging.WARNING):
        tries = [token(client, blank, "wrong guess here") for blank in ("", " ", "", "\t", "")]
        refused = token(client, "", "wrong guess here")

    assert {reply.status_code for reply in tries} <= set(FAILED)
    assert_error(refused, 429, "too_many_requests")
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_an_ipv6_client_is_counted_by_its_64(client, assert_error):
    for n in range(5):
        token(client, f"someone-{n}", "wrong", environ_base={"REMOTE_ADDR": f"2001:db8::{n + 1}"})

    same_64 = token(client, "x", "wrong", environ_base={"REMOTE_ADDR": "2001:db8::ff:1"})
    other_64 = token(client, "x", "wrong", environ_base={"REMOTE_ADDR": "2001:db8:0:1::1"})

    assert_error(same_64, 429, "too_many_requests")
    assert other_64.status_code == 401


def test_forwarded_for_is_believed_only_behind_a_configured_proxy(store, request, tmp_path,
                                                                 client, assert_error):
    for n in range(5):
        token(client, f"someone-{n}", "wrong", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    spoofed = token(client, "x", "wrong", headers={"X-Forwarded-For": "203.0.113.99"})
    assert_error(spoofed, 429, "too_many_requests")

    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    proxied = create_app(settings_for(store, str(tmp_path / "proxied"), url,
                                      HUIYIN_TRUSTED_PROXIES="1", **STRICT))
    try:
        behind = proxied.test_client()
        for _ in range(5):
            token(behind, "x", "wrong", headers={"X-Forwarded-For": "203.0.113.1"})
        assert_error(token(behind, "x", "wrong", headers={"X-Forwarded-For": "203.0.113.1"}),
                     429, "too_many_requests")
        other = token(behind, "y", "wrong", headers={"X-Forwarded-For": "203.0.113.2"})
        assert other.status_code == 401
    finally:
        proxied.extensions[EXTENSION].close()


def test_every_worker_shares_the_counters(settings, client, staff, assert_error):
    staff.login("supervisor")
    second_worker = create_app(settings)
    try:
        for _ in range(3):
            token(second_worker.test_client(), "supervisor", "wrong guess here")

        assert_error(token(client, "supervisor", "wrong guess here"), 429, "too_many_requests")
    finally:
        second_worker.extensions[EXTENSION].close()


def test_the_filer_token_and_the_tracking_page_share_a_case_s_counter(client, filer,
                                                                     assert_error):
    case = filer.file_case()
    wrong = {"reference": case.reference, "access_code": "WRONG-CODE-000"}
    page = client.get("/track")

    by_api = [client.post("/api/v1/auth/filer-token", json=wrong) for _ in range(2)]
    by_page = client.post("/track", data={**wrong, "csrf_token": form_token(page)})
    refused = client.post("/api/v1/auth/filer-token", json=wrong)
    right = client.post("/api/v1/auth/filer-token",
                        json={"reference": case.reference.lower(), "access_code": case.access_code})

    assert [reply.status_code for reply in by_api] == [401, 401]
    assert by_page.status_code == 422
    assert_error(refused, 429, "too_many_requests")
    assert_error(right, 429, "too_many_requests")


def test_the_staff_sign_in_page_says_so_in_the_reader_s_language(client, staff):
    staff.login("handler-TAX")
    for _ in range(3):
        page = client.get("/staff/sign-in")
        client.post("/staff/sign-in", data={"csrf_token": form_token(page),
                                            "username": "handler-TAX", "password": "wrong one"})
    page = client.get("/staff/sign-in")

    refused = client.post("/staff/sign-in", data={
        "csrf_token": form_token(page), "username": "handler-tax", "password": PASSWORD})

    assert page.status_code == 200  # the form itself still opens
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert refused.content_type.startswith("text/html")
    assert "尝试次数过多，请稍后再试" in refused.get_data(as_text=True)


def test_filing_without_login_is_limited_per_address_but_staff_filing_is_not(client, filer,
                                                                            staff, assert_error):
    intake = staff.login("intake")
    for _ in range(2):
        filer.file_case()

    refused = client.post("/api/v1/cases", json=filer.submission())
    elsewhere = client.post("/api/v1/cases", json=filer.submission(),
                            environ_base={"REMOTE_ADDR": "198.51.100.8"})
    by_staff = intake.post("/api/v1/cases", json=filer.submission(channel="hotline"))

    assert_error(refused, 429, "too_many_requests")
    assert "Retry-After" in refused.headers
    assert elsewhere.status_code == 201
    assert by_staff.status_code == 201
