"""The time limit of each stage in working days (DESIGN §4): defaults, overridden per category."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from complaints.domain.values import Stage

_FIELDS = {"note", "default", "max_extension", "overrides"}


class TimeLimitsError(ValueError):
    """The time limits are malformed; the message says where."""


@dataclass(frozen=True)
class TimeLimits:
    default: Mapping[Stage, int]
    overrides: Mapping[str, Mapping[Stage, int]]
    max_extension: int

    @classmethod
    def load(
        cls, path: Path | None = None, categories: Collection[str] | None = None
    ) -> TimeLimits:
        """The limits in a file (the packaged ones by default), checked against the categories."""
        if path is None:
            where, packaged = "time_limits.json", resources.files("complaints") / "data"
            text = packaged.joinpath("time_limits.json").read_text("utf-8")
        else:
            where, text = str(path), path.read_text("utf-8")
        try:
            return cls.parse(json.loads(text), categories)
        except json.JSONDecodeError as error:
            raise TimeLimitsError(f"{where}: not valid JSON: {error}") from None
        except TimeLimitsError as error:
            raise TimeLimitsError(f"{where}: {error}") from None

    @classmethod
    def parse(cls, raw: Any, categories: Collection[str] | None = None) -> TimeLimits:
        if not isinstance(raw, Mapping):
            raise TimeLimitsError("the time limits are a JSON object")
        unknown = sorted(set(raw) - _FIELDS)
        if unknown:
            raise TimeLimitsError(f"unknown field(s) {', '.join(unknown)}")
        default = _stages(raw.get("default"), "default", complete=True)
        overrides = raw.get("overrides", {})
        if not isinstance(overrides, Mapping):
            raise TimeLimitsError("overrides must map category codes to limits")
        if categories is not None:
            strangers = sorted(set(overrides) - set(categories))
            if strangers:
                raise TimeLimitsError(f"overrides name unknown categories: {', '.join(strangers)}")
        return cls(
            default=default,
            overrides=MappingProxyType({
                category: _override(limits, category) for category, limits in overrides.items()
            }),
            max_extension=_working_days(raw.get("max_extension"), "max_extension"),
        )

    @classmethod
    def of_catalogue(
        cls, raw: Any, categories: Collection[str], packaged: TimeLimits
    ) -> TimeLimits:
        """A city catalogue's own limits (`time_limits`). Without a `default` of its own, every
        category needs a complete override: a category left without a limit is named."""
        if not isinstance(raw, Mapping):
            raise TimeLimitsError("the time limits are a JSON object")
        if "default" in raw:
            return cls.parse(raw, categories)
        stages = {stage.value: 1 for stage in Stage}  # stands in, to check the rest
        limits = cls.parse({**raw, "default": stages}, categories)
        lacking = sorted(category for category in categories
                         if set(limits.overrides.get(category, {})) != set(Stage))
        if lacking:
            raise TimeLimitsError(
                f"no default, so every category needs a limit for every stage: "
                f"{', '.join(lacking)} lack(s) one (give a default, or complete overrides)"
            )
        return cls(packaged.default, limits.overrides, limits.max_extension)

    def working_days(self, category: str, stage: Stage | str) -> int:
        stage = Stage(stage)
        return self.overrides.get(category, self.default).get(stage, self.default[stage])


def _override(limits: Any, category: str) -> Mapping[Stage, int]:
    if not isinstance(limits, Mapping):
        raise TimeLimitsError(f"overrides.{category} must map stages to working days")
    note = limits.get("note")
    if not isinstance(note, str) or not note.strip():
        raise TimeLimitsError(f"overrides.{category} needs a note saying which rule requires it")
    stages = _stages({k: v for k, v in limits.items() if k != "note"}, f"overrides.{category}")
    if not stages:
        raise TimeLimitsError(f"overrides.{category} changes no stage")
    return stages


def _stages(limits: Any, where: str, complete: bool = False) -> Mapping[Stage, int]:
    if not isinstance(limits, Mapping):
        raise TimeLimitsError(f"{where} must map stages to working days")
    known = {stage.value for stage in Stage}
    unknown = sorted(set(limits) - known)
    if unknown:
        raise TimeLimitsError(
            f"{where}: unknown stage(s) {', '.join(unknown)} (stages: {', '.join(Stage)})"
        )
    missing = [stage.value for stage in Stage if stage not in limits]
    if complete and missing:
        raise TimeLimitsError(f"{where}: missing stage(s) {', '.join(missing)}")
    return MappingProxyType({
        Stage(stage): _working_days(days, f"{where}.{stage}") for stage, days in limits.items()
    })


def _working_days(days: Any, where: str) -> int:
    if type(days) is not int or days < 1:
        raise TimeLimitsError(f"{where} must be a positive whole number of days, not {days!r}")
    return days
