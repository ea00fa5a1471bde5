"""Words the templates share, per language: dates in the city's time, outcomes, stages, lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from shared.locale import CITY_TIME

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

STAGES = {
    "zh": {"accept": "受理交办", "reply": "答复", "rectify": "整改", "return_visit": "回访"},
    "en": {"accept": "acceptance and dispatch", "reply": "reply", "rectify": "corrective action",
           "return_visit": "follow-up"},
    "ru": {"accept": "приём и направление обращения", "reply": "подготовка ответа",
           "rectify": "устранение недостатков", "return_visit": "обратная связь"},
}

# Why a case was escalated (the complaints service records a code).
ESCALATION_REASONS = {
    "zh": {"deadline_breached": "超过办理时限未办结"},
    "en": {"deadline_breached": "the time limit passed with the step not done"},
    "ru": {"deadline_breached": "истёк срок, а этап не завершён"},
}

# Said beside a due time computed before the official schedule of its year was published.
_PROVISIONAL_NOTES = {
    "zh": "（暂定：{year}年法定节假日安排尚未公布）",
    "en": "(provisional: the official holiday schedule for {year} is not published yet)",
    "ru": "(предварительно: официальный график праздничных дней на {year} год ещё не опубликован)",
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


def provisional_note(due: datetime | date | str, language: str, provisional: bool) -> str:
    """What follows `due` when it is provisional (its year's official holidays are not known
    yet): the note, spaced as the language needs; nothing when it is not provisional.

    Templates call it unconditionally, so no `{% if %}` ends a line (trim_blocks would eat
    that line's newline)."""
    if not provisional:
        return ""
    note = _PROVISIONAL_NOTES[language].format(year=local_moment(due).year)
    return note if language == "zh" else f" {note}"


def working_days(count: int, language: str) -> str:
    """3个工作日 · 1 working day, 3 working days · 1 рабочий день, 3 рабочих дня, 5 рабочих дней."""
    if language == "zh":
        return f"{count}个工作日"
    if language == "en":
        return f"{count} working day" if count == 1 else f"{count} working days"
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} рабочий день"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return f"{count} рабочих дня"
    return f"{count} рабочих дней"


def join_list(items: Iterable[str], language: str) -> str:
    """A、B、C · A, B and C · A, B и C."""
    words = [str(item) for item in items]
    if language == "zh":
        return "、".join(words)
    if len(words) < 2:
        return "".join(words)
    conjunction = " и " if language == "ru" else " and "
    return ", ".join(words[:-1]) + conjunction + words[-1]
