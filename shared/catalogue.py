"""A city's own catalogue: its departments, its categories and their routing, from one file.

Both services read it through one setting, `HUIYIN_CATALOGUE_FILE`: the complaints service
routes, labels and times cases by it, the notify service names and mails departments by it.
Without the setting each service uses its packaged defaults. The file is checked whole at
start-up, and every error names the place in the file, so a bad catalogue stops the service
with one clear line rather than a traceback at the first request.

The shape (JSON):

    {"supervising_department": "BIZENV",
     "departments": {"TAX": {"labels": {"zh": …, "en": …, "ru": …},
                             "mailbox": "tax@city.example"}},           (mailbox optional)
     "categories": {"tax": {"labels": {…}, "descriptions": {…},       (descriptions optional)
                            "lead": "TAX", "co": [],
                            "keywords": ["退税", "tax refund"]}},       (keywords optional)
     "time_limits": {…}}    (optional; the shape of the complaints service's time_limits.json)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en", "ru")
CATALOGUE_VARIABLE = "HUIYIN_CATALOGUE_FILE"
_TOP = {"note", "supervising_department", "departments", "categories", "time_limits"}
_DEPARTMENT = {"labels", "mailbox"}
_CATEGORY = {"labels", "descriptions", "lead", "co", "keywords"}


class CatalogueError(ValueError):
    """The catalogue is malformed; the message names the place."""


@dataclass(frozen=True)
class Catalogue:
    raw: Mapping[str, Any]  # as read, checked
    source: str  # the file it came from, for messages

    @property
    def supervising_department(self) -> str:
        return self.raw["supervising_department"]

    @property
    def departments(self) -> Mapping[str, Mapping[str, Any]]:
        return self.raw["departments"]

    @property
    def categories(self) -> Mapping[str, Mapping[str, Any]]:
        return self.raw["categories"]

    @property
    def time_limits(self) -> Mapping[str, Any] | None:
        return self.raw.get("time_limits")

    @property
    def fingerprint(self) -> str:
        """What a model learned from this catalogue depends on: its categories and routes."""
        routes = {code: [entry["lead"], sorted(entry["co"])]
                  for code, entry in sorted(self.categories.items())}
        text = json.dumps([sorted(self.departments), routes], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def read(cls, path: Path) -> Catalogue:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CatalogueError(f"{path}: cannot be read: {error}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str) -> Catalogue:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise CatalogueError(f"{source}: not valid JSON: {error}") from None
        try:
            _check(raw)
        except CatalogueError as error:
            raise CatalogueError(f"{source}: {error}") from None
        return cls(raw, source)


def _check(raw: Any) -> None:
    _object(raw, "the catalogue")
    _known(raw, _TOP, "the catalogue")
    departments = _object(raw.get("departments"), "departments")
    if not departments:
        raise CatalogueError("departments: at least one department is needed")
    for code, entry in departments.items():
        where = f"departments.{code}"
        _known(_object(entry, where), _DEPARTMENT, where)
        _labels(entry.get("labels"), f"{where}.labels")
        if "mailbox" in entry and not _text(entry["mailbox"]):
            raise CatalogueError(f"{where}.mailbox must be an email address")
    supervising = raw.get("supervising_department")
    if supervising not in departments:
        raise CatalogueError(
            f"supervising_department: {supervising!r} is not one of the departments"
        )
    categories = _object(raw.get("categories"), "categories")
    if not categories:
        raise CatalogueError("categories: at least one category is needed")
    for code, entry in categories.items():
        _category(code, entry, departments)


def _category(code: str, entry: Any, departments: Mapping[str, Any]) -> None:
    where = f"categories.{code}"
    _known(_object(entry, where), _CATEGORY, where)
    _labels(entry.get("labels"), f"{where}.labels")
    if "descriptions" in entry:
        _labels(entry["descriptions"], f"{where}.descriptions")
    if entry.get("lead") not in departments:
        raise CatalogueError(f"{where}.lead: unknown department {entry.get('lead')!r}")
    co = entry.get("co")
    if not isinstance(co, list):
        raise CatalogueError(f"{where}.co must be a list of departments ([] for none)")
    unknown = [name for name in co if name not in departments]
    if unknown:
        raise CatalogueError(f"{where}.co: unknown department(s) {', '.join(map(str, unknown))}")
    if entry["lead"] in co:
        raise CatalogueError(f"{where}.co: the lead {entry['lead']} cannot also co-handle")
    keywords = entry.get("keywords", [])
    if not isinstance(keywords, list) or not all(_text(word) for word in keywords):
        raise CatalogueError(f"{where}.keywords must be a list of words")


def _labels(labels: Any, where: str) -> None:
    _object(labels, where)
    missing = [language for language in LANGUAGES if not _text(labels.get(language))]
    if missing:
        raise CatalogueError(f"{where}: missing {', '.join(missing)}")


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CatalogueError(f"{where} must be a JSON object")
    return value


def _known(value: Mapping[str, Any], fields: set[str], where: str) -> None:
    unknown = sorted(set(value) - fields)
    if unknown:
        raise CatalogueError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
