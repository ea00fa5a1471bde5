"""The city's languages and clock, the same for both services and the wire."""

from __future__ import annotations

from zoneinfo import ZoneInfo

# Chinese first: the default for a page, a filer who named none, and staff.
LANGUAGES = ("zh", "en", "ru")
DEFAULT_LANGUAGE = "zh"
CITY_TIMEZONE = "Asia/Shanghai"
CITY_TIME = ZoneInfo(CITY_TIMEZONE)
