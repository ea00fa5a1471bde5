"""Who is calling: the principal named by the request's bearer token, and role checks."""

from __future__ import annotations

from flask import g, request

from complaints.application.principals import (
    AuthenticationError,
    PermissionDeniedError,
    Principal,
)
from complaints.domain.values import STAFF_ROLES, Role
from complaints.web.runtime import runtime

# A filer using the public form or the JSON API without signing in.
PUBLIC_FILER = Principal(actor_id="filer:public", role=Role.FILER)
BEARER = "bearer"
_CALLER = "bearer_principal"  # where a request keeps its caller (flask.g)


def bearer_principal() -> Principal | None:
    """The caller named by `Authorization: Bearer …`, None when there is no such header;
    worked out once per request (the token's check reads the staff account)."""
    if _CALLER not in g:
        g.setdefault(_CALLER, _bearer_principal())
    return g.get(_CALLER)


def _bearer_principal() -> Principal | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != BEARER or not token.strip():
        raise AuthenticationError("use an Authorization: Bearer <token> header")
    principal = runtime().tokens.read(token.strip())
    if principal.role in STAFF_ROLES:
        # Signed, but honoured only while the account stands as it was when the token was made.
        runtime().services.staff.confirm(principal)
    return principal


def current_principal() -> Principal:
    """The caller, who must have signed in."""
    principal = bearer_principal()
    if principal is None:
        raise AuthenticationError("this endpoint needs a bearer token; see /api/v1/auth/token")
    return principal


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise PermissionDeniedError(
            f"the {principal.role.value} role may not do this",
            allowed_roles=sorted(role.value for role in roles),
        )


# The OpenAPI security requirement of endpoints that need a token (scheme set up in app.py).
SECURITY_SCHEME = "bearerAuth"
NEEDS_TOKEN = {"security": [{SECURITY_SCHEME: []}]}
