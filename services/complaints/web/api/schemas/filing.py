"""Filing a case: the submission, the filer's identity, and the one-time reply."""

from __future__ import annotations

import re
from typing import Any

from apispec import BasePlugin
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from complaints.application.filing import FileCase
from complaints.domain.filer import Filer
from complaints.domain.values import Channel, FilerKind, Language
from complaints.web.api.schemas.attachments import attachment_references
from complaints.web.api.schemas.fields import (
    CREDIT_CODE,
    CREDIT_CODE_FORMAT,
    JsonBoolean,
    aware_time,
    category,
    credit_code,
    one_of,
    phone,
    text,
)
from complaints.web.runtime import runtime
from shared.webhook_targets import (
    ALLOW_LOOPBACK_VARIABLE,
    INTERNAL_SUFFIXES,
    INVALID_URL,
    REFUSED_ADDRESS,
    REFUSED_SCHEME,
    webhook_url_problem,
)

# What filing takes for a webhook, as the document publishes it: https, a host name with a
# top-level domain, none of the names that are internal by their form (webhook_url_problem).
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"  # at most 63 characters, as DNS says
_INTERNAL = "|".join(re.escape(suffix.lstrip(".")) for suffix in (*INTERNAL_SUFFIXES, ".localhost"))
_URL_CHARACTER = r"([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
WEBHOOK_URL = re.compile(rf"^https://(?![^/?#]*\.({_INTERNAL})([/?#]|$)){_LABEL}(\.{_LABEL})*"
                         rf"\.[a-z]{{2,}}(/{_URL_CHARACTER}*)*(\?({_URL_CHARACTER}|[/?])+)?$")
# The inbox (the case's own history) is always on; these are the channels besides it.
NOTIFY_CHANNELS = ("email", "sms", "webhook")


# Said after the reason code (shared.webhook_targets) of a webhook URL refused at filing.
WEBHOOK_REFUSALS = {
    INVALID_URL: "not a usable webhook URL: https://, a host, no user name or password",
    REFUSED_SCHEME: "a webhook must use https",
    REFUSED_ADDRESS: "a webhook may not point inside a network: private, loopback, link-local, "
                     "unique-local, multicast and unspecified addresses and internal names "
                     "are refused",
}


def webhook_problem(url: str) -> str | None:
    """The reason code for refusing `url` as a webhook at filing, or None; no DNS is asked.

    Notify checks again at send time, with the addresses the host then resolves to."""
    return webhook_url_problem(url, runtime().services.settings.webhook_allow_loopback)


def public_webhook(url: str) -> None:
    problem = webhook_problem(url)
    if problem:
        raise ValidationError(f"{problem}: {WEBHOOK_REFUSALS[problem]}")


class FilerSchema(Schema):
    kind = one_of(FilerKind, metadata={
        "description": "enterprise (the default): named by enterprise_name, with credit_code "
                       "and contact_person; individual: a person, named by person_name, with "
                       "no enterprise details"})
    enterprise_name = text(200, required=False, load_default=None,
                           metadata={"description": "required for an enterprise"})
    person_name = text(100, required=False, load_default=None,
                       metadata={"description": "required for an individual"})
    external_user_id = text(100, required=False, load_default=None, metadata={
        "description": "an individual's user id in another system (a message board's)"})
    credit_code = fields.String(
        validate=credit_code,
        # The validator checks all the pattern says, and the check character it cannot say.
        metadata={
            "description": "统一社会信用代码 (GB 32100-2015): 18 characters, the last the check "
            "character computed from the first 17",
            "pattern": CREDIT_CODE.pattern,
            "format": CREDIT_CODE_FORMAT,
        },
    )
    contact_person = text(100, required=False)
    phone = fields.String(validate=phone)
    email = fields.Email(validate=validate.Length(max=254))
    language = one_of(Language, load_default=Language.ZH.value)
    notify_by = fields.List(
        fields.String(validate=validate.OneOf(NOTIFY_CHANNELS)),
        validate=validate.Length(max=len(NOTIFY_CHANNELS)),
        metadata={"description": "how the filer wants to be told of each step"},
    )
    webhook_url = fields.URL(
        schemes={"https", "http"},
        validate=[validate.Length(min=1, max=2000), public_webhook],
        metadata={"description": "HTTPS to a public address: addresses inside a network "
                  "(private, loopback, link-local, unique-local, multicast, unspecified) and "
                  "internal names are refused with a reason code (webhook_refused_address, "
                  "webhook_refused_scheme, webhook_invalid_url). Loopback, over plain HTTP "
                  f"too, only where the operator sets {ALLOW_LOOPBACK_VARIABLE}, for tests. "
                  "Requests are signed with the webhook_secret given at filing.",
                  "format": "uri", "pattern": WEBHOOK_URL.pattern},
    )

    @validates_schema
    def fits_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Each kind's name is required, and the other kind's details are refused."""
        individual = data.get("kind") == FilerKind.INDIVIDUAL
        named = "person_name" if individual else "enterprise_name"
        errors: dict[str, list[str]] = {}
        if not data.get(named):
            errors[named] = [f"Missing data for required field ({data.get('kind') or 'enterprise'}"
                             " filer)."]
        kind = FilerKind.INDIVIDUAL if individual else FilerKind.ENTERPRISE
        for name in Filer.ENTERPRISE_ONLY if individual else Filer.INDIVIDUAL_ONLY:
            if data.get(name):
                errors[name] = [f"An {kind.value} filer has no {name}."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def given(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Only the details given; for an individual, no empty enterprise details."""
        unused = Filer.ENTERPRISE_ONLY if data.get("kind") == FilerKind.INDIVIDUAL else ()
        return {name: value for name, value in data.items()
                if value is not None and name not in unused}


def filer_kinds() -> dict[str, Any]:
    """What `FilerSchema.fits_kind` checks, as the document says it: an individual (named by
    `kind`) gives a person's name and no enterprise details; an enterprise (the default) its
    name and no person's details. A detail the other kind has not got may only be empty, as
    filing reads an empty one as not given."""
    def empty(names: tuple[str, ...]) -> dict[str, Any]:
        return {name: {"maxLength": 0} for name in names}

    named = {"type": "string", "minLength": 1}
    return {"oneOf": [
        {"required": ["kind", "person_name"],
         "properties": {"kind": {"enum": [FilerKind.INDIVIDUAL.value]},
                        "person_name": named, **empty(Filer.ENTERPRISE_ONLY)}},
        {"required": ["enterprise_name"],
         "properties": {"kind": {"enum": [FilerKind.ENTERPRISE.value]},
                        "enterprise_name": named, **empty(Filer.INDIVIDUAL_ONLY)}},
    ]}


class FilerKindsPlugin(BasePlugin):
    """Adds `filer_kinds` to the filer's schema in the document."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        if schema is FilerSchema or isinstance(schema, FilerSchema):
            return filer_kinds()
        return None


class FilingSchema(Schema):
    channel = one_of(
        Channel,
        required=True,
        metadata={"description": "web, api: a filer; hotline, window, letter, email: staff"},
    )
    category = fields.String(
        required=True, validate=category, metadata={"description": "a routing-table category"}
    )
    subject = text(200)
    description = text(10_000)
    filer = fields.Nested(FilerSchema, required=True)
    happened_on = fields.Date(metadata={"description": "when the matter happened"})
    happened_at_place = text(200, required=False)
    attachments = attachment_references(
        metadata={"description": "references to documents kept elsewhere (paper files)"}
    )
    confidential = JsonBoolean(load_default=False)
    anonymous = JsonBoolean(load_default=False)
    occurred_at = aware_time(
        metadata={"description": "staff only: when the call or visit took place"}
    )

    @post_load
    def command(self, data: dict[str, Any], **kwargs: Any) -> FileCase:
        happened_on = data.pop("happened_on", None)
        filer = Filer.from_record(data.pop("filer"))
        attachments = tuple(data.pop("attachments"))
        return FileCase(
            **data,
            filer=filer,
            happened_on=happened_on.isoformat() if happened_on else None,
            attachments=attachments,
        )


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=200),
        metadata={"description": "a retried submission with the same key files one case"},
    )


class FilingReplySchema(Schema):
    case_id = fields.UUID(required=True)
    reference = fields.String(required=True, metadata={"example": "HY-2026-000123"})
    access_code = fields.String(
        required=True, metadata={"description": "shown once; with the reference it opens the case"}
    )
    replayed = fields.Boolean(
        required=True, metadata={"description": "true when this reply answers a retried request"}
    )
    webhook_secret = fields.String(
        allow_none=True,
        metadata={"description": "with a webhook_url: the key that signs every webhook request "
                  "(HMAC-SHA256 over '<X-Huiyin-Timestamp>.<body>')"},
    )
