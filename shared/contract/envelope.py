"""The versioned envelope a case event travels in on `huiyin.case-events`, and its encoding."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from marshmallow import Schema, fields, validate

from shared.contract.case_events import (
    EVENT_TYPES,
    SEALED_FIELDS,
    SEALED_FILER_FIELDS,
    data_schema,
)
from shared.contract.codec import (
    ContractError,
    dump_checked,
    from_bytes,
    load_checked,
    to_bytes,
)
from shared.sealing import is_token

EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://huiyin.example/case-events")


@dataclass(frozen=True)
class Envelope:
    """One case event: what happened (`event_type`, `data`), to which case, and when."""

    event_id: UUID
    event_type: str
    schema_version: int
    case_id: UUID
    case_version: int
    position: int
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]


def event_id_for(case_id: UUID, case_version: int) -> UUID:
    """The same event always has the same id, so a republished one can be recognised."""
    return uuid5(EVENT_NAMESPACE, f"{case_id}/{case_version}")


class EnvelopeSchema(Schema):
    """The envelope's own fields; `data` is checked by the schema of its event type."""

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=1))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    case_id = fields.UUID(required=True)
    case_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    data = fields.Dict(keys=fields.String(), required=True)


_ENVELOPE_SCHEMA = EnvelopeSchema()
_OUTER_FIELDS = [field.name for field in dataclasses.fields(Envelope) if field.name != "data"]


def encode_envelope(envelope: Envelope) -> bytes:
    """UTF-8 JSON; refused with ContractError unless the envelope and its data are valid."""
    schema = _data_schema(envelope.event_type, envelope.schema_version)
    what = f"{envelope.event_type} v{envelope.schema_version}"
    data = dump_checked(schema, envelope.data, f"the data of {what}")
    outer = {name: getattr(envelope, name) for name in _OUTER_FIELDS}
    outer = dump_checked(_ENVELOPE_SCHEMA, {**outer, "data": {}}, f"the envelope of {what}")
    return to_bytes({**outer, "data": data})


def decode_envelope(raw: bytes) -> Envelope:
    """The envelope in `raw`; ContractError if it, or its data, breaks the contract."""
    outer = load_checked(_ENVELOPE_SCHEMA, from_bytes(raw, "an envelope"), "the envelope")
    schema = _data_schema(outer["event_type"], outer["schema_version"])
    what = f"{outer['event_type']} v{outer['schema_version']}"
    data = load_checked(schema, outer["data"], f"the data of {what}")
    return Envelope(**{**outer, "data": data})


def carries_token(envelope: Envelope) -> bool:
    """Some personal value of the event is sealed (a case filed before sealing has none)."""
    filer = envelope.data["case"].get("filer") or {}
    return any(is_token(filer.get(name)) for name in SEALED_FILER_FIELDS) or any(
        is_token(envelope.data.get(name)) for name in SEALED_FIELDS.get(envelope.event_type, ()))


def _data_schema(event_type: str, schema_version: int) -> Schema:
    if event_type not in EVENT_TYPES:
        raise ContractError(
            f"unknown event type {event_type!r} (known: {', '.join(EVENT_TYPES)})"
        )
    schema = data_schema(event_type, schema_version)
    if schema is None:
        raise ContractError(
            f"{event_type} schema_version {schema_version!r} is not supported by this consumer"
        )
    return schema
