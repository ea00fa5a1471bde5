"""Similar cases: a case's nearest neighbours by their words, and a typed text's."""

from __future__ import annotations

from marshmallow import RAISE

from complaints.domain.values import Role
from complaints.intelligence.similar import Found, Reach
from complaints.web.api.cases import CASE_PARAMETER
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.similar import (
    SimilarArgsSchema,
    SimilarPageSchema,
    SimilarTextSchema,
)
from complaints.web.identity import current_principal, require_role
from complaints.web.runtime import runtime, similar_cases

blp = ApiBlueprint(
    "similar",
    __name__,
    url_prefix="/api/v1",
    description="Cases like a case or like a typed text, learned from the city's own cases "
    "(TF-IDF over subject and description, jieba for Chinese): each with its score and the "
    "words they share, never the filer.",
)


@blp.route("/cases/<case>/similar", methods=["GET"], parameters=[CASE_PARAMETER])
@blp.arguments(SimilarArgsSchema, location="query", arg_name="args", unknown=RAISE)
@blp.response(200, SimilarPageSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 422, 503)
def similar_to_case(case, args):
    """Cases similar to a case

    Roles: whoever may read the case (intake, supervisor, auditor; a handler of a department
    that leads or co-handles it); a handler is shown only cases their department leads or
    co-handles. Open and closed cases, best first; a case whose personal data was erased has
    no words and is never listed.
    """
    principal = current_principal()
    require_role(principal, Role.INTAKE, Role.SUPERVISOR, Role.AUDITOR, Role.HANDLER)
    complaints = runtime().services.complaints
    found = complaints.read_case(principal, complaints.resolve_case_id(case))
    if found.personal_data_erased is not None:
        return _page(Found([], ready=True, cases=0))  # its words are gone: nothing to compare
    reach = Reach(department=principal.department if principal.role is Role.HANDLER else None)
    return _page(similar_cases().like_case(
        str(found.id), str(found.subject), str(found.description), reach, args["limit"]))


@blp.route("/similar", methods=["POST"])
@blp.arguments(SimilarTextSchema, arg_name="query", unknown=RAISE)
@blp.response(200, SimilarPageSchema)
@blp.needs_token
@documents_errors(blp, 400, 401, 403, 413, 415, 422, 503)
def similar_to_text(query):
    """Cases similar to a typed text

    Roles: intake, supervisor. What the intake desk asks while a call is typed (with
    `open_only`, so that a repeat caller's open case is recognised before a new one is filed).
    """
    require_role(current_principal(), Role.INTAKE, Role.SUPERVISOR)
    return _page(similar_cases().like_text(
        query["text"], Reach(open_only=query["open_only"]), query["limit"]))


def _page(found: Found) -> dict:
    return {"items": found.items, "ready": found.ready, "compared": found.cases}
