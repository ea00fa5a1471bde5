"""Signing in: tokens for staff (username and password) and for filers (reference and code)."""

from __future__ import annotations

from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.auth import (
    FilerCredentialsSchema,
    StaffCredentialsSchema,
    TokenSchema,
)
from complaints.web.runtime import runtime
from complaints.web.tokens import IssuedToken

blp = ApiBlueprint(
    "auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens for staff and filers."
)


@blp.route("/token", methods=["POST"])
@blp.arguments(StaffCredentialsSchema, arg_name="credentials")
@blp.response(200, TokenSchema)
@documents_errors(blp, 400, 401, 413, 415, 422, 429, 503)
def staff_token(credentials):
    """Sign in as staff

    Roles: anyone may ask; only a registered staff account (intake, handler, supervisor,
    auditor) gets a token, which carries its role and department. Failed sign-ins are
    limited per username and per client address: past the limit, 429 with Retry-After.
    """
    principal = runtime().services.staff.authenticate(
        credentials["username"], credentials["password"]
    )
    return _token_reply(runtime().tokens.issue(principal))


@blp.route("/filer-token", methods=["POST"])
@blp.arguments(FilerCredentialsSchema, arg_name="credentials")
@blp.response(200, TokenSchema)
@documents_errors(blp, 400, 401, 413, 415, 422, 429, 503)
def filer_token(credentials):
    """Open a case as its filer

    Roles: the filer, with the reference and the access code given at filing. The token
    reaches that one case only. Failed sign-ins are limited per reference and per client
    address: past the limit, 429 with Retry-After.
    """
    principal = runtime().services.complaints.authenticate_filer(
        credentials["reference"], credentials["access_code"]
    )
    return _token_reply(runtime().tokens.issue(principal))


def _token_reply(issued: IssuedToken) -> dict:
    principal = issued.principal
    return {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "role": principal.role.value,
        "department": principal.department,
        "case_id": principal.case_id,
    }
