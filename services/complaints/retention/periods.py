"""How long a closed case keeps its filer's personal data, per category: data, not code.

A period is counted from the case's closing. The packaged `data/retention.json` gives a
default and, per category, an override with the rule that requires it; an operator's file
(`HUIYIN_RETENTION_FILE`) replaces it whole.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

_FIELDS = {"note", "default", "overrides"}
_UNITS = ("years", "days")
# Longer than any retention a statute asks for; past it a period is surely a typing mistake.
_MOST = {"years": 100, "days": 36_600}


class RetentionError(ValueError):
    """The retention periods are malformed; the message says where."""


@dataclass(frozen=True)
class Period:
    """Whole years (the calendar's: a closing on 29 February expires on 28 February) or days."""

    amount: int
    unit: str  # years or days

    def cutoff(self, now: datetime) -> datetime:
        """A case closed before this moment has kept its personal data longer than the period."""
        if self.unit == "days":
            return now - timedelta(days=self.amount)
        year = now.year - self.amount
        try:
            return now.replace(year=year)
        except ValueError:  # 29 February, in a year that has none
            return now.replace(year=year, day=28)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit if self.amount != 1 else self.unit[:-1]}"


@dataclass(frozen=True)
class RetentionPeriods:
    default: Period
    overrides: Mapping[str, Period]

    @classmethod
    def load(
        cls, path: Path | None = None, categories: Collection[str] | None = None
    ) -> RetentionPeriods:
        """The periods in a file (the packaged ones by default), checked against the categories."""
        if path is None:
            where = "retention.json"
            text = (resources.files("complaints") / "data" / "retention.json").read_text("utf-8")
        else:
            where = str(path)
            try:
                text = path.read_text("utf-8")
            except OSError as error:
                raise RetentionError(f"{where}: cannot be read: {error.strerror}") from None
        try:
            return cls.parse(json.loads(text), categories)
        except json.JSONDecodeError as error:
            raise RetentionError(f"{where}: not valid JSON: {error}") from None
        except RetentionError as error:
            raise RetentionError(f"{where}: {error}") from None

    @classmethod
    def parse(cls, raw: Any, categories: Collection[str] | None = None) -> RetentionPeriods:
        if not isinstance(raw, Mapping):
            raise RetentionError("the retention periods are a JSON object")
        unknown = sorted(set(raw) - _FIELDS)
        if unknown:
            raise RetentionError(f"unknown field(s) {', '.join(unknown)}")
        overrides = raw.get("overrides", {})
        if not isinstance(overrides, Mapping):
            raise RetentionError("overrides must map category codes to periods")
        if categories is not None:
            strangers = sorted(set(overrides) - set(categories))
            if strangers:
                raise RetentionError(f"overrides name unknown categories: {', '.join(strangers)}")
        return cls(
            default=_period(raw.get("default"), "default"),
            overrides=MappingProxyType({
                category: _period(period, f"overrides.{category}", needs_note=True)
                for category, period in overrides.items()
            }),
        )

    def period(self, category: str) -> Period:
        return self.overrides.get(category, self.default)

    def expired(self, category: str, closed_at: datetime, now: datetime) -> bool:
        return closed_at < self.period(category).cutoff(now)

    def cutoffs(self, now: datetime) -> tuple[datetime, dict[str, datetime]]:
        """The default's cutoff, and each overridden category's own."""
        own = {category: period.cutoff(now) for category, period in self.overrides.items()}
        return self.default.cutoff(now), own


def _period(raw: Any, where: str, needs_note: bool = False) -> Period:
    if not isinstance(raw, Mapping):
        raise RetentionError(f"{where} must be a period such as {{\"years\": 3}}")
    fields = dict(raw)
    note = fields.pop("note", None)
    if needs_note and (not isinstance(note, str) or not note.strip()):
        raise RetentionError(f"{where} needs a note saying which rule requires it")
    units = [unit for unit in fields if unit in _UNITS]
    strangers = sorted(set(fields) - set(_UNITS))
    if strangers or len(units) != 1:
        raise RetentionError(
            f"{where} gives exactly one of years or days, not {', '.join(sorted(fields)) or '—'}"
        )
    unit = units[0]
    amount = fields[unit]
    if type(amount) is not int or not 1 <= amount <= _MOST[unit]:
        raise RetentionError(
            f"{where}.{unit} must be a whole number from 1 to {_MOST[unit]}, not {amount!r}"
        )
    return Period(amount, unit)
