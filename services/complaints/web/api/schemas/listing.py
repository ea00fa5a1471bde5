"""Lists of cases from the read side: the filters, the rows, and how far behind they are."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from complaints.domain.values import Status
from complaints.readmodels.case_index import COUNTED_UP_TO, MAX_OFFSET
from complaints.web.api.schemas.fields import (
    Timestamp,
    aware_time,
    category,
    one_of,
    phone,
    reference,
    storable,
)

MAX_PAGE = 200


class PagingSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class SearchArgsSchema(PagingSchema):
    text = fields.String(
        validate=[validate.Length(min=1, max=200), storable],
        metadata={"description": "words of the subject, description or a reply (zh, en, ru)"},
    )
    reference = fields.String(validate=reference)
    enterprise_name = fields.String(validate=[validate.Length(min=1, max=200), storable])
    credit_code = fields.String(validate=[validate.Length(min=1, max=40), storable])
    phone = fields.String(
        validate=phone,
        metadata={"description": "the filer's phone, with or without +86, spaces or dashes"},
    )
    email = fields.String(validate=[validate.Length(min=1, max=254), storable],
                          metadata={"description": "the filer's email, in any case"})
    external_user_id = fields.String(
        validate=[validate.Length(min=1, max=100), storable],
        metadata={"description": "an individual filer's user id in the system a case came "
                                 "from (a message board's), exactly"})
    category = fields.String(validate=category)
    status = one_of(Status)
    department = fields.String(
        validate=[validate.Length(min=1, max=40), storable],
        metadata={"description": "lead or co-handling department; forced for handlers"},
    )
    filed_from = aware_time()
    filed_to = aware_time()


class QueueArgsSchema(PagingSchema):
    status = fields.List(
        fields.String(validate=validate.OneOf([status.value for status in Status])),
        metadata={"description": "repeat to ask for several: ?status=assigned&status=accepted"},
    )


class LagSchema(Schema):
    tracked = fields.Integer(metadata={"description": "the last event position the list reflects"})
    head = fields.Integer(metadata={"description": "the newest event position in the store"})
    behind = fields.Integer(metadata={"description": "events not reflected yet"})


class CaseRowSchema(Schema):
    case_id = fields.String()
    reference = fields.String()
    status = fields.String()
    round = fields.Integer()
    category = fields.String()
    subject = fields.String()
    filer_kind = fields.String(metadata={"description": "enterprise or individual"})
    enterprise_name = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True, metadata={"description": "an individual's"})
    credit_code = fields.String(allow_none=True)
    filer_withheld = fields.Boolean(metadata={
        "description": "the filer of a confidential or anonymous case, withheld from its "
                       "department: enterprise_name, person_name and credit_code are null"})
    personal_data_erased = fields.Boolean(metadata={
        "description": "the filer's personal data was erased: subject, enterprise_name, "
                       "person_name and credit_code are empty, the case's facts remain"})
    lead_department = fields.String(allow_none=True)
    co_departments = fields.List(fields.String())
    confidential = fields.Boolean()
    anonymous = fields.Boolean()
    filed_at = Timestamp()
    due_at = Timestamp(allow_none=True)
    updated_at = Timestamp()
    version = fields.Integer()
    review_stage = fields.String(allow_none=True)
    deadline_stage = fields.String(allow_none=True)
    due_provisional = fields.Boolean(
        metadata={"description": "the due time rests on a provisional holiday calendar"})
    deadline_state = fields.String(
        allow_none=True, metadata={"description": "running, warned, paused or breached"})
    working_days_left = fields.Integer(
        allow_none=True,
        metadata={"description": "working days from today to the due day: 0 on the due day, "
                                 "negative once overdue"})
    overdue = fields.Boolean()


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseRowSchema))
    total = fields.Integer(metadata={
        "description": f"how many cases match in all, counted up to {COUNTED_UP_TO:,}"})
    total_exact = fields.Boolean(metadata={
        "description": f"false when more than {COUNTED_UP_TO:,} match: `total` is then a "
                       "lower bound, and the pages go on past it"})
    limit = fields.Integer()
    offset = fields.Integer()
    lag = fields.Nested(LagSchema)
