"""The web pages: server-rendered Jinja2 at the site root, one folder and child blueprint per
feature (its views, forms and words); what every page shares sits beside them here.

Every page works without JavaScript. Pages are signed in by a session cookie, so every form
POST carries a CSRF token; the JSON API (bearer tokens, never cookies) needs none.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    get_flashed_messages,
    request,
    send_from_directory,
    session,
)
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from complaints.settings import Settings
from complaints.web.pages.audit import views as audit
from complaints.web.pages.case import views as case
from complaints.web.pages.dashboard import views as dashboard
from complaints.web.pages.delivery_failures import failure_words
from complaints.web.pages.errors import install as install_error_pages
from complaints.web.pages.errors import is_page_request
from complaints.web.pages.filing import views as filing
from complaints.web.pages.home import views as home
from complaints.web.pages.intake import views as intake
from complaints.web.pages.knowledge import views as knowledge
from complaints.web.pages.labels import category_name, department_name, role_name
from complaints.web.pages.languages import (
    DEFAULT_LANGUAGE,
    HTML_LANG,
    LANGUAGES,
    TIMEZONE,
    TRANSLATIONS,
    current_language,
    iso_datetime,
    lang_attribute,
    language_url,
    local_date,
    local_datetime,
    remember_choice,
    select_language,
)
from complaints.web.pages.navigation import destinations_for, is_current
from complaints.web.pages.queue import views as queue
from complaints.web.pages.sessions import SESSION_LIFETIME, current_principal
from complaints.web.pages.similar import views as similar
from complaints.web.pages.staff import views as staff
from complaints.web.pages.tracking import views as tracking

blp = Blueprint("pages", __name__)
# A new feature: a folder whose views.py has its own Blueprint, added here.
for feature in (home.blp, staff.blp, dashboard.blp, audit.blp, filing.blp, tracking.blp,
                queue.blp, case.blp, intake.blp, knowledge.blp, similar.blp):
    blp.register_blueprint(feature)

_SESSION_KEY_LABEL = b"huiyin/page-sessions/v1"
# The pages whose forms are shown again with what was typed (sign-in, filing, tracking).
_ECHOING = ("/staff", "/track", "/file")

# No inline scripts and nothing from another origin; style attributes are allowed (bar widths).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def install(app: Flask, settings: Settings) -> None:
    """Sessions, languages, CSRF and error pages, then the pages themselves at `/`."""
    # A key of its own, so a session cookie never doubles as any other use of the secret.
    app.secret_key = hmac.new(
        settings.secret_key.encode(), _SESSION_KEY_LABEL, hashlib.sha256
    ).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="huiyin_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # The pages' own hook checks the token (below), so the API's blueprints need no exemption.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A form may stay open as long as a session lasts.
        WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),
    )
    Babel(
        app,
        locale_selector=select_language,
        default_locale=DEFAULT_LANGUAGE,
        default_timezone=TIMEZONE,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # A value that is not there prints as nothing, never as "None": an erased personal value
    # reads as None (complaints.domain.chain.canonical).
    app.jinja_env.finalize = _nothing_for_none
    CSRFProtect(app)
    install_error_pages(app)
    app.jinja_env.filters.update(
        local_datetime=local_datetime, local_date=local_date, iso_datetime=iso_datetime,
        lang_attribute=lang_attribute,
    )
    app.jinja_env.globals.update(
        language_url=language_url,
        role_name=role_name,
        department_name=department_name,
        category_name=category_name,
        failure_words=failure_words,
        is_current=is_current,
    )
    app.context_processor(_page_context)
    app.after_request(_page_headers)
    app.register_blueprint(blp)


@blp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers and feed readers look without being told (the pages
    link the SVG one): 回 in white on the site's blue, made with the SVG beside it."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400,
                               mimetype="image/vnd.microsoft.icon")


@blp.before_request
def _protect_forms() -> None:
    """Refuse a form POST without this session's CSRF token (400, the CSRF error page)."""
    current_app.extensions["csrf"].protect()


def _page_context() -> dict:
    principal = current_principal() if is_page_request() else None
    language = current_language()
    return {
        "principal": principal,
        "destinations": destinations_for(principal),
        "languages": LANGUAGES,
        "language": language,
        "html_lang": HTML_LANG.get(language, language),
        "notices": get_flashed_messages() if is_page_request() else [],
    }


def _page_headers(response: Response) -> Response:
    if not is_page_request():
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers["Content-Language"] = HTML_LANG.get(current_language(), DEFAULT_LANGUAGE)
        response.vary.update(("Accept-Language", "Cookie"))
    if "principal" in session or request.path.startswith(_ECHOING):
        # A signed-in page holds someone's work or personal data, and a form sent back with
        # its problems holds what was typed into it: no cache keeps either.
        headers["Cache-Control"] = "private, no-store"
    return remember_choice(response, current_app.config["SESSION_COOKIE_SECURE"])


def _nothing_for_none(value: Any) -> Any:
    return "" if value is None else value
