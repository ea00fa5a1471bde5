"""An import mapping (a TOML file): which source column is what, and how its values become ours.

The shipped mappings (`data/mappings/`: `cfpb-2023`, `msgboard-2019`) document every key. A
mapping is checked as a whole when it is loaded (unknown keys, category codes, channels,
outcomes, departments, time zone, patterns), and against a file's header before any row is
read. Every field a case needs takes a column or a constant, and a column's map a default.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from complaints.application.routing import RoutingTable
from complaints.domain.case import IMPORTER_PREFIX
from complaints.domain.values import (
    OUTCOME_NOT_RECORDED,
    Channel,
    FilerKind,
    Language,
    Outcome,
)
from complaints.importing.categories import CategoryRules, category_rules
from complaints.importing.toml_reader import MappingError, TomlTable

__all__ = ["OPEN", "Dates", "ImportMapping", "MappingError", "ValueMap", "load_mapping",
           "parse_mapping", "shipped_mapping"]

OPEN = "open"  # the outcome value that leaves an imported case open, with its department
_TIME_DIRECTIVES = re.compile(r"%[HIMSpXcTRz]")
_SECTIONS = {
    "source": ({"name", "id_column"}, {"language"}),
    "dates": ({"format", "filed_at"}, {"assigned_at", "time_of_day", "time_zone"}),
    "text": ({"subject", "description"}, {"subject_separator", "required", "place"}),
    "category": (set(), {"rules", "default", "department_column"}),
    "channel": (set(), {"column", "values", "default", "value"}),
    "outcome": (set(), {"column", "values", "default", "value", "reply_text", "reply_at"}),
    "rating": ({"column"}, {"at", "comment"}),
    "filer": (set(), {"kind", "name", "user_id", "phone", "email", "credit_code", "anonymous"}),
}
# What a source's filer columns become, by the filer's kind; a column the kind has not got
# (an individual's credit code) is refused when the mapping is read.
_FILER_FIELDS = {
    FilerKind.INDIVIDUAL: {"name": "person_name", "user_id": "external_user_id",
                           "phone": "phone", "email": "email"},
    FilerKind.ENTERPRISE: {"name": "enterprise_name", "credit_code": "credit_code",
                           "phone": "phone", "email": "email"},
}


@dataclass(frozen=True)
class ValueMap:
    """What one field becomes: a constant (no column), or a column's values and a default."""

    column: str | None
    values: Mapping[str, str]
    default: str | None = None

    def lookup(self, row: Mapping[str, str]) -> str | None:
        if self.column is None:
            return self.default
        return self.values.get(row[self.column].strip(), self.default)


@dataclass(frozen=True)
class Dates:
    """How the source writes its dates, and which time a date without one stands for."""

    formats: tuple[str, ...]  # tried in order
    time_of_day: time | None  # None: every format has a time of day
    zone: ZoneInfo

    def parse(self, text: str) -> datetime:
        """The moment `text` names, in UTC; ValueError when it fits none of the formats."""
        return _parsed(self, text.strip())

    def moment(self, value: datetime | date) -> datetime:
        """The moment of a cell typed as a date (ValueError: no time of day to give it)."""
        if not isinstance(value, datetime):
            if self.time_of_day is None:
                raise ValueError("a date without a time of day, and no dates.time_of_day")
            value = datetime.combine(value, self.time_of_day)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value.astimezone(UTC)


# A source dates many of its rows alike (to the day, often), and strptime is most of the
# reading of a row: each text is parsed once (a refused one every time: errors are not kept).
@lru_cache(maxsize=4096)
def _parsed(dates: Dates, text: str) -> datetime:
    for format in dates.formats:
        try:
            parsed = datetime.strptime(text, format)
        except ValueError:
            continue
        if not _TIME_DIRECTIVES.search(format):
            return dates.moment(parsed.date())
        return dates.moment(parsed)
    raise ValueError(text)


@dataclass(frozen=True)
class FilerColumns:
    """Who filed: the kind (a constant), each filer field's column, and whether the cases are
    anonymous (the department is not told who filed)."""

    kind: str
    columns: Mapping[str, str]  # Filer field → source column
    anonymous: bool


@dataclass(frozen=True)
class ImportMapping:
    source: str
    id_column: str
    language: str
    dates: Dates
    filed_at: str
    assigned_at: str | None  # None: the source does not say when a case was accepted
    subject: tuple[str, ...]
    subject_separator: str
    required: tuple[str, ...]
    description: tuple[tuple[str, str], ...]  # (label, column)
    place: tuple[str, ...]
    category: CategoryRules
    department_column: str | None
    channel: ValueMap
    outcome: ValueMap
    reply_text: tuple[str, ...]
    reply_at: str | None  # None: the source does not say when a case was replied to
    rating: str | None
    rating_at: str | None
    rating_comment: str | None
    filer: FilerColumns

    @property
    def actor_id(self) -> str:
        """Who the imported events say did them: notify tells nobody of a case's past."""
        return f"{IMPORTER_PREFIX}{self.source}"

    def claim_key(self, source_id: str) -> str:
        return f"{self.actor_id}:{source_id}"

    def columns(self) -> set[str]:
        named = {self.id_column, self.filed_at, *self.subject, *self.required, *self.place,
                 *(column for _, column in self.description), *self.reply_text,
                 *self.category.columns()}
        optional = (self.assigned_at, self.channel.column, self.outcome.column,
                    self.department_column, self.reply_at, self.rating, self.rating_at,
                    self.rating_comment, *self.filer.columns.values())
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
    except UnicodeDecodeError:
        raise MappingError(f"the mapping {path} is not UTF-8 text") from None
    return parse_mapping(text, routing, origin=path.name)


def shipped_mapping(name: str) -> Path | None:
    """A mapping that ships with Huiyin (`cfpb-2023`, `msgboard-2019`), or None."""
    found = resources.files("complaints").joinpath(f"data/mappings/{name}.toml")
    return Path(str(found)) if found.is_file() else None


def parse_mapping(text: str, routing: RoutingTable, *, origin: str = "mapping") -> ImportMapping:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{origin} is not valid TOML: {error}") from None
    try:
        return _build(TomlTable(raw, "", set(_SECTIONS)), routing)
    except MappingError as error:
        raise MappingError(f"{origin}: {error}") from None


def _section(raw: TomlTable, name: str, *, optional: bool = False) -> TomlTable:
    required, allowed = _SECTIONS[name]
    return raw.section(name, required, allowed, optional=optional)


def _build(raw: TomlTable, routing: RoutingTable) -> ImportMapping:
    source, text = _section(raw, "source"), _section(raw, "text")
    outcome, rating = _section(raw, "outcome"), _section(raw, "rating", optional=True)
    category, dates = _section(raw, "category"), _section(raw, "dates")
    name = source.text("name")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise MappingError("source.name must be lower-case letters, digits, - or _")
    outcome_map = _value_map(outcome, {o.value for o in Outcome} | {OPEN, OUTCOME_NOT_RECORDED})
    subject = text.texts("subject")
    if not subject:
        raise MappingError("text.subject names no column")
    return ImportMapping(
        source=name,
        id_column=source.text("id_column"),
        language=source.choice("language", {lang.value for lang in Language}, "zh"),
        dates=_dates(dates),
        filed_at=dates.text("filed_at"),
        assigned_at=dates.text("assigned_at", None),
        subject=subject,
        subject_separator=text.text("subject_separator", " — ", blank=True),
        required=text.texts("required", ()),
        description=_labelled(text),
        place=text.texts("place", ()),
        category=category_rules(category, set(routing.categories)),
        department_column=category.text("department_column", None),
        channel=_value_map(_section(raw, "channel"), {c.value for c in Channel}),
        outcome=outcome_map,
        reply_text=outcome.texts(
            "reply_text", (outcome_map.column,) if outcome_map.column else ()
        ),
        reply_at=outcome.text("reply_at", None),
        rating=rating.text("column", None),
        rating_at=rating.text("at", None),
        rating_comment=rating.text("comment", None),
        filer=_filer(_section(raw, "filer", optional=True)),
    )


def _filer(section: TomlTable) -> FilerColumns:
    """Members of the public (individuals), anonymous, unless the [filer] table says more."""
    kind = FilerKind(section.choice("kind", set(FilerKind), FilerKind.INDIVIDUAL))
    fields = _FILER_FIELDS[kind]
    named = [key for key in ("name", "user_id", "phone", "email", "credit_code") if key in section]
    refused = [key for key in named if key not in fields]
    if refused:
        raise MappingError(f"an {kind.value} filer has no {', '.join(refused)} "
                           f"(filer.kind is {kind.value!r})")
    anonymous = section.data.get("anonymous", True)
    if not isinstance(anonymous, bool):
        raise MappingError("filer.anonymous must be true or false")
    return FilerColumns(kind.value, {fields[key]: section.text(key) for key in named},
                        anonymous)


def _dates(dates: TomlTable) -> Dates:
    formats = dates.texts("format", what="date format")
    if not formats:
        raise MappingError("dates.format names no format")
    time_of_day = dates.time_of_day("time_of_day")
    if time_of_day is None and not all(_TIME_DIRECTIVES.search(f) for f in formats):
        raise MappingError(
            "a dates.format has no time of day, so dates.time_of_day must say which one a "
            "date stands for"
        )
    return Dates(formats, time_of_day, dates.zone("time_zone"))


def _labelled(text: TomlTable) -> tuple[tuple[str, str], ...]:
    parts = [(item.text("label", ""), item.text("column"))
             for item in text.tables("description", ("label", "column"))]
    if not parts:
        raise MappingError("text.description names no column")
    return tuple(parts)


def _value_map(section: TomlTable, allowed: set[str]) -> ValueMap:
    """`value` (a constant), or `column` and `values`, with a `default` for other values."""
    where = section.path
    known = ", ".join(sorted(allowed))
    if "value" in section:
        stray = sorted(key for key in ("column", "values", "default") if key in section)
        if stray:
            raise MappingError(f"{where}.value is a constant: {', '.join(stray)} cannot go "
                               "with it")
        return ValueMap(None, {}, section.choice("value", allowed, None))
    if "column" not in section:
        raise MappingError(f"[{where}] needs a column (with values) or a constant value")
    values = section.table("values")
    if not values:
        raise MappingError(f"{where}.values maps no value")
    wrong = sorted({str(ours) for ours in values.values()} - allowed)
    if wrong:
        raise MappingError(
            f"{where}.values names unknown {where} {', '.join(map(repr, wrong))}; known: {known}"
        )
    return ValueMap(section.text("column"), {str(k).strip(): str(v) for k, v in values.items()},
                    section.choice("default", allowed, None))
