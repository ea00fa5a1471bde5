"""The filer's own copy of a case, as the API hands it out."""

from __future__ import annotations

from marshmallow import Schema, fields

from complaints.web.api.schemas.cases import EventSchema, MessageSchema
from complaints.web.api.schemas.fields import Timestamp


class CopiedCaseSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    status = fields.String()
    category = fields.String()
    channel = fields.String()
    filed_at = Timestamp()
    closed_at = Timestamp(allow_none=True)


class ErasureStateSchema(Schema):
    erased = fields.Boolean(metadata={
        "description": "the case's personal data was erased: every personal value is null"})
    erased_at = Timestamp(allow_none=True)
    basis = fields.String(allow_none=True, metadata={
        "description": "filer_request, retention_expired or purpose_fulfilled"})


class CopiedDocumentSchema(Schema):
    name = fields.String(allow_none=True)
    media_type = fields.String(allow_none=True, metadata={
        "description": "null for a paper document named by its reference"})
    size = fields.Integer(allow_none=True, metadata={"description": "in bytes"})
    sha256 = fields.String(allow_none=True, metadata={
        "description": "download it at /api/v1/cases/{case}/attachments/{sha256}"})


class FilerCopySchema(Schema):
    format = fields.String(metadata={"example": "huiyin.filer-copy"})
    version = fields.Integer()
    generated_at = Timestamp()
    case = fields.Nested(CopiedCaseSchema)
    personal_data = fields.Nested(ErasureStateSchema)
    filer = fields.Dict(metadata={"description": "the filer's details as given at filing"})
    written = fields.Dict(metadata={
        "description": "what the filer wrote: subject, description, place, answers to requests "
                       "for information, rating comments, reasons for reopening"})
    attachments = fields.List(fields.Nested(CopiedDocumentSchema))
    history = fields.List(fields.Nested(EventSchema), metadata={
        "description": "the case's events as the filer may see them"})
    messages = fields.List(fields.Nested(MessageSchema), metadata={
        "description": "every message the filer was sent"})
