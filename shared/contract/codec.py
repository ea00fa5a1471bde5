"""JSON on the wire, checked against a marshmallow schema both ways; one error for every refusal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from shared.contract.precheck import precheck


class ContractError(ValueError):
    """A message does not follow the wire contract; the message says what is wrong."""


def dump_checked(schema: Schema, values: Mapping[str, Any], what: str) -> dict[str, Any]:
    """`values` as JSON-ready data, refused unless the data would load back.

    The schema's quick check (`precheck`) says yes to most; whatever it does not, marshmallow
    loads, and refuses with its words or accepts after all.
    """
    try:
        dumped = schema.dump(values)
    except (AttributeError, TypeError, ValueError) as error:
        raise ContractError(f"{what} cannot be encoded: {error}") from None
    quick = precheck(schema)
    if quick is not None and quick.accepts(dumped):
        return dumped
    problems = schema.validate(dumped)
    if problems:
        raise ContractError(f"{what} is invalid: {describe(problems)}")
    return dumped


def load_checked(schema: Schema, data: Any, what: str) -> dict[str, Any]:
    """`data` loaded and validated by `schema`."""
    if not isinstance(data, dict):
        raise ContractError(f"{what} must be a JSON object, not {type(data).__name__}")
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ContractError(f"{what} is invalid: {describe(error.messages)}") from None


def to_bytes(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def from_bytes(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ContractError(f"{what} is not UTF-8 JSON: {error}") from None


def describe(problems: Any, prefix: str = "") -> str:
    """marshmallow's nested messages as `field.sub: problem; …`, in a stable order."""
    if isinstance(problems, dict):
        parts = [describe(value, f"{prefix}{key}.") for key, value in sorted(
            problems.items(), key=lambda item: str(item[0]))]
        return "; ".join(parts)
    if isinstance(problems, list) and all(isinstance(item, str) for item in problems):
        return f"{prefix.rstrip('.') or 'message'}: {' '.join(problems).rstrip('.')}"
    if isinstance(problems, list):
        return "; ".join(describe(item, prefix) for item in problems)
    return f"{prefix.rstrip('.') or 'message'}: {problems}"
