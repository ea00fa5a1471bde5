"""Hot issues: the period asked for, and each cluster of similar complaints in it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from complaints.web.api.schemas.fields import Timestamp
from complaints.web.api.schemas.listing import LagSchema
from complaints.web.api.schemas.scorecards import PeriodArgsSchema

LONGEST_PERIOD_DAYS = 366
MOST_ISSUES = 20


class HotIssueArgsSchema(PeriodArgsSchema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MOST_ISSUES),
                           metadata={"description": f"at most {MOST_ISSUES} issues"})

    @validates_schema
    def _a_year_at_most(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            raise ValidationError(f"hot issues are found in at most {LONGEST_PERIOD_DAYS} days",
                                  field_name="to")


class DepartmentCasesSchema(Schema):
    department = fields.String(metadata={"description": "empty: not assigned yet"})
    cases = fields.Integer()


class CategoryCasesSchema(Schema):
    category = fields.String()
    cases = fields.Integer()


class HotIssueSchema(Schema):
    label = fields.String(metadata={"description": "its three weightiest words"})
    terms = fields.List(fields.String(), metadata={"description": "its key words"})
    places = fields.List(fields.String(),
                         metadata={"description": "addresses written in two or more of its cases"})
    departments = fields.List(fields.Nested(DepartmentCasesSchema))
    categories = fields.List(fields.Nested(CategoryCasesSchema))
    references = fields.List(fields.String(), metadata={"description": "its cases, newest first"})
    cases = fields.Integer()
    filers = fields.Integer(metadata={"description": "distinct filers (an unknown one each)"})
    first_filed = Timestamp()
    last_filed = Timestamp()
    bad_reviews = fields.Integer()
    overdue = fields.Integer()
    heat = fields.Float(metadata={"description": "the heat index (see the operation)"})


class HotIssueReportSchema(Schema):
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to")
    department = fields.String(allow_none=True)
    cases = fields.Integer(metadata={"description": "the cases filed in the period"})
    issues = fields.List(fields.Nested(HotIssueSchema))
    concentration = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "cases by category, then by month (YYYY-MM, Asia/Shanghai)"})
    lag = fields.Nested(LagSchema)
