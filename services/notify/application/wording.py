"""Words the templates share, per language: dates in the city's time, outcomes, lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

CITY_TIME = ZoneInfo("Asia/Shanghai")

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
}

OUTCOMES = {
    "zh": {
        "resolved": "已解决",
        "partly_resolved": "部分解决",
        "explained": "已作解释说明（未发现过错）",
        "not_substantiated": "反映问题不属实",
    },
    "en": {
        "resolved": "resolved",
        "partly_resolved": "partly resolved",
        "explained": "explained (no fault found)",
        "not_substantiated": "not substantiated",
    },
    "ru": {
        "resolved": "вопрос решён",
        "partly_resolved": "вопрос решён частично",
        "explained": "даны разъяснения (нарушений не выявлено)",
        "not_substantiated": "изложенные факты не подтвердились",
    },
}

CONTACT_METHODS = {
    "zh": {"phone": "电话回访", "visit": "上门回访", "sms": "短信回访", "email": "邮件回访"},
    "en": {"phone": "telephone", "visit": "visit in person", "sms": "text message",
           "email": "email"},
    "ru": {"phone": "телефонный звонок", "visit": "личный визит", "sms": "SMS",
           "email": "электронная почта"},
}

SCORES_ZH = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


def local_moment(value: datetime | date | str) -> datetime | date:
    """A moment from the wire (a datetime or ISO text) as seen in the city."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(CITY_TIME) if value.tzinfo else value.replace(tzinfo=CITY_TIME)
    return value


def format_date(value: datetime | date | str, language: str) -> str:
    moment = local_moment(value)
    if language == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日"
    if language == "ru":
        return f"{moment.day} {_MONTHS['ru'][moment.month - 1]} {moment.year} г."
    return f"{moment.day} {_MONTHS['en'][moment.month - 1]} {moment.year}"


def format_datetime(value: datetime | date | str, language: str) -> str:
    moment = local_moment(value)
    day = format_date(moment, language)
    if not isinstance(moment, datetime):
        return day
    separator = " " if language == "zh" else ", "
    return f"{day}{separator}{moment:%H:%M}"


def join_list(items: Iterable[str], language: str) -> str:
    """A、B、C · A, B and C · A, B и C."""
    words = [str(item) for item in items]
    if language == "zh":
        return "、".join(words)
    if len(words) < 2:
        return "".join(words)
    conjunction = " и " if language == "ru" else " and "
    return ", ".join(words[:-1]) + conjunction + words[-1]
