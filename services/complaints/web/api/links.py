"""OpenAPI links: a filed case, or a case a step answered, leads to every operation on a case.

They let a client (and schemathesis's stateful phase) chain filing → accept → assign → …
by the reference each answer carries. Added as apispec builds each path, by a plugin.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

CASE_PATH = "{case}"
FILING = ("/api/v1/cases", "post")
# The answers that carry a case's reference: its id for the next step.
REFERENCE = "$response.body#/reference"


def operation_ref(path: str, method: str) -> str:
    """A JSON pointer to an operation of this document (RFC 6901: ~ is ~0, / is ~1)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


class CaseLinksPlugin(BasePlugin):
    """Links from each answer that carries a case (filing 200/201, a case read or a step 200)
    to every operation on a case, filled in as apispec meets those operations."""

    def __init__(self) -> None:
        self.links: dict[str, dict[str, Any]] = {}

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or path is None:
                continue
            on_a_case = CASE_PATH in path
            if on_a_case:
                tail = path.split(CASE_PATH, 1)[1].strip("/").replace("/", "_").replace("-", "_")
                self.links[f"{method}_{tail or 'case'}"] = {
                    "operationRef": operation_ref(path, method),
                    "parameters": {"case": REFERENCE},
                }
            if (path, method) == FILING or (on_a_case and self._answers_a_case(operation)):
                responses = operation.get("responses", {})
                for status in (200, 201, "200", "201"):
                    response = responses.get(status)
                    if isinstance(response, dict):
                        # One shared dict: operations met later are linked too.
                        response["links"] = self.links

    @staticmethod
    def _answers_a_case(operation: dict) -> bool:
        responses = operation.get("responses", {})
        response = responses.get(200) or responses.get("200") or {}
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        return schema.get("$ref", "").endswith("/Case") if isinstance(schema, dict) else False
