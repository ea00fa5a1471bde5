"""The integration events of a case: one marshmallow schema per event type and schema version.

Every event's data carries `case`, what a consumer needs to address the filer and the
departments without asking the complaints service. Internal notes have no type here: they
never go on the wire.

Personal values travel sealed (schema version 2). Each field named in `SEALED_FIELDS` (in the
event's data) and `SEALED_FILER_FIELDS` (in `case.filer`) holds a token `sealed:1:<base64>`:
AES-256-GCM under the case's own data key, the case id as associated data
(`shared.sealing.DataKey`), or null where the filing gave none. The key travels wrapped by
the operator's KEK on `huiyin.case-keys` (`shared.contract.case_keys`), so a consumer holding
that KEK opens the tokens, and nobody does once the case's data is erased: the key is then
tombstoned, `case.personal_data_erased` says so, and each later event's
`case.personal_data_erased` is true. A case filed before sealing (no key) may still carry
its values in clear; version 1 carried every value in clear.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract.event_types import (
    ACCEPTED,
    ASSIGNED,
    CLOSED,
    DEADLINE_APPROACHING,
    DEADLINE_BREACHED,
    DEADLINE_EXTENDED,
    DEADLINE_RECOMPUTED,
    ESCALATED,
    FILED,
    FOLLOWED_UP,
    INFORMATION_REQUESTED,
    INFORMATION_SUPPLIED,
    NOTIFY_CHANNELS,
    PERSONAL_DATA_ERASED,
    PUBLIC_UPDATE,
    RATED,
    RATING_INVALIDATED,
    RECTIFIED,
    REFERRED,
    REOPENED,
    RESPONDED,
    REVIEW_CONCLUDED,
    STAGES,
    TRANSFERRED,
)
from shared.locale import LANGUAGES
from shared.sealing import is_token

# Where a personal value travels as a token (schema version 2).
SEALED_FILER_FIELDS = (
    "enterprise_name", "contact_person", "person_name", "email", "phone", "webhook_url")
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    FILED: ("subject",),
    RATED: ("comment",),
    REOPENED: ("reason",),
}
# Why a case's personal data was erased (complaints' ErasureBasis), as the wire names it.
ERASURE_BASES = ("filer_request", "retention_expired", "purpose_fulfilled")


class Sealed(fields.String):
    """A sealed token; or, from a case filed before sealing, the value in clear, which must
    then pass `clear` (an email or URL check)."""

    def __init__(self, clear: fields.Field | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clear = clear

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if is_token(text) or self.clear is None:
            return text
        return self.clear.deserialize(text, attr, data, **kwargs)


def _text(**kwargs) -> fields.String:
    return fields.String(required=True, **kwargs)


def _maybe_text() -> fields.String:
    return fields.String(required=True, allow_none=True)


def _texts(**kwargs) -> fields.List:
    return fields.List(fields.String(), required=True, **kwargs)


def _moment(nullable: bool = True) -> fields.AwareDateTime:
    return fields.AwareDateTime(required=True, allow_none=nullable)


class FilerSchema(Schema):
    """How to reach the filer; what the filing did not give is null."""

    enterprise_name = fields.String(allow_none=True, load_default=None)
    contact_person = fields.String(allow_none=True, load_default=None)
    person_name = fields.String(allow_none=True, load_default=None)  # an individual filer
    email = fields.Email(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    webhook_url = fields.URL(
        allow_none=True, load_default=None, schemes={"https", "http"}, require_tld=False
    )
    notify_by = fields.List(
        fields.String(validate=validate.OneOf(NOTIFY_CHANNELS)), load_default=list
    )


class SealedFilerSchema(Schema):
    """How to reach the filer, each detail sealed (`SEALED_FILER_FIELDS`); null if not given."""

    enterprise_name = Sealed(allow_none=True, load_default=None)
    contact_person = Sealed(allow_none=True, load_default=None)
    person_name = Sealed(allow_none=True, load_default=None)  # an individual filer
    email = Sealed(fields.Email(), allow_none=True, load_default=None)
    phone = Sealed(allow_none=True, load_default=None)
    webhook_url = Sealed(
        fields.URL(schemes={"https", "http"}, require_tld=False),
        allow_none=True, load_default=None,
    )
    notify_by = fields.List(
        fields.String(validate=validate.OneOf(NOTIFY_CHANNELS)), load_default=list
    )


class CaseContextSchema(Schema):
    """The case as it stands after the event: who filed it, in which language, who handles it."""

    reference = _text(validate=validate.Length(min=1))
    category = _text()
    language = _text(validate=validate.OneOf(LANGUAGES))
    confidential = fields.Boolean(required=True)
    anonymous = fields.Boolean(required=True)
    lead_department = _maybe_text()
    co_departments = _texts()
    filer = fields.Nested(FilerSchema, required=True)


class SealedCaseContextSchema(CaseContextSchema):
    """Version 2: the filer's details sealed, and whether the case's personal data is erased."""

    filer = fields.Nested(SealedFilerSchema, required=True)
    personal_data_erased = fields.Boolean(required=True)


class CaseEventSchema(Schema):
    """What every case event's data holds; each type adds its own fields.

    `historical` marks events imported from an older system: they happened long ago, so
    consumers that tell people things (notify) pass them by.
    """

    case = fields.Nested(CaseContextSchema, required=True)
    historical = fields.Boolean(load_default=False)


class FiledSchema(CaseEventSchema):
    channel = _text()
    subject = _text()
    access_code = _text(validate=validate.Length(min=1))
    accept_by = _moment()
    expected_reply_by = _moment()
    provisional = fields.Boolean(load_default=False)  # due times on a provisional calendar


class AcceptedSchema(CaseEventSchema):
    proposed_lead = _text()
    proposed_co = _texts()


class ReferredSchema(CaseEventSchema):
    reason = _text()
    where_to = _text()


class AssignedSchema(CaseEventSchema):
    lead = _text()
    co = _texts()
    due_at = _moment()
    due_provisional = fields.Boolean(load_default=False)


class TransferredSchema(CaseEventSchema):
    from_department = _maybe_text()
    to = _maybe_text()
    reason = _text()
    due_at = _moment()
    due_provisional = fields.Boolean(load_default=False)


class InformationRequestedSchema(CaseEventSchema):
    items = _texts(validate=validate.Length(min=1))


class PublicUpdateSchema(CaseEventSchema):
    text = _text()


class RespondedSchema(CaseEventSchema):
    outcome = _text()
    reply = _text()
    actions = _texts()
    round = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class RatedSchema(CaseEventSchema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    bad = fields.Boolean(required=True)
    round = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    comment = _text()


class RatingInvalidatedSchema(CaseEventSchema):
    invalidation_class = _text()
    reason = _text()


class ReviewConcludedSchema(CaseEventSchema):
    upheld = fields.Boolean(required=True)
    explanation = _text()


class RectifiedSchema(CaseEventSchema):
    actions = _texts()


class FollowedUpSchema(CaseEventSchema):
    method = _text()
    satisfied = fields.Boolean(required=True)


class ReopenedSchema(CaseEventSchema):
    reason = _text()
    round = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


def _stage() -> fields.String:
    return _text(validate=validate.OneOf(STAGES))


class DeadlineExtendedSchema(CaseEventSchema):
    stage = _stage()
    working_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    reason = _text()
    due_at = _moment(nullable=False)
    due_provisional = fields.Boolean(required=True)


class DeadlineRecomputedSchema(CaseEventSchema):
    stage = _stage()
    due_at = _moment(nullable=False)
    due_provisional = fields.Boolean(required=True)
    previous_due_at = _moment(nullable=False)
    reason = _text()


class DeadlineSchema(CaseEventSchema):
    """A stage's limit is near (approaching) or has passed (breached); `department` answers."""

    stage = _stage()
    due_at = _moment(nullable=False)
    department = _maybe_text()


class EscalatedSchema(CaseEventSchema):
    stage = _stage()
    department = _maybe_text()
    reason = _text()


class PersonalDataErasedSchema(CaseEventSchema):
    basis = _text(validate=validate.OneOf(ERASURE_BASES))


# (event type, schema version) → the schema of its data. A new version is a new entry;
# consumers refuse versions they do not know rather than guess.
DATA_SCHEMAS_V1: dict[tuple[str, int], type[Schema]] = {
    (FILED, 1): FiledSchema,
    (ACCEPTED, 1): AcceptedSchema,
    (REFERRED, 1): ReferredSchema,
    (ASSIGNED, 1): AssignedSchema,
    (TRANSFERRED, 1): TransferredSchema,
    (INFORMATION_REQUESTED, 1): InformationRequestedSchema,
    (INFORMATION_SUPPLIED, 1): CaseEventSchema,
    (PUBLIC_UPDATE, 1): PublicUpdateSchema,
    (RESPONDED, 1): RespondedSchema,
    (RATED, 1): RatedSchema,
    (RATING_INVALIDATED, 1): RatingInvalidatedSchema,
    (REVIEW_CONCLUDED, 1): ReviewConcludedSchema,
    (RECTIFIED, 1): RectifiedSchema,
    (FOLLOWED_UP, 1): FollowedUpSchema,
    (REOPENED, 1): ReopenedSchema,
    (CLOSED, 1): CaseEventSchema,
    (DEADLINE_EXTENDED, 1): DeadlineExtendedSchema,
    (DEADLINE_RECOMPUTED, 1): DeadlineRecomputedSchema,
    (DEADLINE_APPROACHING, 1): DeadlineSchema,
    (DEADLINE_BREACHED, 1): DeadlineSchema,
    (ESCALATED, 1): EscalatedSchema,
}


def _sealed(schema: type[Schema]) -> type[Schema]:
    """Version 2 of a version 1 schema: the same fields, the case context sealed."""
    return type(f"{schema.__name__}V2", (schema,), {
        "case": fields.Nested(SealedCaseContextSchema, required=True),
    })


DATA_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    **DATA_SCHEMAS_V1,
    **{(event_type, 2): _sealed(schema) for (event_type, _), schema in DATA_SCHEMAS_V1.items()},
    (PERSONAL_DATA_ERASED, 2): _sealed(PersonalDataErasedSchema),
}
EVENT_TYPES = tuple(dict.fromkeys(event_type for event_type, _ in DATA_SCHEMAS))
# The version a producer writes today, per type.
CURRENT_VERSION = {
    event_type: max(v for t, v in DATA_SCHEMAS if t == event_type) for event_type in EVENT_TYPES
}


# Schemas hold no state between calls: one instance each, since making one costs more
# than using it (marshmallow copies every declared field into each new instance).
_INSTANCES = {key: schema() for key, schema in DATA_SCHEMAS.items()}


def data_schema(event_type: str, schema_version: int) -> Schema | None:
    """The schema of the data of `event_type` at `schema_version`, or None if unknown."""
    return _INSTANCES.get((event_type, schema_version))
