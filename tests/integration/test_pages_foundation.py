"""The pages' foundation through Flask's test client: languages, sessions, CSRF, error pages."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from complaints.domain.values import Role
from complaints.web.app import create_app
from complaints.web.pages.languages import local_date, local_datetime
from complaints.web.pages.sessions import local_path, staff_required
from complaints.web.runtime import EXTENSION
from tests.fixtures.pages import text_of

PASSWORD = "correct horse battery staple"
LANG_COOKIE = "huiyin_lang"
SESSION_COOKIE = "huiyin_session"


@pytest.fixture
def store() -> str:
    """The pages keep nothing of their own in the store: SQLite is enough."""
    return "sqlite"


class Visitor:
    """Someone using the pages through a browser-like client that keeps its cookies."""

    def __init__(self, client: FlaskClient, app: Flask) -> None:
        self.client = client
        self.app = app

    def register(self, username: str) -> None:
        role, _, department = username.partition("-")
        self.app.extensions[EXTENSION].services.staff.register(
            username, PASSWORD, role, department or None
        )

    def form_token(self, path: str = "/staff/sign-in") -> str:
        return csrf_token(self.client.get(path))

    def sign_in(self, username: str, password: str = PASSWORD, next_path: str | None = None):
        token = self.form_token()
        query = {"next": next_path} if next_path else {}
        return self.client.post(
            "/staff/sign-in",
            data={"csrf_token": token, "username": username, "password": password},
            query_string=query,
        )

    def sign_out(self):
        token = self.form_token("/staff")
        return self.client.post("/staff/sign-out", data={"csrf_token": token})


@pytest.fixture
def visitor(client: FlaskClient, app: Flask) -> Visitor:
    return Visitor(client, app)


def csrf_token(page) -> str:
    """The token of the page's first form, as a browser would send it back."""
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page.get_data(as_text=True))
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def set_cookie(response, name: str) -> str:
    headers = [value for value in response.headers.getlist("Set-Cookie")
               if value.startswith(f"{name}=")]
    assert headers, response.headers
    return headers[-1]


# Languages


def test_without_any_choice_the_pages_speak_chinese(client):
    page = client.get("/")
    assert html_lang(page) == "zh-CN"
    assert "我要投诉" in text_of(page)
    assert page.headers["Content-Language"] == "zh-CN"


@pytest.mark.parametrize(
    ("accept_language", "lang", "words"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru", "Подать жалобу"),
        ("en-GB,en;q=0.8", "en", "File a complaint"),
        ("fr-FR,de;q=0.5", "zh-CN", "我要投诉"),
        ("de-DE,ru;q=0.3", "ru", "Подать жалобу"),
    ],
)
def test_the_browsers_languages_choose_when_the_reader_has_not(client, accept_language, lang,
                                                                words):
    page = client.get("/", headers={"Accept-Language": accept_language})
    assert html_lang(page) == lang
    assert words in text_of(page)


def test_a_language_chosen_is_remembered_for_a_year_over_the_browsers(client):
    chosen = client.get("/?lang=ru", headers={"Accept-Language": "en"})
    cookie = set_cookie(chosen, LANG_COOKIE)
    assert cookie.startswith("huiyin_lang=ru;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    later = client.get("/staff/sign-in", headers={"Accept-Language": "en"})
    assert html_lang(later) == "ru"
    assert "Вход для сотрудников" in text_of(later)


def test_a_new_choice_replaces_the_remembered_one_and_a_made_up_one_is_ignored(client):
    client.get("/?lang=ru")
    assert html_lang(client.get("/?lang=en")) == "en"
    assert html_lang(client.get("/?lang=xx")) == "en"
    assert html_lang(client.get("/")) == "en"


def test_the_language_links_keep_the_rest_of_the_address(client):
    page = client.get("/staff/sign-in?next=/staff/queue").get_data(as_text=True)
    assert 'href="/staff/sign-in?next=%2Fstaff%2Fqueue&amp;lang=ru"' in page
    assert 'lang="ru" hreflang="ru"' in page


@pytest.mark.parametrize(
    ("lang", "moment", "day"),
    [
        ("zh", "2026年1月6日 00:30:00", "2026年1月6日"),
        ("en", "Jan 6, 2026, 12:30:00\u202fAM", "January 6, 2026"),
        ("ru", "6 янв. 2026\u202fг., 00:30:00", "6 января 2026\u202fг."),
    ],
)
def test_times_are_shown_in_the_readers_language_on_beijing_time(app, lang, moment, day):
    evening_in_utc = datetime(2026, 1, 5, 16, 30, tzinfo=UTC)
    with app.test_request_context(f"/?lang={lang}"):
        assert local_datetime(evening_in_utc) == moment
        assert local_datetime(evening_in_utc.isoformat()) == moment
        assert local_datetime(evening_in_utc.replace(tzinfo=None)) == moment
        assert local_date(evening_in_utc) == day


# Forms and CSRF


def test_a_form_sent_without_its_csrf_token_is_refused_with_the_400_page(client, visitor):
    visitor.register("intake")
    refused = client.post("/staff/sign-in", data={"username": "intake", "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.mimetype == "text/html"
    assert "表单未能提交" in text_of(refused)
    assert client.get("/staff").status_code == 302  # nobody was signed in


def test_a_form_with_a_token_from_another_session_is_refused(app, client, visitor):
    visitor.register("intake")
    other_browser = Visitor(app.test_client(), app)
    token = other_browser.form_token()
    client.get("/staff/sign-in")
    refused = client.post(
        "/staff/sign-in", data={"csrf_token": token, "username": "intake", "password": PASSWORD}
    )
    assert refused.status_code == 400


def test_the_json_api_answers_without_a_csrf_token(client):
    reply = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong"})
    assert reply.status_code == 401
    assert reply.get_json()["error"] == "unauthenticated"


def test_the_json_api_still_refuses_a_form_body(client):
    reply = client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    assert reply.status_code == 415
    assert reply.get_json()["error"] == "unsupported_media_type"


# Staff sessions


def test_staff_sign_in_to_their_workspace_and_sign_out(client, visitor):
    visitor.register("handler-TAX")
    signed_in = visitor.sign_in("handler-TAX")
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/staff"
    workspace = client.get("/staff?lang=en")
    assert workspace.status_code == 200
    words = text_of(workspace)
    assert "handler-tax" in words and "Department handler" in words and "Tax Bureau" in words
    assert workspace.headers["Cache-Control"] == "private, no-store"

    signed_out = visitor.sign_out()
    assert signed_out.status_code == 303 and signed_out.headers["Location"] == "/"
    assert "You have signed out." in text_of(client.get("/"))
    assert client.get("/staff").status_code == 302


def test_a_failed_sign_in_says_the_same_for_an_unknown_name_and_a_wrong_password(client,
                                                                                visitor):
    visitor.register("auditor")
    wrong_password = visitor.sign_in("auditor", "not the password")
    unknown_name = visitor.sign_in("no-such-person", "not the password")
    for reply in (wrong_password, unknown_name):
        assert reply.status_code == 422
        assert "用户名或密码不正确" in text_of(reply)
    assert text_of(wrong_password).replace("auditor", "no-such-person") == text_of(unknown_name)
    assert client.get("/staff").status_code == 302


def test_an_empty_sign_in_form_names_each_missing_field_beside_it(client, visitor):
    token = visitor.form_token()
    reply = client.post("/staff/sign-in?lang=en",
                        data={"csrf_token": token, "username": "", "password": ""})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert '<a href="#username">Enter your username</a>' in page
    assert 'id="username-error"' in page and 'aria-describedby="username-error"' in page
    assert 'aria-invalid="true"' in page
    assert "<title>Error: Staff sign-in" in page


def test_the_session_cookie_is_http_only_same_site_lax_and_lasts_eight_hours(client, visitor):
    visitor.register("supervisor")
    cookie = set_cookie(visitor.sign_in("supervisor"), SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    lasts = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert abs(lasts - datetime.now(UTC) - timedelta(hours=8)) < timedelta(minutes=1)


def test_cookies_are_secure_when_the_setting_says_so(settings):
    app = create_app(dataclasses.replace(settings, secure_cookies=True))
    try:
        visitor = Visitor(app.test_client(), app)
        visitor.register("auditor")
        assert "Secure" in set_cookie(visitor.client.get("/?lang=en"), LANG_COOKIE)
        # A secure-only cookie is not sent back over plain HTTP: sign in over HTTPS.
        visitor.client = app.test_client()
        token = csrf_token(visitor.client.get("/staff/sign-in", base_url="https://localhost"))
        signed_in = visitor.client.post(
            "/staff/sign-in",
            base_url="https://localhost",
            data={"csrf_token": token, "username": "auditor", "password": PASSWORD},
            headers={"Referer": "https://localhost/staff/sign-in"},
        )
        assert signed_in.status_code == 303
        assert "Secure" in set_cookie(signed_in, SESSION_COOKIE)
    finally:
        app.extensions[EXTENSION].close()


def test_a_session_ends_eight_hours_after_sign_in_however_busy(client, visitor):
    visitor.register("intake")
    start = datetime.now(UTC)
    visitor.sign_in("intake")
    with time_machine.travel(start + timedelta(hours=7, minutes=30), tick=False):
        assert client.get("/staff").status_code == 200  # and the cookie is signed afresh
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        ended = client.get("/staff")
    assert ended.status_code == 302
    assert ended.headers["Location"].startswith("/staff/sign-in")


def test_staff_pages_send_a_stranger_to_sign_in_and_back(client, visitor):
    visitor.register("intake")
    away = client.get("/staff?lang=en")
    assert away.status_code == 302
    where = urlsplit(away.headers["Location"])
    assert where.path == "/staff/sign-in"
    assert parse_qs(where.query) == {"next": ["/staff?lang=en"]}
    back = visitor.sign_in("intake", next_path="/staff?lang=en")
    assert back.headers["Location"] == "/staff?lang=en"


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "//evil.example/staff", "https://evil.example/staff", "http:evil.example",
     "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "staff", "/\t/evil.example",
     "", None],
)
def test_a_next_address_off_this_site_is_refused(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", ["/staff", "/staff/queue?status=assigned&page=2", "/"])
def test_a_next_address_on_this_site_is_kept(target):
    assert local_path(target) == target


def test_signing_in_never_leads_off_the_site(visitor):
    visitor.register("auditor")
    for target in ("//evil.example", "https://evil.example/x"):
        reply = visitor.sign_in("auditor", next_path=target)
        assert reply.status_code == 303
        assert reply.headers["Location"] == "/staff"


def test_a_role_a_page_does_not_admit_gets_the_403_page(app, client, visitor):
    app.add_url_rule(
        "/staff/for-auditors", "for_auditors", staff_required(Role.AUDITOR)(lambda: "auditors")
    )
    visitor.register("handler-TAX")
    visitor.sign_in("handler-TAX")
    refused = client.get("/staff/for-auditors")
    assert refused.status_code == 403
    assert "您无权访问此页面" in text_of(refused)


# Error pages and headers


def test_an_unknown_page_answers_the_404_page_and_the_api_its_json(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Страница не найдена" in text_of(page)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"


def test_a_failure_on_a_page_answers_the_500_page_with_its_reference(app, client):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    page = client.get("/broken?lang=en", headers={"X-Request-Id": "req-123"})
    assert page.status_code == 500
    assert "Sorry, something went wrong on our side" in text_of(page)
    assert "req-123" in text_of(page)
    assert "a bug" not in text_of(page)


def test_pages_forbid_scripts_from_elsewhere_and_the_api_docs_keep_theirs(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    docs_policy = client.get("/docs").headers["Content-Security-Policy"]
    assert docs_policy != policy and "frame-ancestors 'none'" in docs_policy


def test_the_landing_page_leads_to_filing_tracking_and_staff_sign_in(client):
    page = client.get("/").get_data(as_text=True)
    for address in ('href="/file"', 'href="/track"', 'href="/staff/sign-in"'):
        assert address in page
    assert client.get("/static/huiyin.css").status_code == 200


def test_the_site_has_an_icon_where_browsers_look_and_where_the_pages_say(client):
    page = client.get("/").get_data(as_text=True)
    linked = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    svg = client.get(linked)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).startswith("<svg")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file's own first bytes
