"""Similar cases: what is asked (a case's neighbours, or a typed text's) and what is shown."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from complaints.intelligence.similar import MAX_LIMIT
from complaints.web.api.schemas.fields import JsonBoolean, Timestamp, storable

# As long as a filing's description may be: the intake desk sends what it has typed.
MAX_TEXT = 10_000


def limit_field() -> fields.Integer:
    return fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT),
                          metadata={"description": f"at most this many, 1 to {MAX_LIMIT}"})


class SimilarArgsSchema(Schema):
    limit = limit_field()


class SimilarTextSchema(Schema):
    text = fields.String(
        required=True, validate=[validate.Length(min=1, max=MAX_TEXT), storable],
        metadata={"description": "what the caller says: a subject, a description, or both"})
    open_only = JsonBoolean(load_default=False,
                               metadata={"description": "only cases not yet closed"})
    limit = limit_field()


class SimilarCaseSchema(Schema):
    reference = fields.String()
    subject = fields.String()
    status = fields.String()
    category = fields.String()
    lead_department = fields.String(allow_none=True)
    filed_at = Timestamp()
    language = fields.String(metadata={
        "description": "the language the filer writes in (zh, en, ru): the subject's"})
    score = fields.Float(metadata={
        "description": "cosine similarity of the two texts' TF-IDF vectors, 0 to 1"})
    shared_terms = fields.List(fields.String(), metadata={
        "description": "the words both texts hold, the most telling first"})


class SimilarPageSchema(Schema):
    items = fields.List(fields.Nested(SimilarCaseSchema))
    ready = fields.Boolean(metadata={
        "description": "false while this worker is still learning the cases (at its first "
                       "question after starting): items is then empty; ask again shortly"})
    compared = fields.Integer(metadata={"description": "how many cases were compared"})
