"""Dispatch suggestions for a case, as the API answers them."""

from __future__ import annotations

from marshmallow import Schema, fields


class RankedSchema(Schema):
    code = fields.String(metadata={"description": "a category or department code"})
    confidence = fields.Float(
        allow_none=True,
        metadata={"description": "the model's probability, 0–1; null from the routing table"})


class ModelSchema(Schema):
    trained_at = fields.String(metadata={"description": "when the model was learned (UTC)"})
    cases = fields.Integer(metadata={"description": "the closed cases it learned from"})
    catalogue = fields.String(metadata={"description": "the fingerprint of its catalogue"})
    left_out = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "classes with too few closed cases to learn, per target"})


class SuggestionSchema(Schema):
    reference = fields.String()
    source = fields.String(metadata={
        "enum": ["model", "routing_table"],
        "description": "model: learned from the city's closed cases; routing_table: too "
                       "little history (see reason), ranked by the catalogue's keywords"})
    reason = fields.String(metadata={"description": "why the routing table answered"})
    categories = fields.List(fields.Nested(RankedSchema),
                             metadata={"description": "up to three, likeliest first"})
    departments = fields.List(fields.Nested(RankedSchema),
                              metadata={"description": "lead departments, likeliest first"})
    model = fields.Nested(ModelSchema, allow_none=True)
