"""Who is signed in to the pages: the session cookie turned into the API's own Principal.

The cookie is signed, but a signature alone cannot be taken back: each sign-in also has a
record in the access store, which signing out deletes, and a staff member's session holds the
account's generation, checked against the directory on every request (as tokens are), so
signing out, disabling, deleting and a new password end a session at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from flask import abort, g, redirect, request, session, url_for

from complaints.application.principals import AuthenticationError, Principal
from complaints.domain.values import STAFF_ROLES, Role
from complaints.web.runtime import runtime

# A working day; counted from signing in, however busy the session was since.
SESSION_LIFETIME = timedelta(hours=8)
_KEY = "principal"
_SIGNED_IN_AT = "signed_in_at"
_RECORD = "session_id"
_ROLES = {role.value: role for role in Role if role is not Role.SYSTEM}


def sign_in(principal: Principal) -> None:
    """Start a fresh session for `principal`; whatever the session held before is dropped."""
    session.clear()  # a new CSRF token too, so none planted before sign-in survives it
    session.permanent = True
    session[_KEY] = {
        "actor_id": principal.actor_id,
        "role": principal.role.value,
        "department": principal.department,
        "case_id": str(principal.case_id) if principal.case_id else None,
        "generation": principal.generation,
    }
    session[_SIGNED_IN_AT] = int(time.time())
    session[_RECORD] = runtime().access.start_session(
        principal.actor_id, SESSION_LIFETIME.total_seconds()
    )
    g.pop("principal", None)


def sign_out() -> None:
    record = session.get(_RECORD)
    if isinstance(record, str):
        runtime().access.end_session(record)
    session.clear()
    g.principal = None


def current_principal() -> Principal | None:
    """The signed-in staff member or filer, as the JSON API would see them; None if nobody."""
    if "principal" not in g:
        g.principal = _from_session()
    return g.principal


def session_ends_at() -> datetime | None:
    signed_in_at = session.get(_SIGNED_IN_AT)
    if current_principal() is None or not isinstance(signed_in_at, int):
        return None
    return datetime.fromtimestamp(signed_in_at, UTC) + SESSION_LIFETIME


def staff_required(*roles: Role) -> Callable[[Callable], Callable]:
    """Only signed-in staff (of one of `roles`, when given); others go to the sign-in page."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None or principal.role not in STAFF_ROLES:
                return redirect(url_for("pages.staff.sign_in", next=_this_address()))
            if roles and principal.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never a way off it after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash (/\evil.example) and drop tabs and newlines.
    if "\\" in target or any(ord(character) < 32 or ord(character) == 127
                             for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _this_address() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return f"{request.path}?{query}" if query else request.path


def _from_session() -> Principal | None:
    stored = session.get(_KEY)
    signed_in_at = session.get(_SIGNED_IN_AT)
    if not isinstance(stored, dict) or not isinstance(signed_in_at, int):
        return None
    if time.time() - signed_in_at > SESSION_LIFETIME.total_seconds():
        session.clear()
        return None
    role = _ROLES.get(stored.get("role"))
    if role is None or not stored.get("actor_id"):
        return None
    case_id = stored.get("case_id")
    generation = stored.get("generation")
    principal = Principal(
        actor_id=stored["actor_id"],
        role=role,
        department=stored.get("department"),
        case_id=UUID(case_id) if case_id else None,
        generation=generation if isinstance(generation, int) else None,
    )
    record = session.get(_RECORD)
    if not isinstance(record, str) or not runtime().access.session_alive(
        record, principal.actor_id
    ):
        session.clear()  # signed out (here or elsewhere), or from before records were kept
        return None
    if role in STAFF_ROLES:
        try:
            runtime().services.staff.confirm(principal)
        except AuthenticationError:
            session.clear()
            return None
    return principal
