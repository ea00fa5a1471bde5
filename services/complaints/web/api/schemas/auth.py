"""Signing in: staff with a username and password, filers with a reference and access code."""

from __future__ import annotations

from marshmallow import Schema, fields

from complaints.web.api.schemas.fields import reference, text


class StaffCredentialsSchema(Schema):
    username = text(100)
    password = text(200, metadata={"format": "password"})


class FilerCredentialsSchema(Schema):
    reference = fields.String(
        required=True, validate=reference, metadata={"example": "HY-2026-000123"}
    )
    access_code = text(40, metadata={"example": "9DF8-A2WJ-2RYH"})


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    role = fields.String(required=True)
    department = fields.String(allow_none=True)
    case_id = fields.UUID(allow_none=True, metadata={"description": "a filer's token only"})
