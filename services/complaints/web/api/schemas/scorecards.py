"""Scorecards: the period asked for, each figure with the cases behind it, and those cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from apispec import BasePlugin
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    validate,
    validates_schema,
)

from complaints.readmodels.case_index import MAX_OFFSET
from complaints.readmodels.scorecards import LONGEST_PERIOD_YEARS, within_longest_period
from complaints.readmodels.scorecards.figures import CATEGORY_BREAKDOWN, FIGURES
from complaints.web.api.schemas.fields import FIRST_YEAR, LAST_YEAR, department
from complaints.web.api.schemas.listing import LagSchema
from complaints.web.runtime import scorecards

MAX_ITEMS = 10_000


def _plausible_day(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"a day must fall between {FIRST_YEAR} and {LAST_YEAR}")


def _day(name: str, description: str) -> fields.Date:
    return fields.Date(required=True, data_key=name, validate=_plausible_day,
                       metadata={"description": description, "example": "2026-03-01"})


class PeriodArgsSchema(Schema):
    # In the query `from` and `to`, which are Python keywords.
    period_from = _day("from", "the first day of the period (YYYY-MM-DD, in Asia/Shanghai)")
    period_to = _day("to", "the last day of the period, included (YYYY-MM-DD, Asia/Shanghai)")
    department = fields.String(
        validate=department,
        metadata={"description": "a department code (TAX, SAMR…); without it, every department"},
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("period_from"), data.get("period_to")
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError("the period ends before it starts", field_name="to")
        if not within_longest_period(start, end):
            raise ValidationError(f"a period is at most {LONGEST_PERIOD_YEARS} years (the "
                                  "dashboard's rule too)", field_name="to")


class FigureChoice(validate.Validator):
    """A figure of the scorecards under the catalogue in force (its categories' among them);
    `choices` is what apispec publishes as the enum."""

    @property
    def choices(self) -> list[str]:
        return list(scorecards().codes.figures)

    def __call__(self, value: str) -> str:
        if value not in scorecards().codes:
            raise ValidationError(f"no figure {value!r}; known: {', '.join(self.choices)}")
        return value


class CasesBehindArgsSchema(PeriodArgsSchema):
    figure = fields.String(
        required=True,
        validate=FigureChoice(),
        metadata={"description": "the figure whose cases to list"},
    )
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=MAX_ITEMS))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class FigureSchema(Schema):
    value = fields.Raw(
        allow_none=True,
        metadata={"description": "a count; a rate from 0 to 1; days for a time (its `unit`); "
                                 "null when its denominator is 0 (a time: no timed reply)"},
    )
    cases = fields.String(metadata={"description": "where to list the cases behind the figure"})
    numerator = fields.List(fields.String(), metadata={"description": "a rate's numerator"})
    denominator = fields.String(metadata={"description": "a rate's denominator"})
    unit = fields.String(metadata={"description": "for a time: working_days or calendar_days",
                                   "enum": ["working_days", "calendar_days"]})


_FIGURE = FigureSchema()


class ScorecardFiguresSchema(Schema.from_dict({code: fields.Nested(FigureSchema)
                                                for code in FIGURES})):
    """Every figure; those of the catalogue's categories are added as they come (FiguresPlugin
    names them in the document)."""

    @post_dump(pass_original=True)
    def with_categories(self, data: dict[str, Any], original: dict[str, Any],
                        **kwargs: Any) -> dict[str, Any]:
        for code, figure in original.items():
            if code.startswith(CATEGORY_BREAKDOWN):
                data[code] = _FIGURE.dump(figure)
        return data


class FiguresPlugin(BasePlugin):
    """Names the figures of the catalogue in force's categories in the figures' schema."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        if not (schema is ScorecardFiguresSchema or isinstance(schema, ScorecardFiguresSchema)):
            return None
        properties = definition.get("properties", {})
        figure = properties["received"]
        return {"properties": {code: properties.get(code, figure)
                               for code in scorecards().codes.figures}}


class ScorecardSchema(Schema):
    department = fields.String(
        allow_none=True, metadata={"description": "null for the total over every case"}
    )
    figures = fields.Nested(ScorecardFiguresSchema)


class ScorecardReportSchema(Schema):
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to", metadata={"description": "included"})
    department = fields.String(allow_none=True)
    departments = fields.List(fields.Nested(ScorecardSchema))
    total = fields.Nested(ScorecardSchema)
    lag = fields.Nested(LagSchema)


class CaseEntrySchema(Schema):
    reference = fields.String()
    case_id = fields.String()
    round = fields.Integer(allow_none=True, metadata={"description": "the round it counts for"})
    stage = fields.String(allow_none=True, metadata={"description": "for breaches, escalations"})


class CasesBehindSchema(Schema):
    figure = fields.String()
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to")
    department = fields.String(allow_none=True)
    value = fields.Raw(allow_none=True, metadata={"description": "the figure itself"})
    total = fields.Integer(metadata={"description": "how many entries there are in all"})
    limit = fields.Integer()
    offset = fields.Integer()
    items = fields.List(fields.Nested(CaseEntrySchema))
    lag = fields.Nested(LagSchema)

