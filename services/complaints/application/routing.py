"""The routing table (data, not code): which department leads and which co-handle a category."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from complaints.domain.errors import InvalidValueError


@dataclass(frozen=True)
class Route:
    lead: str
    co: tuple[str, ...]


@dataclass(frozen=True)
class RoutingTable:
    supervising_department: str
    departments: MappingProxyType[str, dict[str, str]]
    categories: MappingProxyType[str, dict[str, Any]]

    @classmethod
    def load(cls, path: Path | None = None) -> RoutingTable:
        if path is None:
            text = resources.files("complaints").joinpath("data/routing.json").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        raw = json.loads(text)
        table = cls(
            supervising_department=raw["supervising_department"],
            departments=MappingProxyType({k: v["labels"] for k, v in raw["departments"].items()}),
            categories=MappingProxyType(dict(raw["categories"])),
        )
        table._check()
        return table

    def _check(self) -> None:
        named = {self.supervising_department}
        for category in self.categories.values():
            named.add(category["lead"])
            named.update(category["co"])
        unknown = named - set(self.departments)
        if unknown:
            raise ValueError(f"the routing table names unknown departments: {sorted(unknown)}")

    def propose(self, category: str) -> Route:
        entry = self.categories.get(category)
        if entry is None:
            raise InvalidValueError(f"unknown category {category!r}", field="category")
        return Route(lead=entry["lead"], co=tuple(entry["co"]))

    def require_departments(self, *codes: str) -> None:
        unknown = [code for code in codes if code not in self.departments]
        if unknown:
            raise InvalidValueError(f"unknown department {', '.join(unknown)}", departments=unknown)
