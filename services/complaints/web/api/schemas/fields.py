"""Fields and validators shared by the schemas: texts, codes, times and version tags."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from complaints.domain.credit_code import credit_code_problem
from complaints.web.runtime import runtime

PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,22}[0-9]$")
REFERENCE = re.compile(r"^HY-\d{4}-\d{6,}$")
FIRST_YEAR, LAST_YEAR = 1970, 2100


def text(maximum: int, *, required: bool = True, minimum: int = 1, **kwargs: Any) -> fields.String:
    """A string of bounded length; a required text must not be empty."""
    if not required:
        kwargs.setdefault("load_default", "")
    return fields.String(
        required=required,
        validate=validate.Length(min=minimum if required else 0, max=maximum),
        **kwargs,
    )


def text_list(maximum_items: int, maximum_length: int, *, minimum_items: int = 0, **kwargs: Any):
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=maximum_length)),
        validate=validate.Length(min=minimum_items, max=maximum_items),
        **kwargs,
    )


def one_of(values: Any, **kwargs: Any) -> fields.String:
    """A string limited to an enum's values, listed in the docs and in the error."""
    choices = [str(getattr(value, "value", value)) for value in values]
    metadata = {"enum": choices, **kwargs.pop("metadata", {})}
    return fields.String(validate=validate.OneOf(choices), metadata=metadata, **kwargs)


def credit_code(value: str) -> None:
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(f"not a unified social credit code: {problem}")


def phone(value: str) -> None:
    if not PHONE.match(value):
        raise ValidationError("not a phone number: digits, optionally +, spaces, - and ()")


def reference(value: str) -> None:
    if not REFERENCE.match(value):
        raise ValidationError("a case reference looks like HY-2026-000123")


def category(value: str) -> None:
    """A category of the routing table the service was started with."""
    if value not in runtime().services.routing.categories:
        known = ", ".join(sorted(runtime().services.routing.categories))
        raise ValidationError(f"unknown category {value!r}; known: {known}")


def department(value: str) -> None:
    """A department code of the routing table, such as TAX or SAMR."""
    if value not in runtime().services.routing.departments:
        known = ", ".join(sorted(runtime().services.routing.departments))
        raise ValidationError(f"unknown department {value!r}; known: {known}")


def plausible_year(value: datetime) -> None:
    """Times outside these years are typing mistakes, and near year 1 or 9999 they overflow."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"a time must fall between {FIRST_YEAR} and {LAST_YEAR}")


def aware_time(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 time that names its time zone; a naive time is refused."""
    return fields.AwareDateTime(
        format="iso",
        validate=plausible_year,
        error_messages={"invalid_awareness": "Not an ISO time with a time zone."},
        **kwargs,
    )


class Timestamp(fields.Field):
    """A time on its way out: a datetime or an ISO string, written as an ISO string."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value


class VersionTag(fields.Field):
    """An entity tag of a case version: `"3"`, `W/"3"` or `3` mean version 3; `*` any."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | None:
        raw = str(value).strip()
        if raw == "*":
            return None
        if raw.startswith("W/"):
            raw = raw[2:]
        raw = raw.strip('"')
        if not raw.isdigit():
            raise ValidationError('If-Match must be a case version such as "3"')
        return int(raw)
