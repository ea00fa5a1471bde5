"""A case as its reader may see it, its history as of a moment, and its verification."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from complaints.domain.values import ErasureBasis
from complaints.web.api.schemas.fields import FIRST_YEAR, LAST_YEAR, Timestamp, plausible_year

# A personal value reads as null once the case's personal data is erased.
ERASED = "null once the filer's personal data is erased"


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


class ReachedChannelSchema(Schema):
    channel = fields.String(metadata={"description": "email, sms, webhook or inbox"})
    notification_id = fields.String()
    message_id = fields.String()
    sent_at = Timestamp()


class MessageSchema(Schema):
    notification_id = fields.String(metadata={"description": "the notice's id"})
    channel = fields.String(metadata={"description": "the first of `channels`"})
    channels = fields.List(fields.Nested(ReachedChannelSchema), metadata={
        "description": "every channel the notice reached, each with its own message id"})
    template = fields.String()
    message_id = fields.String(metadata={"description": "the first channel's"})
    sent_at = Timestamp(metadata={"description": "when the first channel reached the filer"})
    positions = fields.List(fields.Integer(), metadata={
        "description": "the history's FilerNotified events that recorded the notice: one, or "
                       "one per channel in histories recorded before notices were"})
    text = fields.String(allow_none=True, metadata={
        "description": "what the filer read; not shown to handlers on confidential cases; "
                       + ERASED})


class PersonalDataSchema(Schema):
    erased = fields.Boolean(metadata={
        "description": "the filer's personal data was erased (its key destroyed): every "
                       "personal value of the case reads as null"})
    erased_at = Timestamp(allow_none=True)
    basis = fields.String(allow_none=True, metadata={
        "enum": [*(basis.value for basis in ErasureBasis), None],
        "description": "why it was erased"})


class CaseSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    version = fields.Integer(metadata={"description": "also the ETag of the case"})
    status = fields.String()
    round = fields.Integer()
    channel = fields.String()
    on_behalf_of = fields.Boolean()
    category = fields.String()
    subject = fields.String(allow_none=True, metadata={"description": ERASED})
    description = fields.String(allow_none=True, metadata={"description": ERASED})
    happened_on = fields.String(allow_none=True)
    happened_at_place = fields.String(allow_none=True, metadata={"description": ERASED})
    attachments = fields.List(fields.String(allow_none=True),
                              metadata={"description": f"each {ERASED}"})
    confidential = fields.Boolean()
    anonymous = fields.Boolean()
    filer = fields.Dict(metadata={
        "description": "who filed (`kind`: enterprise or individual); on a confidential or "
                       "anonymous case a department sees only `kind`, `language`, `notify_by` "
                       f"and `withheld: true`; who they are and how to reach them: {ERASED}"})
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
    reply = fields.Dict(allow_none=True, metadata={
        "description": "the latest reply: outcome, reply, actions, round, responded_at, and "
                       "`through_primary` (a reference) when the primary's reply answered this "
                       "duplicate"})
    related = fields.List(fields.String(), metadata={
        "description": "the references of the cases linked to this one as related"})
    duplicate_of = fields.String(allow_none=True, metadata={
        "description": "the primary's reference while this case is marked its duplicate"})
    duplicates = fields.List(fields.String(), metadata={
        "description": "the references of this primary's standing duplicates"})
    review = fields.Nested(ReviewStateSchema)
    closed_at = Timestamp(allow_none=True)
    updated_at = Timestamp()
    messages = fields.List(fields.Nested(MessageSchema),
                           metadata={"description": "every message the filer was sent"})
    filer_unreachable = fields.Boolean(
        metadata={"description": "every channel failed: intake staff should call the filer"})
    personal_data = fields.Nested(PersonalDataSchema)


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


# An event position, or an ISO time with its zone, as `as_of` takes them.
POSITION = r"[1-9][0-9]{0,17}"
ISO_TIME = (
    r"(19[7-9][0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
AS_OF = re.compile(f"^({POSITION}|{ISO_TIME})$")


class AsOf(fields.String):
    """An event position (a whole number from 1) or an ISO time with a time zone."""

    def __init__(self, **kwargs: Any) -> None:
        error = "as_of is an event position (1, 2, …) or an ISO time with its zone"
        super().__init__(validate=validate.Regexp(AS_OF, error=error), **kwargs)


def as_of_moment(value: str) -> int | datetime:
    """A valid `as_of` read: its position, or its time (within the plausible years)."""
    if re.fullmatch(POSITION, value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("not a time of the calendar", field_name="as_of") from None
    try:
        plausible_year(moment)
    except ValidationError as error:
        raise ValidationError(error.messages, field_name="as_of") from None
    return moment


class HistoryArgsSchema(Schema):
    as_of = AsOf(
        metadata={
            "description": "an event position (1, 2, …) or an ISO time with its zone, between "
            f"{FIRST_YEAR} and {LAST_YEAR}; default: now",
        }
    )

    @post_load
    def moment(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "as_of" in data:
            data["as_of"] = as_of_moment(data["as_of"])
        return data


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
