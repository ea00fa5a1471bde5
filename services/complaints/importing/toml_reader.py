"""One table of a mapping's TOML document, read with errors that name the key at fault."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class MappingError(ValueError):
    """The mapping cannot be used; the message names the key or the column at fault."""


class TomlTable:
    """A table of the document at `path` (`category.rules[2]`); `known` its allowed keys."""

    def __init__(
        self, data: Mapping[str, Any], path: str = "", known: Collection[str] | None = None
    ) -> None:
        self.data = data
        self.path = path
        if known is not None:
            unknown = sorted(set(data) - set(known))
            if unknown:
                raise MappingError(f"unknown key {', '.join(self.at(k) for k in unknown)}")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def section(self, name: str, required: set[str], allowed: set[str], *,
                optional: bool = False) -> TomlTable:
        value = self.data.get(name)
        if value is None and optional:
            return TomlTable({}, name)
        if not isinstance(value, dict):
            raise MappingError(f"the mapping needs a [{name}] table")
        section = TomlTable(value, name, required | allowed)  # a misspelt key is named first
        missing = sorted(required - set(value))
        if missing:
            raise MappingError(f"[{name}] needs {', '.join(missing)}")
        return section

    def text(self, key: str, default: Any = ..., *, blank: bool = False) -> Any:
        value = self.data.get(key)
        if value is None:
            if default is ...:
                raise MappingError(f"{self.at(key)} is required")
            return default
        if not isinstance(value, str) or (not value.strip() and not blank):
            raise MappingError(f"{self.at(key)} must be a non-empty string")
        return value

    def choice(self, key: str, allowed: Collection[str], default: str | None) -> str | None:
        value = self.text(key, default)
        if value is not None and value not in allowed:
            raise MappingError(
                f"{self.at(key)} is {value!r}, not one of {', '.join(sorted(allowed))}"
            )
        return value

    def texts(self, key: str, default: Any = ..., *, what: str = "column name") -> tuple[str, ...]:
        """A string or a list of them, none blank (`default` when the key is absent)."""
        value = self.data.get(key, default)
        if value is ...:
            raise MappingError(f"{self.at(key)} is required")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise MappingError(f"{self.at(key)} must be a {what} or a list of them")
        return tuple(value)

    def tables(self, key: str, known: Collection[str]) -> list[TomlTable]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise MappingError(f"{self.at(key)} must be a list of tables")
        return [TomlTable(item, f"{self.at(key)}[{i}]", known) for i, item in enumerate(value)]

    def table(self, key: str) -> Mapping[str, str]:
        value = self.data.get(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise MappingError(f"{self.at(key)} must be a table of text values")
        return value

    def patterns(self, key: str) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for pattern in self.texts(key, (), what="regular expression"):
            try:
                compiled.append(re.compile(pattern))
            except re.error as error:
                raise MappingError(
                    f"{self.at(key)} {pattern!r} is not a regular expression: {error}"
                ) from None
        return tuple(compiled)

    def time_of_day(self, key: str) -> time | None:
        value = self.text(key, None)
        if value is None:
            return None
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise MappingError(f"{self.at(key)} {value!r} is not HH:MM") from None

    def zone(self, key: str) -> ZoneInfo:
        name = self.text(key, "Asia/Shanghai")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"{self.at(key)} {name!r} is not a time zone") from None
