"""Around every request: an id, the body's size and type checked, metrics and one log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from complaints.web.errors import unsupported_media_type
from complaints.web.runtime import runtime

log = logging.getLogger("complaints.web.requests")

REQUEST_ID_HEADER = "X-Request-Id"
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def install(app: Flask) -> None:
    app.before_request(start)
    app.before_request(check_body)
    app.after_request(finish)


def start() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def check_body() -> None:
    """Refuse a body that is too large (413) or not JSON (415) before anything reads it."""
    if request.method not in _BODY_METHODS or request.url_rule is None:
        return  # an unknown address answers 404 or 405, whatever its body
    # MAX_CONTENT_LENGTH, unless a view's blueprint raised it for this request (a form with files).
    limit = request.max_content_length
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the body is larger than {limit} bytes")
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    # The pages post HTML forms; the JSON API, all under /api/, takes JSON only.
    if has_body and not request.is_json and request.path.startswith("/api/"):
        raise unsupported_media_type()


def finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    request_id = g.get("request_id", "")
    response.headers[REQUEST_ID_HEADER] = request_id
    endpoint = request.endpoint or "unmatched"
    runtime().metrics.observe(endpoint, request.method, response.status_code, elapsed)
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )
    return response
