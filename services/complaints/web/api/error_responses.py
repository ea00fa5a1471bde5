"""The error responses each endpoint documents: the one error shape, and what each status means.

Which error answers which status is decided in `web/errors.py`, for the pages' addresses too.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_smorest import Blueprint

from complaints.web.api.schemas.errors import ErrorSchema

# What each status means on this API, for the OpenAPI document.
MEANINGS = {
    400: "The body is not well-formed JSON.",
    401: "No bearer token, or one that is expired or tampered with.",
    403: "The caller's role or department may not do this.",
    404: "No such case.",
    409: "The case changed meanwhile (version_conflict), or its state or a rule refuses the "
    "command (invalid_state, rule_violated with details.rule).",
    413: "The body is larger than the configured limit.",
    410: "The case's personal data was erased, and this with it.",
    415: "The body is not application/json.",
    422: "The input does not validate; details.fields names each field's problem.",
    429: "Too many failed sign-ins for this account or from this address, or too many filings "
    "without login from this address; the Retry-After header (and details.retry_after) says "
    "in how many seconds to try again.",
    503: "The event store cannot be reached.",
}


def documents_errors(blp: Blueprint, *statuses: int) -> Callable[[Callable], Callable]:
    """Document the error responses an endpoint may answer, each in the one error shape."""

    def decorate(view: Callable) -> Callable:
        for status in sorted(statuses, reverse=True):
            view = blp.alt_response(status, schema=ErrorSchema, description=MEANINGS[status])(view)
        return view

    return decorate
