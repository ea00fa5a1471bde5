"""The routing table (data, not code): which department leads and which co-handle a category.

It is the catalogue in force: the packaged `data/routing.json`, or a city's own file named by
`HUIYIN_CATALOGUE_FILE` (shared.catalogue, checked at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from complaints.domain.errors import InvalidValueError
from shared.catalogue import Catalogue


@dataclass(frozen=True)
class Route:
    lead: str
    co: tuple[str, ...]


@dataclass(frozen=True)
class RoutingTable:
    supervising_department: str
    departments: MappingProxyType[str, dict[str, str]]
    categories: MappingProxyType[str, dict[str, Any]]

    fingerprint: str = ""  # the catalogue's (shared.catalogue.Catalogue.fingerprint)

    @classmethod
    def load(cls, path: Path | None = None) -> RoutingTable:
        """The table of a catalogue file; the packaged one by default."""
        if path is None:
            text = resources.files("complaints").joinpath("data/routing.json").read_text("utf-8")
            return cls.of(Catalogue.parse(text, "data/routing.json"))
        return cls.of(Catalogue.read(path))

    @classmethod
    def of(cls, catalogue: Catalogue | None) -> RoutingTable:
        """The table of a checked catalogue; the packaged one for None."""
        if catalogue is None:
            return cls.load()
        raw = catalogue.raw
        return cls(
            supervising_department=raw["supervising_department"],
            departments=MappingProxyType({k: v["labels"] for k, v in raw["departments"].items()}),
            categories=MappingProxyType(dict(raw["categories"])),
            fingerprint=catalogue.fingerprint,
        )

    def keywords(self, category: str) -> tuple[str, ...]:
        """The words that name the category in the catalogue, for the rule-based fallback."""
        return tuple(self.categories.get(category, {}).get("keywords", ()))

    def propose(self, category: str) -> Route:
        entry = self.categories.get(category)
        if entry is None:
            raise InvalidValueError(f"unknown category {category!r}", field="category")
        return Route(lead=entry["lead"], co=tuple(entry["co"]))

    def require_departments(self, *codes: str) -> None:
        unknown = [code for code in codes if code not in self.departments]
        if unknown:
            raise InvalidValueError(f"unknown department {', '.join(unknown)}", departments=unknown)
