"""The filer's own copy of their case, and a case's documents, for those who may read them."""

from __future__ import annotations

from datetime import UTC, datetime

from complaints.application.filer_copy import filer_copy
from complaints.web.api.cases import CASE_PARAMETER
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.filer_copy import FilerCopySchema
from complaints.web.attachment_downloads import case_attachment
from complaints.web.identity import current_principal
from complaints.web.runtime import runtime

blp = ApiBlueprint(
    "documents",
    __name__,
    url_prefix="/api/v1/cases",
    description="The filer's own copy of their case, and the documents attached to a case.",
)
SHA256_PARAMETER = {
    "in": "path",
    "name": "sha256",
    "required": True,
    "description": "the document's SHA-256, as its reference in the case names it",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}


@blp.route("/<case>/personal-data", parameters=[CASE_PARAMETER])
@blp.response(200, FilerCopySchema,
              headers={"Content-Disposition": {"schema": {"type": "string"}}})
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 503)
def personal_data(case):
    """Download the filer's own copy of the case

    Roles: the filer, with the token of their reference and access code; no one else, staff
    included. Everything the service holds about the filer for this case: their details, what
    they wrote, their documents' names and sizes, the history as they may see it, the messages
    sent to them, and whether (when, on what basis) their personal data was erased, after which
    every personal value is null.
    """
    complaints = runtime().services.complaints
    copy = filer_copy(complaints, current_principal(), complaints.resolve_case_id(case),
                      datetime.now(UTC))
    name = f"{copy['case']['reference']}-personal-data.json"
    return copy, 200, {"Content-Disposition": f'attachment; filename="{name}"',
                       "Cache-Control": "private, no-store"}


@blp.route("/<case>/attachments/<sha256>", parameters=[CASE_PARAMETER, SHA256_PARAMETER])
@blp.response(200, content_type="application/octet-stream",
              description="The document, under its own name (Content-Disposition).",
              headers={"Content-Disposition": {"schema": {"type": "string"}}})
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 410, 503)
def attachment(case, sha256):
    """Download a document of the case

    Roles: whoever may read the case (see Read a case). Opened with the case's key as it is
    sent. 410 once the case's personal data was erased: its documents went with it.
    """
    complaints = runtime().services.complaints
    found = complaints.read_case(current_principal(), complaints.resolve_case_id(case))
    return case_attachment(found, sha256)
