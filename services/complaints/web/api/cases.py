"""Filing a case, reading it, its history as of any moment, and verifying its chain."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from marshmallow import RAISE

from complaints.application import audit, history_export
from complaints.application.views import case_view
from complaints.domain.values import Role
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.cases import (
    CaseSchema,
    HistoryArgsSchema,
    HistorySchema,
    VerificationSchema,
)
from complaints.web.api.schemas.filing import (
    FilingReplySchema,
    FilingSchema,
    IdempotencyHeaderSchema,
)
from complaints.web.downloads import history_file
from complaints.web.identity import (
    PUBLIC_FILER,
    bearer_principal,
    current_principal,
    require_role,
)
from complaints.web.runtime import runtime

blp = ApiBlueprint(
    "cases",
    __name__,
    url_prefix="/api/v1/cases",
    description="File a case, read it as your role may see it, replay and verify its history.",
)
CASE_PARAMETER = {
    "in": "path",
    "name": "case",
    "required": True,
    "description": "the case id (UUID) or its reference, e.g. HY-2026-000123",
    "schema": {"type": "string"},
}


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


@blp.route("", methods=["POST"])
# Schema instances, made once: a class would be instantiated for each request (webargs), and
# making the nested filer's fields costs more than checking a submission against them.
@blp.arguments(IdempotencyHeaderSchema(), location="headers", arg_name="headers")
@blp.arguments(FilingSchema(), arg_name="command")
@blp.response(201, FilingReplySchema, headers={"Location": {"schema": {"type": "string"}}})
@blp.alt_response(200, schema=FilingReplySchema, description="A retried request, answered again.")
@documents_errors(blp, 400, 401, 403, 413, 415, 422, 429, 503)
def file_case(headers, command):
    """File a case

    Roles: anyone, without a token, on the `web` and `api` channels; intake staff and
    supervisors with their token on `hotline`, `window`, `letter` and `email`, filing for a
    caller. The reply carries the access code, shown this once. With an `Idempotency-Key`,
    a retried request files nothing new and answers the same reply with status 200.
    """
    principal = bearer_principal() or PUBLIC_FILER
    filing = runtime().services.complaints.file_case(
        principal, command, idempotency_key=headers.get("idempotency_key")
    )
    location = url_for("cases.get_case", case=str(filing.case_id))
    return filing, 200 if filing.replayed else 201, {"Location": location}


@blp.route("/<case>", parameters=[CASE_PARAMETER])
@blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 503)
def get_case(case):
    """Read a case

    Roles: the filer (own case; internal notes never shown), intake, supervisor and auditor
    (any case), a handler (cases their department leads or co-handles; nothing of who filed a
    confidential or anonymous case: `filer_masked`). The ETag is the case version, for `If-Match`.
    """
    principal = current_principal()
    complaints = runtime().services.complaints
    found = complaints.read_case(principal, complaints.resolve_case_id(case))
    return case_view(found, principal), etag(found.version)


@blp.route("/<case>/history", parameters=[CASE_PARAMETER])
@blp.arguments(HistoryArgsSchema, location="query", arg_name="args", unknown=RAISE)
@blp.response(200, HistorySchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 422, 503)
def case_history(case, args):
    """Replay a case as of a moment

    Roles: whoever may read the case (see Read a case), with the filer withheld alike; a filer never
    sees internal notes. `as_of` is an event position or a time; the answer lists the events
    up to then and the case as it stood then.
    """
    principal = current_principal()
    complaints = runtime().services.complaints
    as_of = args.get("as_of")
    return audit.case_history(
        complaints,
        principal,
        complaints.resolve_case_id(case),
        as_of_time=as_of if isinstance(as_of, datetime) else None,
        as_of_position=as_of if isinstance(as_of, int) else None,
    )


@blp.route("/<case>/verify", parameters=[CASE_PARAMETER])
@blp.response(200, VerificationSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 503)
def verify_case(case):
    """Verify a case's chain of hashes

    Roles: supervisor, auditor. Recomputes every event's hash from the stored rows and names
    each event that does not hold (its position, type and problem).
    """
    require_role(current_principal(), Role.SUPERVISOR, Role.AUDITOR)
    complaints = runtime().services.complaints
    return audit.verify_case(complaints, complaints.resolve_case_id(case))


@blp.route("/<case>/export", parameters=[CASE_PARAMETER])
@blp.response(
    200,
    content_type="application/json",
    description="The history as a file (format huiyin.case-history, version 1).",
    headers={"Content-Disposition": {"schema": {"type": "string"}}},
)
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 503)
def export_case(case):
    """Export a case's history, to verify offline

    Roles: auditor. Every event as stored, with its times, actor, data and hashes: enough
    to recompute each hash and link without the store (`huiyin verify --file FILE`).
    """
    complaints = runtime().services.complaints
    document = history_export.export_case(
        complaints, current_principal(), complaints.resolve_case_id(case)
    )
    return history_file(document)

