"""OpenAPI links: where a client is given a case's reference, to every operation on a case.

A reference is given by the filing's answer (201, or 200 when a retried request is answered
again), by a case read (with its version as `ETag`, which the links hand on as `If-Match` to
each step) and by the first row of the case list. These links let a client (and schemathesis's
stateful phase) chain filing → accept → assign → … on the same case. A step's own answer is
the same case under the same reference, so it carries no links: read the case for its version.
Added as apispec builds each path, by a plugin.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

CASE_PATH = "{case}"
FILING = ("/api/v1/cases", "post")
CASE_LIST = ("/api/v1/cases", "get")
CASE_READ = ("/api/v1/cases/{case}", "get")
# Where each answer that gives a case carries its reference, as OpenAPI runtime expressions.
REFERENCE = "$response.body#/reference"
FIRST_LISTED = "$response.body#/items/0/reference"
VERSION = "$response.header.ETag"
IF_MATCH = "header.If-Match"


def operation_ref(path: str, method: str) -> str:
    """A JSON pointer to an operation of this document (RFC 6901: ~ is ~0, / is ~1)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def link_name(path: str, method: str) -> str:
    tail = path.split(CASE_PATH, 1)[1].strip("/").replace("/", "_").replace("-", "_")
    return f"{method}_{tail or 'case'}"


def takes_if_match(operation: dict) -> bool:
    return any(
        isinstance(parameter, dict)
        and parameter.get("in") == "header"
        and parameter.get("name") == "If-Match"
        for parameter in operation.get("parameters", [])
    )


class CaseLinksPlugin(BasePlugin):
    """Links from the filing's answers (200/201), a case read (200) and the case list (200) to
    every operation on a case, filled in as apispec meets those operations."""

    def __init__(self) -> None:
        # One dict per source, shared by its answers: operations met later are linked too.
        self.filed: dict[str, dict[str, Any]] = {}
        self.read: dict[str, dict[str, Any]] = {}
        self.listed: dict[str, dict[str, Any]] = {}

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or path is None:
                continue
            if CASE_PATH in path:
                self._link_to(path, method, operation)
            sources = {FILING: self.filed, CASE_READ: self.read, CASE_LIST: self.listed}
            links = sources.get((path, method))
            if links is None:
                continue
            responses = operation.get("responses", {})
            for status in (200, 201, "200", "201"):
                response = responses.get(status)
                if isinstance(response, dict):
                    response["links"] = links

    def _link_to(self, path: str, method: str, operation: dict) -> None:
        name = link_name(path, method)
        target = operation_ref(path, method)
        self.filed[name] = {"operationRef": target, "parameters": {"case": REFERENCE}}
        self.listed[name] = {"operationRef": target, "parameters": {"case": FIRST_LISTED}}
        read = {"case": REFERENCE}
        if takes_if_match(operation):
            read[IF_MATCH] = VERSION
        self.read[name] = {"operationRef": target, "parameters": read}
