"""The one error shape every endpoint answers with."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    error = fields.String(
        required=True, metadata={"description": "a stable code: not_found, invalid_state, …"}
    )
    message = fields.String(required=True, metadata={"description": "what went wrong, for people"})
    details = fields.Dict(
        metadata={
            "description": "more about it: `rule` for a broken rule, `fields` for invalid input, "
            "`request_id` for an unexpected error"
        }
    )
