"""The reader's language (zh, en, ru) and clock (Asia/Shanghai): chosen, remembered, shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from flask import Response, request
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup

import complaints
from shared.locale import CITY_TIMEZONE, DEFAULT_LANGUAGE
from shared.locale import LANGUAGES as CITY_LANGUAGES

# Each of the city's languages named in itself, for the switcher.
LANGUAGES = dict(zip(CITY_LANGUAGES, ("中文", "English", "Русский"), strict=True))
# What <html lang> says: Simplified Chinese glyphs for zh.
HTML_LANG = {"zh": "zh-CN", "en": "en", "ru": "ru"}
TIMEZONE = CITY_TIMEZONE
TRANSLATIONS = Path(complaints.__file__).parent / "translations"

QUERY_PARAMETER = "lang"
COOKIE = "huiyin_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def lang_attribute(code: str | None) -> Markup:
    """` lang="ru"` for words written in one of the city's languages (a filer's), so a screen
    reader reads them in that language's voice whatever the page's; nothing for an unknown one."""
    return Markup(f' lang="{HTML_LANG[code]}"') if code in HTML_LANG else Markup("")


def select_language() -> str:
    """An explicit choice (?lang=), then the remembered one (cookie), then the browser's."""
    chosen = request.args.get(QUERY_PARAMETER)
    if chosen in LANGUAGES:
        return chosen
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def remember_choice(response: Response, secure: bool) -> Response:
    """Keep a language chosen with ?lang= for a year, so every later page speaks it."""
    chosen = request.args.get(QUERY_PARAMETER)
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=secure, httponly=True
        )
    return response


def language_url(language: str) -> str:
    """This page's address in another language; the other query parameters are kept."""
    query = [(key, value) for key, value in request.args.items(multi=True)
             if key != QUERY_PARAMETER]
    query.append((QUERY_PARAMETER, language))
    return f"{request.path}?{urlencode(query)}"


def local_datetime(moment: datetime | str | None, format: str = "medium") -> str:
    """A moment in the reader's locale, on the city's clock (Asia/Shanghai)."""
    moment = _moment(moment)
    return format_datetime(moment, format) if moment is not None else ""


def local_date(moment: datetime | str | None, format: str = "long") -> str:
    moment = _moment(moment)
    return format_date(moment, format) if moment is not None else ""


def iso_datetime(moment: datetime | str | None) -> str:
    """The same moment for <time datetime="…">, which machines and screen readers read."""
    moment = _moment(moment)
    return moment.isoformat() if moment is not None else ""


def _moment(moment: datetime | str | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    # The store and the read models keep UTC; a naive time is taken to be UTC too.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
