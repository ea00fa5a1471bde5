"""Fields and validators shared by the schemas: texts, codes, times and version tags."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from complaints.domain.credit_code import ALPHABET as CODE_ALPHABET
from complaints.domain.credit_code import credit_code_problem
from complaints.web.runtime import runtime

# What the server checks, in the words of the OpenAPI document: these patterns are checked as
# they are published (apispec documents a Regexp validator's pattern), never restated.
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,22}[0-9]$")
REFERENCE = re.compile(r"^HY-[0-9]{4}-[0-9]{6,}$")
CREDIT_CODE = re.compile(f"^[{CODE_ALPHABET}]{{2}}[0-9]{{6}}[{CODE_ALPHABET}]{{10}}$")
# The check character cannot be said by a pattern: a format of its own names the rule.
CREDIT_CODE_FORMAT = "gb32100-credit-code"
# An entity tag of a case version, as ETag gives it ("3"), weak (W/"3"), bare (3), or any (*).
VERSION_TAG = re.compile(r'^(\*|(W/)?"[0-9]{1,18}"|[0-9]{1,18})$')
FIRST_YEAR, LAST_YEAR = 1970, 2100
# No store keeps NUL (PostgreSQL refuses it): `parsing.unstorable` refuses it in any string of
# a request, and each text field says so in its pattern.
STORABLE = re.compile(r"^[^\x00]*$")


storable = validate.Regexp(STORABLE, error="text must not contain NUL (U+0000) characters")


def text(maximum: int, *, required: bool = True, minimum: int = 1, **kwargs: Any) -> fields.String:
    """A string of bounded length; a required text must not be empty."""
    if not required:
        kwargs.setdefault("load_default", "")
    return fields.String(
        required=required,
        validate=[validate.Length(min=minimum if required else 0, max=maximum), storable],
        **kwargs,
    )


def text_list(maximum_items: int, maximum_length: int, *, minimum_items: int = 0, **kwargs: Any):
    return fields.List(
        fields.String(validate=[validate.Length(min=1, max=maximum_length), storable]),
        validate=validate.Length(min=minimum_items, max=maximum_items),
        **kwargs,
    )


def one_of(values: Any, **kwargs: Any) -> fields.String:
    """A string limited to an enum's values, listed in the docs and in the error."""
    choices = [str(getattr(value, "value", value)) for value in values]
    metadata = {"enum": choices, **kwargs.pop("metadata", {})}
    return fields.String(validate=validate.OneOf(choices), metadata=metadata, **kwargs)


class JsonBoolean(fields.Boolean):
    """JSON's true or false, as the document's `type: boolean` says: not 0, 1, "true" or "yes",
    which marshmallow's Boolean would also read."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def credit_code(value: str) -> None:
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(f"not a unified social credit code: {problem}")


phone = validate.Regexp(PHONE, error="not a phone number: digits, optionally +, spaces, - and ()")
reference = validate.Regexp(REFERENCE, error="a case reference looks like HY-2026-000123")


class RoutingChoice(validate.Validator):
    """One of the categories or departments of the routing table the service was started with.

    `choices` is what apispec publishes as the field's enum, read from the same table.
    """

    def __init__(self, part: str, name: str) -> None:
        self.part = part
        self.name = name

    @property
    def choices(self) -> list[str]:
        return sorted(getattr(runtime().services.routing, self.part))

    def __call__(self, value: str) -> str:
        if value not in getattr(runtime().services.routing, self.part):
            known = ", ".join(self.choices)
            raise ValidationError(f"unknown {self.name} {value!r}; known: {known}")
        return value


category = RoutingChoice("categories", "category")
department = RoutingChoice("departments", "department")


def plausible_year(value: datetime) -> None:
    """Times outside these years are typing mistakes, and near year 1 or 9999 they overflow."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"a time must fall between {FIRST_YEAR} and {LAST_YEAR}")


def aware_time(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 time that names its time zone; a naive time is refused."""
    metadata = kwargs.setdefault("metadata", {})
    years = f"between {FIRST_YEAR} and {LAST_YEAR}, with its time zone"
    metadata["description"] = "; ".join(filter(None, (metadata.get("description"), years)))
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


def version_tag(**kwargs: Any) -> fields.String:
    """An entity tag of a case version, read by `tagged_version` once it has validated."""
    error = 'If-Match must be a case version such as "3"'
    return fields.String(validate=validate.Regexp(VERSION_TAG, error=error), **kwargs)


def tagged_version(tag: str) -> int | None:
    """The version a valid tag names: `"3"`, `W/"3"` and `3` mean 3; `*`, any (None)."""
    return None if tag == "*" else int(tag.removeprefix("W/").strip('"'))
