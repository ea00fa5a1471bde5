"""What notify reports back on `huiyin.receipts`: a message reached the filer, or could not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contract.codec import dump_checked, from_bytes, load_checked, to_bytes

RECEIPT_CHANNELS = ("email", "sms", "webhook", "inbox")


@dataclass(frozen=True)
class Receipt:
    """One notification's outcome; `receipt_id` is the notification's id, recorded once."""

    receipt_id: str
    case_id: UUID
    event_id: UUID
    delivered: bool
    channel: str
    template: str
    message_id: str
    sent_at: datetime
    # What the filer read, the access code redacted; sealed with the case's key (a token,
    # `shared.contract.case_events`), as it names them, unless the case has no key.
    text: str = ""
    reason: str = ""  # why it failed, when not delivered


class ReceiptSchema(Schema):
    """A receipt on the wire: a delivered one names its channel, a failed one says why."""

    receipt_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    case_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    delivered = fields.Boolean(required=True)
    channel = fields.String(required=True, validate=validate.OneOf((*RECEIPT_CHANNELS, "")))
    template = fields.String(required=True)
    message_id = fields.String(required=True)
    sent_at = fields.AwareDateTime(required=True)
    text = fields.String(required=True)
    reason = fields.String(required=True)

    @validates_schema
    def outcome_explained(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("delivered") and not data.get("channel"):
            raise ValidationError("a delivered message names its channel", "channel")
        if data.get("delivered") is False and not data.get("reason"):
            raise ValidationError("a failed notification says why", "reason")


_SCHEMA = ReceiptSchema()


def encode_receipt(receipt: Receipt) -> bytes:
    return to_bytes(dump_checked(_SCHEMA, asdict(receipt), "the receipt"))


def decode_receipt(raw: bytes) -> Receipt:
    """The receipt in `raw`; ContractError if it breaks the contract."""
    return Receipt(**load_checked(_SCHEMA, from_bytes(raw, "a receipt"), "the receipt"))
