"""Throttling (Flask-Limiter): failed sign-ins per account and per client address, and filings
without login per client address, counted in the access store that every worker shares.

A limited request is refused before its view runs, so a refused sign-in costs no password
hash. Sign-ins count only when they fail, so people who type their password right are never
slowed by it; a flood is answered 429 after a few tries, with `Retry-After`.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RequestLimit
from werkzeug.middleware.proxy_fix import ProxyFix

from complaints.adapters.access_store import AccessStore
from complaints.adapters.rate_limits import storage_uri
from complaints.settings import Settings

# Sign-in endpoints, and which field of the request names the account tried.
STAFF_SIGN_INS = {"auth.staff_token": "json", "pages.staff.sign_in": "form"}
FILER_SIGN_INS = {"auth.filer_token": "json", "pages.tracking.sign_in": "form"}
# Filing and uploading without login, open to anyone.
ANONYMOUS_FILINGS = ("cases.file_case", "pages.filing.file_complaint")

_FAILED = (400, 401, 422)
RETRY_AFTER = "retry_after"


def install(app: Flask, settings: Settings, store: AccessStore) -> Limiter:
    if settings.trusted_proxies:
        # Only then is X-Forwarded-For believed, and only as many hops as there are proxies.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    limiter = Limiter(
        key_func=client_address,
        app=app,
        storage_uri=storage_uri(settings.database_url, settings.data_dir),
        storage_options={"wrap_exceptions": True, "store": store},
        strategy="fixed-window",
        key_prefix="huiyin",
        on_breach=_remember_retry_after,
        headers_enabled=False,
    )
    # One counter per account and one per address, whichever door (API or page) is tried.
    # A sign-in that names no account is counted by its address alone: exempt here, since the
    # extension logs an error for every request whose key comes out empty.
    account = limiter.shared_limit(
        settings.sign_in_account_limits, scope="sign-in-account", key_func=_account_tried,
        deduct_when=_failed, exempt_when=_names_no_account, methods=["POST"],
    )
    address = limiter.shared_limit(
        settings.sign_in_address_limits, scope="sign-in-address", deduct_when=_failed,
        methods=["POST"],
    )
    filing = limiter.shared_limit(
        settings.anonymous_filing_limits, scope="anonymous-filing", methods=["POST"],
        exempt_when=_signed_in_with_a_token,
    )
    for endpoint in (*STAFF_SIGN_INS, *FILER_SIGN_INS):
        _wrap(app, endpoint, account, address)
    for endpoint in ANONYMOUS_FILINGS:
        _wrap(app, endpoint, filing)
    # Each limit above is checked by its view's wrapper. The extension's check before every
    # request looks for default, application and blueprint limits, of which there are none:
    # it found nothing, at about 0.14 ms a request (a third of a health check's time).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    return limiter


def client_address() -> str:
    """The client's address (the proxies' word for it only if trusted, see install); an IPv6
    client is counted by its /64, which one subscriber commonly holds whole."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def retry_after_seconds() -> int | None:
    return g.get(RETRY_AFTER)


def _wrap(app: Flask, endpoint: str, *limits: Callable) -> None:
    view = app.view_functions[endpoint]
    for limit in limits:
        view = limit(view)
    app.view_functions[endpoint] = view


def _account_tried() -> str:
    """`staff:<username>` or `case:<reference>`, as the request names it; empty when it names
    none."""
    endpoint = request.endpoint or ""
    if endpoint in STAFF_SIGN_INS:
        kind, field, where = "staff", "username", STAFF_SIGN_INS[endpoint]
    else:
        kind, field, where = "case", "reference", FILER_SIGN_INS.get(endpoint, "form")
    given = request.get_json(silent=True) if where == "json" else request.form
    value = given.get(field) if hasattr(given, "get") else None
    if not isinstance(value, str) or not value.strip():
        return ""
    return f"{kind}:{value.strip().lower()[:200]}"


def _names_no_account() -> bool:
    return not _account_tried()


def _failed(response) -> bool:
    return response.status_code in _FAILED


def _signed_in_with_a_token() -> bool:
    # A staff member filing for a caller through the API; a bad token is refused anyway.
    return request.path.startswith("/api/") and "Authorization" in request.headers


def _remember_retry_after(limit: RequestLimit) -> None:
    g.setdefault(RETRY_AFTER, 0)
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    g.retry_after = max(g.retry_after, wait)
    current_app.logger.info(
        "throttled", extra={"limit": str(limit.limit), "endpoint": request.endpoint}
    )
