"""A notification notify gave up on, kept on `huiyin.notify-dead-letter` for a person to act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from marshmallow import Schema, fields, validate

from shared.contract.codec import dump_checked, from_bytes, load_checked, to_bytes


@dataclass(frozen=True)
class DeadLetter:
    """The failed send, why it failed, and the original envelope (its JSON object) to replay."""

    notification_id: str
    event_id: UUID
    case_id: UUID
    channel: str
    recipient: str
    attempts: int
    last_error: str
    failed_at: datetime
    envelope: dict[str, Any]


class DeadLetterSchema(Schema):
    """A dead letter on the wire."""

    notification_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    event_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.Length(min=1))
    recipient = fields.String(required=True)
    attempts = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    last_error = fields.String(required=True)
    failed_at = fields.AwareDateTime(required=True)
    envelope = fields.Dict(keys=fields.String(), required=True)


_SCHEMA = DeadLetterSchema()


def encode_dead_letter(letter: DeadLetter) -> bytes:
    return to_bytes(dump_checked(_SCHEMA, asdict(letter), "the dead letter"))


def decode_dead_letter(raw: bytes) -> DeadLetter:
    """The dead letter in `raw`; ContractError if it breaks the contract."""
    loaded = load_checked(_SCHEMA, from_bytes(raw, "a dead letter"), "the dead letter")
    return DeadLetter(**loaded)
