"""Error pages in the reader's language; the JSON API's addresses keep the API's error shape."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, Response, g, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException

from complaints.domain.errors import DomainError
from complaints.web import errors as api_errors
from complaints.web.throttling import retry_after_seconds

log = logging.getLogger(__name__)

# Everything else on the site is a page.
API_ADDRESSES = ("/api", "/docs", "/openapi.json", "/metrics", "/healthz", "/readyz")


def is_page_request() -> bool:
    path = request.path
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in API_ADDRESSES)


def install(app: Flask) -> None:
    """Answer errors on pages with HTML; hand every other error to the API's handlers.

    Called after `errors.register_error_handlers`, whose handlers these replace and call.
    """
    app.register_error_handler(HTTPException, _either(_http_page, api_errors.handle_http_exception))
    app.register_error_handler(DomainError, _either(_domain_page, api_errors.handle_domain_error))
    for unreachable in (OperationalError, InterfaceError, StorageError):
        app.register_error_handler(
            unreachable, _either(_unavailable_page, api_errors.handle_store_unavailable)
        )
    app.register_error_handler(Exception, _either(_unexpected_page, api_errors.handle_unexpected))


def error_page(status: int, kind: str | None = None, **words: object) -> Response | tuple:
    """The error page for `status`; `kind` picks a more precise explanation (csrf)."""
    try:
        body = render_template(
            "errors/error.html", status=status, kind=kind, request_id=g.get("request_id"),
            **words,
        )
    except Exception:
        # The error page itself failed (a broken template): say so plainly, never loop.
        log.exception("the error page could not be rendered", extra={"status": status})
        return Response("Error / 错误 / Ошибка", status=status, content_type="text/plain")
    return body, status


def _either(page: Callable, api: Callable) -> Callable:
    def handle(error: Exception):
        return page(error) if is_page_request() else api(error)

    handle.__name__ = f"{page.__name__}_or_api"
    return handle


def _http_page(error: HTTPException):
    if isinstance(error, CSRFError):
        log.info("form refused: %s", error.description, extra={"path": request.path})
        return error_page(400, "csrf")
    if error.code == 429:
        wait = retry_after_seconds() or 60
        response = make_response(error_page(429, minutes=math.ceil(wait / 60)))
        response.headers["Retry-After"] = str(wait)
        return response
    return error_page(error.code or 500)


def _domain_page(error: DomainError):
    return error_page(api_errors.domain_status(error))


def _unavailable_page(error: Exception):
    log.warning("event store unreachable", extra={"error": str(error)})
    return error_page(503)


def _unexpected_page(error: Exception):
    log.exception("unexpected error", extra={"request_id": g.get("request_id")})
    return error_page(500)
