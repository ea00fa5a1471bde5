"""A quick yes for a message that its marshmallow schema surely accepts.

Checking a dumped message with marshmallow (`Schema.validate`) loads it again, field by field:
two thirds of the time it took to encode an envelope. So each schema is also stated once as a
JSON Schema (apispec's converter, the one that publishes the API's schemas, OpenAPI 3.1 being
JSON Schema 2020-12) and checked by jsonschema-rs, in compiled code, in microseconds.

The JSON Schema may be stricter than the marshmallow schema, never laxer: a rule it cannot
state is stated so that only null gets past it (an email or a URL in clear: a sealed detail
passes as a token or null), and a schema with checks of its own (`validates_schema`, hooks) or
with a field or validator not listed here is not stated at all. So `Precheck.accepts` saying
yes means marshmallow would; saying no means: ask marshmallow, which has the last word and the
words of the error. `tests/unit/test_contract_precheck.py` holds it to that.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema_rs
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from shared.contract.case_events import Sealed
from shared.sealing import TOKEN_PREFIX

# Fields whose dumped value JSON Schema states exactly (with the format of a date-time or UUID).
_STATED = {fields.String, fields.Integer, fields.Boolean, fields.UUID, fields.AwareDateTime,
           fields.List, fields.Nested, fields.Dict}
# Fields with a check of their own on text: only null passes (and a token, if sealed).
_CHECKED_TEXT = {fields.Email, fields.URL}
_VALIDATORS = (validate.OneOf, validate.Range, validate.Length)


class NotStated(Exception):
    """The schema holds a rule the quick check does not state."""


class Precheck:
    """A schema's JSON Schema, compiled; `accepts(data)` only if marshmallow would."""

    def __init__(self, schema: Schema) -> None:
        spec = APISpec("wire", "1", "3.1.0", plugins=[plugin := MarshmallowPlugin()])
        plugin.converter.add_attribute_function(_stated)
        document = plugin.converter.schema2jsonschema(schema)
        _stated_schema(schema)
        self.document = {**document, "components": spec.to_dict().get("components", {})}
        self._validator = jsonschema_rs.validator_for(self.document, validate_formats=True)

    def accepts(self, data: Any) -> bool:
        try:
            return self._validator.is_valid(data)
        except ValueError:  # a value JSON has no type for (a dump passes some through)
            return False


@cache
def precheck(schema: Schema) -> Precheck | None:
    """The quick check of `schema` (one of the contract's instances), or None if it has none."""
    try:
        return Precheck(schema)
    except NotStated:
        return None


def _stated(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec's hook on each field: refuse what is not stated; narrow what cannot be."""
    if field.parent is not None and isinstance(field.parent, Schema):
        _stated_schema(field.parent)
    kind = type(field)
    if kind is Sealed and field.validators:
        raise NotStated(f"{field.name}: a sealed value's validators")  # they see tokens too
    if kind is Sealed and field.clear is None:
        return {}  # a token or any text: a String's rule
    if kind is Sealed or kind in _CHECKED_TEXT:
        # its own check on text (a sealed detail: on a value in clear, not on a token)
        only = [{"type": "null"}] if field.allow_none else []
        if kind is Sealed:
            only.append({"type": "string", "pattern": f"^{re.escape(TOKEN_PREFIX)}"})
        return {"anyOf": only or [{"not": {}}]}
    if kind not in _STATED:
        raise NotStated(f"{field.name}: {kind.__name__}")
    unknown = [v for v in field.validators if not isinstance(v, _VALIDATORS)]
    if unknown:
        raise NotStated(f"{field.name}: validator {unknown[0]!r}")
    return {}


def _stated_schema(schema: Schema) -> None:
    hooks = [tag for tag, hooked in schema._hooks.items() if hooked]
    if hooks:
        raise NotStated(f"{type(schema).__name__}: {', '.join(hooks)}")
