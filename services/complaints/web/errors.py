"""Every error the API answers, in one shape and mapped to its HTTP status here and only here."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, g, jsonify, request
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, UnsupportedMediaType

from complaints.application.case_application import CaseNotFoundError, VersionConflictError
from complaints.application.filing import IdempotencyKeyReusedError
from complaints.application.principals import AuthenticationError, PermissionDeniedError
from complaints.application.staff import AccountExistsError
from complaints.domain.errors import CaseRuleError, CaseStateError, DomainError
from complaints.domain.knowledge import EntryNotFoundError
from complaints.web.throttling import retry_after_seconds

log = logging.getLogger(__name__)

# The most specific class in an error's MRO decides its status.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    CaseNotFoundError: 404,
    EntryNotFoundError: 404,
    VersionConflictError: 409,
    CaseStateError: 409,
    CaseRuleError: 409,
    AccountExistsError: 409,
    IdempotencyKeyReusedError: 422,
    DomainError: 422,
}

# Codes for the statuses that werkzeug, Flask or webargs raise.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    503: "store_unavailable",
}

# Said instead of werkzeug's wordy defaults; an error raised with its own words keeps them.
GENERIC_MESSAGES = {
    404: "there is nothing at this address; see /docs",
    405: "this method is not allowed at this address",
    413: "the body is larger than this service accepts",
}

def error_body(status: int, error: str, message: str, **details: Any):
    response = jsonify({"error": error, "message": message, "details": details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def domain_status(error: DomainError) -> int:
    for klass in type(error).__mro__:
        if klass in DOMAIN_STATUS:
            return DOMAIN_STATUS[klass]
    return 422


def handle_domain_error(error: DomainError):
    if isinstance(error, CaseNotFoundError):
        # The address named the case (a reference, usually): say that, not its id.
        typed = (request.view_args or {}).get("case")
        if typed:
            error = error.named_as(str(typed))
    details = {key: value for key, value in error.details.items() if value is not None}
    return error_body(domain_status(error), error.code, error.message, **details)


def handle_http_exception(error: HTTPException):
    """Werkzeug's and webargs' errors; webargs puts validation messages in `data`."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        return error_body(
            422, "invalid_input", "the request does not validate", fields=_fields(data["messages"])
        )
    if status == 400 and "messages" in data:
        return error_body(400, "malformed_json", "the body is not well-formed JSON")
    message = data.get("message") or error.description
    if not message or message == type(error).description:
        message = GENERIC_MESSAGES.get(status, error.name)
    if status == 429:
        return too_many_requests()
    response = error_body(
        status, HTTP_CODES.get(status, error.name.lower().replace(" ", "_")), message
    )
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def too_many_requests():
    """A throttled request (complaints.web.throttling): when to try again, in the header too."""
    wait = retry_after_seconds() or 60
    response = error_body(
        429, "too_many_requests",
        f"too many attempts from here or on this account; try again in {wait} seconds",
        retry_after=wait,
    )
    response.headers["Retry-After"] = str(wait)
    return response


def handle_store_unavailable(error: Exception):
    log.warning("event store unreachable", extra={"error": str(error)})
    return error_body(503, "store_unavailable", "the event store cannot be reached; retry later")


def handle_unexpected(error: Exception):
    request_id = g.get("request_id")
    log.exception("unexpected error", extra={"request_id": request_id})
    return error_body(
        500, "internal_error", "something went wrong on our side", request_id=request_id
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_store_unavailable)
    app.register_error_handler(InterfaceError, handle_store_unavailable)
    app.register_error_handler(StorageError, handle_store_unavailable)
    app.register_error_handler(Exception, handle_unexpected)


def unsupported_media_type() -> UnsupportedMediaType:
    return UnsupportedMediaType("send the body as application/json")


def _fields(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs keys messages by location (json, query, headers); callers know only fields."""
    merged: dict[str, Any] = {}
    for by_field in messages.values():
        if isinstance(by_field, dict):
            merged.update(by_field)
        else:
            merged["_body"] = by_field
    return merged
