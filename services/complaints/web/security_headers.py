"""Headers for privacy on every answer: no cache keeps personal data, no browser sniffs a type,
no other site frames a page. The pages add their own policy (pages/__init__.py)."""

from __future__ import annotations

from flask import Flask, Response, request

API_PREFIX = "/api/"
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
# JSON is never a document to render: nothing may load from it or frame it.
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Swagger UI from /docs/assets and static/docs.js, no inline script or style (it styles its
# elements through the DOM, which a policy does not govern); data: images are its icons in
# swagger-ui.css; "Try it out" calls this origin only. Rendering is checked in the browser tier.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def install(app: Flask) -> None:
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith(API_PREFIX) or request.path == "/metrics":
        # Tokens, access codes, filers' details, cases: no browser or proxy keeps a copy.
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Content-Security-Policy", JSON_POLICY)
    elif request.endpoint == DOCS_ENDPOINT:
        headers.setdefault("Content-Security-Policy", DOCS_POLICY)
    elif request.endpoint == "api-docs.openapi_json":
        headers.setdefault("Content-Security-Policy", JSON_POLICY)
    return response
