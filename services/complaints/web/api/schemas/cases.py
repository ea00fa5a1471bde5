"""A case as its reader may see it, its history as of a moment, and its verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields

from complaints.web.api.schemas.fields import Timestamp, plausible_year


class ReviewStateSchema(Schema):
    score = fields.Integer(allow_none=True)
    bad = fields.Boolean()
    invalidated = fields.String(allow_none=True)
    upheld = fields.Boolean(allow_none=True)
    rectified = fields.Boolean()
    followed_up = fields.Boolean()
    stage = fields.String(metadata={"description": "none, recheck, rectification, …"})


class DeadlineSchema(Schema):
    stage = fields.String(metadata={"description": "accept, reply, rectify or return_visit"})
    started_at = Timestamp()
    due_at = Timestamp()
    provisional = fields.Boolean(
        metadata={"description": "on a provisional calendar: the official holiday schedule of "
                                 "that year is not loaded yet; recomputed when it is"})
    working_days = fields.Integer(metadata={"description": "working days from the stage's start"})
    extended = fields.Boolean()
    warned = fields.Boolean()
    breached = fields.Boolean()
    paused = fields.Boolean(metadata={"description": "waiting for the filer: the clock stands"})


class MessageSchema(Schema):
    notification_id = fields.String()
    channel = fields.String(metadata={"description": "email, sms, webhook or inbox"})
    template = fields.String()
    message_id = fields.String()
    sent_at = Timestamp()
    text = fields.String(metadata={"description": "what the filer read; not shown to handlers "
                                                   "on confidential cases"})


class CaseSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    version = fields.Integer(metadata={"description": "also the ETag of the case"})
    status = fields.String()
    round = fields.Integer()
    channel = fields.String()
    on_behalf_of = fields.Boolean()
    category = fields.String()
    subject = fields.String()
    description = fields.String()
    happened_on = fields.String(allow_none=True)
    happened_at_place = fields.String()
    attachments = fields.List(fields.String())
    confidential = fields.Boolean()
    anonymous = fields.Boolean()
    filer = fields.Dict(metadata={
        "description": "who filed; on a confidential or anonymous case a department sees only "
                       "`language`, `notify_by` and `withheld: true`"})
    filer_masked = fields.Boolean(metadata={
        "description": "the filer's identity and contact details are withheld from this reader"})
    filed_at = Timestamp()
    due_at = Timestamp(allow_none=True)
    deadline = fields.Nested(DeadlineSchema, allow_none=True)
    escalations = fields.Integer()
    lead_department = fields.String(allow_none=True)
    co_departments = fields.List(fields.String())
    proposed_lead = fields.String(allow_none=True)
    proposed_co = fields.List(fields.String())
    referred_to = fields.String(allow_none=True)
    requested_items = fields.List(fields.String())
    reply = fields.Dict(allow_none=True)
    review = fields.Nested(ReviewStateSchema)
    closed_at = Timestamp(allow_none=True)
    updated_at = Timestamp()
    messages = fields.List(fields.Nested(MessageSchema),
                           metadata={"description": "every message the filer was sent"})
    filer_unreachable = fields.Boolean(
        metadata={"description": "every channel failed: intake staff should call the filer"})


class ActorSchema(Schema):
    id = fields.String(allow_none=True, metadata={"description": "hidden from filers for staff"})
    role = fields.String()


class EventSchema(Schema):
    position = fields.Integer()
    type = fields.String(metadata={"example": "Assigned"})
    recorded_at = Timestamp()
    occurred_at = Timestamp()
    actor = fields.Nested(ActorSchema)
    data = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class AsOf(fields.Field):
    """An event position (a whole number) or an ISO time with a time zone."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        raw = str(value).strip()
        if raw.isdigit():
            if int(raw) < 1:
                raise ValidationError("a position counts from 1")
            return int(raw)
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError("as_of is an event position or an ISO time") from None
        if moment.tzinfo is None:
            raise ValidationError("an as_of time needs a time zone")
        plausible_year(moment)
        return moment


class HistoryArgsSchema(Schema):
    as_of = AsOf(
        metadata={
            "description": "an event position (1, 2, …) or an ISO time with its zone; default: now",
            "type": "string",
        }
    )


class HistorySchema(Schema):
    case_id = fields.UUID()
    as_of_position = fields.Integer()
    latest_position = fields.Integer()
    events = fields.List(fields.Nested(EventSchema))
    state = fields.Nested(CaseSchema, metadata={"description": "the case as it stood then"})


class BrokenEventSchema(Schema):
    position = fields.Integer()
    event_type = fields.String()
    problem = fields.String()


class VerificationSchema(Schema):
    case_id = fields.UUID()
    reference = fields.String(allow_none=True)
    intact = fields.Boolean()
    events_checked = fields.Integer()
    broken = fields.List(fields.Nested(BrokenEventSchema))
