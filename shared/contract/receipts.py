"""What notify reports back on `huiyin.receipts`: a notice reached the filer, or could not.

Version 2 (`schema_version: 2`) reports a notice once, listing every channel it reached
(`channels`); its `channel`, `message_id` and `sent_at` repeat the first of them, so a
version-1 reader still reads a sensible receipt. Version 1 (no `schema_version`) reported
each channel on its own; it still decodes, as a notice that reached that one channel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contract.codec import dump_checked, from_bytes, load_checked, to_bytes

RECEIPT_CHANNELS = ("email", "sms", "webhook", "inbox")
RECEIPT_VERSION = 2


@dataclass(frozen=True)
class Delivery:
    """One channel a notice reached: that channel's notification, message id and time."""

    channel: str
    notification_id: str
    message_id: str
    sent_at: datetime


@dataclass(frozen=True)
class Receipt:
    """One notice's outcome; `receipt_id` is the notice's id (a version-1 receipt's, its one
    notification's), recorded once."""

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
    channels: tuple[Delivery, ...] = field(default=())

    def __post_init__(self) -> None:
        # A receipt made the version-1 way (one channel named) reached that one channel.
        if self.delivered and not self.channels and self.channel:
            only = Delivery(self.channel, self.receipt_id, self.message_id, self.sent_at)
            object.__setattr__(self, "channels", (only,))


class DeliverySchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(RECEIPT_CHANNELS))
    notification_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    message_id = fields.String(required=True)
    sent_at = fields.AwareDateTime(required=True)


class ReceiptSchema(Schema):
    """A receipt on the wire: a delivered one names its channels, a failed one says why."""

    schema_version = fields.Integer(strict=True, load_default=1,
                                    validate=validate.OneOf((1, RECEIPT_VERSION)))
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
    channels = fields.List(fields.Nested(DeliverySchema), load_default=list)

    @validates_schema
    def outcome_explained(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("delivered") and not data.get("channel"):
            raise ValidationError("a delivered message names its channel", "channel")
        if data.get("delivered") is False and not data.get("reason"):
            raise ValidationError("a failed notification says why", "reason")
        named = [delivery["channel"] for delivery in data.get("channels") or ()]
        if len(set(named)) != len(named):
            raise ValidationError("a notice names each channel once", "channels")
        if data.get("schema_version") == RECEIPT_VERSION and data.get("delivered") and not named:
            raise ValidationError("a delivered notice lists its channels", "channels")


_SCHEMA = ReceiptSchema()


def encode_receipt(receipt: Receipt) -> bytes:
    """Version 2 on the wire."""
    values = {**asdict(receipt), "schema_version": RECEIPT_VERSION}
    return to_bytes(dump_checked(_SCHEMA, values, "the receipt"))


def decode_receipt(raw: bytes) -> Receipt:
    """The receipt in `raw`, version 1 or 2; ContractError if it breaks the contract."""
    loaded = load_checked(_SCHEMA, from_bytes(raw, "a receipt"), "the receipt")
    loaded.pop("schema_version")
    channels = tuple(Delivery(**delivery) for delivery in loaded.pop("channels"))
    return Receipt(**loaded, channels=channels)
