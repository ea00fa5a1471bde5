"""The body of each command on a case; field names are the application's argument names."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from complaints.domain.values import (
    Channel,
    ContactMethod,
    ErasureBasis,
    InvalidationClass,
    Outcome,
    ReviewResult,
    Stage,
    Visibility,
)
from complaints.web.api.schemas.attachments import attachment_references
from complaints.web.api.schemas.fields import (
    JsonBoolean,
    aware_time,
    department,
    one_of,
    reference,
    tagged_version,
    text,
    text_list,
    version_tag,
)


class IfMatchHeaderSchema(Schema):
    expected_version = version_tag(
        data_key="If-Match",
        metadata={"description": 'the case version the change is based on, e.g. "3" (from ETag)'},
    )

    @post_load
    def version(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "expected_version" in data:
            data["expected_version"] = tagged_version(data["expected_version"])
        return data


class CommandSchema(Schema):
    occurred_at = aware_time(
        metadata={"description": "staff only: when it happened, if earlier than now"}
    )


class ReferralSchema(CommandSchema):
    reason = text(2_000)
    where_to = text(500, metadata={"description": "where the filer should turn instead"})


class AssignmentSchema(CommandSchema):
    lead = fields.String(
        validate=department, metadata={"description": "defaults to the proposed lead"}
    )
    co = fields.List(
        fields.String(validate=department),
        validate=validate.Length(max=10),
        metadata={"description": "co-handling departments; defaults to the proposed ones"},
    )


class TransferSchema(CommandSchema):
    to = fields.String(
        required=True,
        allow_none=True,
        validate=department,
        metadata={"description": "another department, or null to send it back to intake"},
    )
    reason = text(2_000)


class InformationRequestSchema(CommandSchema):
    items = text_list(50, 500, minimum_items=1, required=True)


class InformationSchema(CommandSchema):
    content = text(10_000)
    attachments = attachment_references()


class NoteSchema(CommandSchema):
    text = text(5_000)
    visibility = one_of(
        Visibility,
        load_default=Visibility.INTERNAL.value,
        metadata={"description": "internal notes never reach the filer"},
    )


class ResponseSchema(CommandSchema):
    outcome = one_of(Outcome, required=True)
    reply = text(10_000)
    actions = text_list(50, 2_000, load_default=list)


class RatingSchema(CommandSchema):
    score = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "1 非常不满意 … 5 非常满意; 1 and 2 are bad reviews"},
    )
    comment = text(2_000, required=False)
    channel = one_of(Channel, load_default=Channel.WEB.value)


class InvalidationSchema(CommandSchema):
    invalidation_class = one_of(InvalidationClass, required=True)
    reason = text(2_000)


class ReviewConclusionSchema(CommandSchema):
    result = one_of(ReviewResult, required=True)
    explanation = text(5_000)

    @post_load
    def as_upheld(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["upheld"] = data.pop("result") == ReviewResult.UPHELD.value
        return data


class RectificationSchema(CommandSchema):
    actions = text_list(50, 2_000, minimum_items=1, required=True)


class FollowUpSchema(CommandSchema):
    method = one_of(ContactMethod, required=True)
    satisfied = JsonBoolean(required=True)
    notes = text(5_000, required=False)


class ReopeningSchema(CommandSchema):
    reason = text(2_000)


def _other_case(description: str) -> fields.String:
    return fields.String(required=True, validate=reference,
                         metadata={"description": description, "example": "HY-2026-000123"})


class LinkSchema(CommandSchema):
    other = _other_case("the reference of the case about the same matter")


class UnlinkSchema(CommandSchema):
    other = _other_case("the reference of the linked case")
    reason = text(2_000)


class DuplicateSchema(CommandSchema):
    primary = _other_case("the reference of the case whose reply answers this one too")
    reason = text(2_000)


class FirstContactSchema(CommandSchema):
    entry = text(40, metadata={"description": "the knowledge base entry answered from"})


class UndoDuplicateSchema(CommandSchema):
    reason = text(2_000)


class ExtensionSchema(CommandSchema):
    stage = one_of(Stage, required=True)
    working_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "at most 15 (the limit of the time-limits file)"},
    )
    reason = text(2_000)


class ErasureSchema(Schema):
    """No `occurred_at`: an erasure happens when the key is destroyed, never earlier."""

    basis = one_of(ErasureBasis, required=True, metadata={
        "description": "filer_request (the only basis on which a case still open is erased), "
                       "retention_expired or purpose_fulfilled"})
    note = text(2_000, required=False, metadata={
        "description": "why, in a few words; kept for ever in the history, so no personal data"})
