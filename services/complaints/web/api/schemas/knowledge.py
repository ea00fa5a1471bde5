"""The knowledge base: entries as staff keep them, and entries suggested for a caller's words."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from complaints.web.api.schemas.fields import category, storable, text


class EntrySchema(Schema):
    question = text(500)
    answer = text(10_000)
    category = fields.String(required=True, validate=category,
                             metadata={"description": "a routing-table category"})
    valid_from = fields.Date(required=True, metadata={"description": "the first day it holds"})
    valid_until = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "the last day it holds; null: no end"})
    source = text(500, metadata={"description": "where the answer comes from: a regulation, "
                                                "a notice, a department's word"})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("the entry's validity ends before it begins",
                                  field_name="valid_until")

    @post_load
    def days(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "valid_from": data["valid_from"].isoformat(),
                "valid_until": data["valid_until"].isoformat() if data["valid_until"] else None}


class WithdrawalSchema(Schema):
    reason = text(2_000)


class EntryArgsSchema(Schema):
    text = fields.String(validate=[validate.Length(min=1, max=10_000), storable], metadata={
        "description": "a caller's words: the entries in force today nearest them, best first"})
    withdrawn = fields.Boolean(load_default=False, metadata={
        "description": "list withdrawn entries too (without `text`)"})
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=50))


class EntryViewSchema(Schema):
    entry_id = fields.String()
    question = fields.String()
    answer = fields.String()
    category = fields.String()
    valid_from = fields.String()
    valid_until = fields.String(allow_none=True)
    source = fields.String()
    revision = fields.Integer()
    withdrawn = fields.Boolean()
    score = fields.Float(metadata={"description": "with `text`: how near (cosine, 0 to 1)"})
    shared = fields.List(fields.String(), metadata={"description": "with `text`: words shared"})


class EntryListSchema(Schema):
    items = fields.List(fields.Nested(EntryViewSchema))
