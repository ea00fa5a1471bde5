"""An import mapping (a TOML file): which source column is what, and how its values become ours.

The shipped example, `data/mappings/cfpb-2023.toml`, documents every key. A mapping is
checked as a whole when it is loaded (unknown keys, category codes, channels, outcomes,
departments, time zone), and against a file's header before any row is read.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaints.application.routing import RoutingTable
from complaints.domain.case import IMPORTER_PREFIX
from complaints.domain.values import Channel, Language, Outcome

OPEN = "open"  # the outcome value that leaves an imported case open, with its department
_TIME_DIRECTIVES = re.compile(r"%[HIMSpXcTRz]")
_SECTIONS = {
    "source": ({"name", "id_column"}, {"language"}),
    "dates": ({"format", "filed_at", "assigned_at"}, {"time_of_day", "time_zone"}),
    "text": ({"subject", "description"}, {"subject_separator", "required", "place"}),
    "category": (set(), {"rules", "default", "department_column"}),
    "channel": ({"column", "values"}, set()),
    "outcome": ({"column", "values"}, {"reply_text", "reply_at"}),
    "rating": ({"column"}, {"at", "comment"}),
}


class MappingError(ValueError):
    """The mapping cannot be used; the message names the key or the column at fault."""


@dataclass(frozen=True)
class ValueMap:
    """The values of one column and what each one becomes."""

    column: str
    values: Mapping[str, str]

    def lookup(self, row: Mapping[str, str]) -> str | None:
        return self.values.get(row[self.column].strip())


@dataclass(frozen=True)
class Dates:
    """How the source writes its dates, and which time a date without one stands for."""

    format: str
    time_of_day: time
    zone: ZoneInfo

    def parse(self, text: str) -> datetime:
        """The moment `text` names, in UTC; ValueError when it does not fit the format."""
        return _parsed(self, text.strip())


# A source dates many of its rows alike (to the day, often), and strptime is most of the
# reading of a row: each text is parsed once (a refused one every time: errors are not kept).
@lru_cache(maxsize=4096)
def _parsed(dates: Dates, text: str) -> datetime:
    parsed = datetime.strptime(text, dates.format)
    if not _TIME_DIRECTIVES.search(dates.format):
        parsed = datetime.combine(parsed.date(), dates.time_of_day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dates.zone)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class ImportMapping:
    source: str
    id_column: str
    language: str
    dates: Dates
    filed_at: str
    assigned_at: str
    subject: tuple[str, ...]
    subject_separator: str
    required: tuple[str, ...]
    description: tuple[tuple[str, str], ...]  # (label, column)
    place: tuple[str, ...]
    category_rules: tuple[ValueMap, ...]
    category_default: str | None
    department_column: str | None
    channel: ValueMap
    outcome: ValueMap
    reply_text: tuple[str, ...]
    reply_at: str | None
    rating: str | None
    rating_at: str | None
    rating_comment: str | None

    @property
    def actor_id(self) -> str:
        """Who the imported events say did them: notify tells nobody of a case's past."""
        return f"{IMPORTER_PREFIX}{self.source}"

    def claim_key(self, source_id: str) -> str:
        return f"{self.actor_id}:{source_id}"

    def category_for(self, row: Mapping[str, str]) -> str | None:
        """The first rule whose column holds one of its values decides; else the default."""
        for rule in self.category_rules:
            found = rule.lookup(row)
            if found is not None:
                return found
        return self.category_default

    def columns(self) -> set[str]:
        named = {self.id_column, self.filed_at, self.assigned_at, self.channel.column,
                 self.outcome.column, *self.subject, *self.required, *self.place,
                 *(column for _, column in self.description), *self.reply_text,
                 *(rule.column for rule in self.category_rules)}
        optional = (self.department_column, self.reply_at, self.rating, self.rating_at,
                    self.rating_comment)
        return named | {column for column in optional if column}

    def check_header(self, header: Collection[str]) -> None:
        missing = sorted(self.columns() - set(header))
        if missing:
            raise MappingError(
                f"the file has no column {', '.join(map(repr, missing))} that the mapping names"
            )


def load_mapping(path: Path, routing: RoutingTable) -> ImportMapping:
    """The mapping in the TOML file at `path`, checked against the routing table."""
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise MappingError(f"cannot read the mapping {path}: {error.strerror}") from None
    return parse_mapping(text, routing, origin=path.name)


def shipped_mapping(name: str) -> Path | None:
    """A mapping that ships with Huiyin (`cfpb-2023`), or None."""
    found = resources.files("complaints").joinpath(f"data/mappings/{name}.toml")
    return Path(str(found)) if found.is_file() else None


def parse_mapping(text: str, routing: RoutingTable, *, origin: str = "mapping") -> ImportMapping:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{origin} is not valid TOML: {error}") from None
    try:
        return _build(_Reader(raw, "", set(_SECTIONS)), routing)
    except MappingError as error:
        raise MappingError(f"{origin}: {error}") from None


def _build(raw: _Reader, routing: RoutingTable) -> ImportMapping:
    source, dates, text = raw.section("source"), raw.section("dates"), raw.section("text")
    category, outcome = raw.section("category"), raw.section("outcome")
    rating = raw.section("rating", optional=True)
    name = source.text("name")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise MappingError("source.name must be lower-case letters, digits, - or _")
    if "rules" not in category.data and "default" not in category.data:
        raise MappingError("[category] needs rules, a default, or both")
    if not _TIME_DIRECTIVES.search(dates.text("format")) and "time_of_day" not in dates.data:
        raise MappingError(
            "dates.format has no time of day, so dates.time_of_day must say which one a date "
            "stands for"
        )
    channel_map = _value_map(raw.section("channel"), "channel", {c.value for c in Channel})
    outcome_map = _value_map(outcome, "outcome", {o.value for o in Outcome} | {OPEN})
    return ImportMapping(
        source=name,
        id_column=source.text("id_column"),
        language=source.choice("language", {lang.value for lang in Language}, "zh"),
        dates=Dates(dates.text("format"), dates.time_of_day(), dates.zone()),
        filed_at=dates.text("filed_at"),
        assigned_at=dates.text("assigned_at"),
        subject=text.columns("subject"),
        subject_separator=text.text("subject_separator", " — "),
        required=text.columns("required", ()),
        description=text.labelled("description"),
        place=text.columns("place", ()),
        category_rules=_category_rules(category, set(routing.categories)),
        category_default=category.choice("default", set(routing.categories), None),
        department_column=category.text("department_column", None),
        channel=channel_map,
        outcome=outcome_map,
        reply_text=outcome.columns("reply_text", (outcome_map.column,)),
        reply_at=outcome.text("reply_at", None),
        rating=rating.text("column", None),
        rating_at=rating.text("at", None),
        rating_comment=rating.text("comment", None),
    )


def _category_rules(category: _Reader, codes: set[str]) -> tuple[ValueMap, ...]:
    rules = category.tables("rules")
    return tuple(_value_map(rule, f"category.rules[{i}]", codes) for i, rule in enumerate(rules))


def _value_map(section: _Reader, where: str, allowed: set[str]) -> ValueMap:
    values = section.table("values")
    if not values:
        raise MappingError(f"{where}.values maps no value")
    wrong = sorted({str(ours) for ours in values.values()} - allowed)
    if wrong:
        raise MappingError(
            f"{where}.values names unknown {where.split('.')[0]} {', '.join(map(repr, wrong))}; "
            f"known: {', '.join(sorted(allowed))}"
        )
    return ValueMap(section.text("column"), {str(k).strip(): str(v) for k, v in values.items()})


class _Reader:
    """One table of the TOML document, read with errors that name the key."""

    def __init__(self, data: Mapping[str, Any], path: str = "", known: set[str] | None = None):
        self.data = data
        self.path = path
        if known is not None:
            unknown = sorted(set(data) - known)
            if unknown:
                raise MappingError(f"unknown key {', '.join(self._at(k) for k in unknown)}")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def section(self, name: str, *, optional: bool = False) -> _Reader:
        required, allowed = _SECTIONS[name]
        value = self.data.get(name)
        if value is None and optional:
            return _Reader({}, name)
        if not isinstance(value, dict):
            raise MappingError(f"the mapping needs a [{name}] table")
        section = _Reader(value, name, required | allowed)  # a misspelt key is named first
        missing = sorted(required - set(value))
        if missing:
            raise MappingError(f"[{name}] needs {', '.join(missing)}")
        return section

    def text(self, key: str, default: Any = ...) -> Any:
        value = self.data.get(key)
        if value is None:
            if default is ...:
                raise MappingError(f"{self._at(key)} is required")
            return default
        if not isinstance(value, str) or (not value.strip() and key != "subject_separator"):
            raise MappingError(f"{self._at(key)} must be a non-empty string")
        return value

    def choice(self, key: str, allowed: set[str], default: str | None) -> str | None:
        value = self.text(key, default)
        if value is not None and value not in allowed:
            raise MappingError(
                f"{self._at(key)} is {value!r}, not one of {', '.join(sorted(allowed))}"
            )
        return value

    def columns(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.data.get(key, default)
        if value is ...:
            raise MappingError(f"{self._at(key)} is required")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise MappingError(f"{self._at(key)} must be a column name or a list of them")
        if key == "subject" and not value:
            raise MappingError(f"{self._at(key)} names no column")
        return tuple(value)

    def labelled(self, key: str) -> tuple[tuple[str, str], ...]:
        parts = [(item.text("label", ""), item.text("column")) for item in self.tables(key)]
        if not parts:
            raise MappingError(f"{self._at(key)} names no column")
        return tuple(parts)

    def tables(self, key: str) -> list[_Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise MappingError(f"{self._at(key)} must be a list of tables")
        known = {"label", "column"} if key == "description" else {"column", "values"}
        return [_Reader(item, f"{self._at(key)}[{i}]", known) for i, item in enumerate(value)]

    def table(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise MappingError(f"{self._at(key)} must be a table of text values")
        return value

    def time_of_day(self) -> time:
        value = self.text("time_of_day", "00:00")
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise MappingError(f"{self._at('time_of_day')} {value!r} is not HH:MM") from None

    def zone(self) -> ZoneInfo:
        name = self.text("time_zone", "Asia/Shanghai")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"{self._at('time_zone')} {name!r} is not a time zone") from None
