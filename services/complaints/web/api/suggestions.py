"""Dispatch suggestions: the category and lead department a case's words point to."""

from __future__ import annotations

from dataclasses import asdict

from complaints.domain.values import Role
from complaints.web.api.cases import CASE_PARAMETER
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.suggestions import SuggestionSchema
from complaints.web.identity import current_principal, require_role
from complaints.web.runtime import dispatcher, runtime

blp = ApiBlueprint(
    "suggestions",
    __name__,
    url_prefix="/api/v1/cases",
    description="Suggestions for dispatching a case, learned from the city's closed cases.",
)


@blp.route("/<case>/suggestions", parameters=[CASE_PARAMETER])
@blp.response(200, SuggestionSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 503)
def case_suggestions(case):
    """Suggest a case's category and lead department

    Roles: intake, supervisor. The three likeliest categories and lead departments with the
    model's confidence, learned from the city's closed cases (the category staff settled on,
    the department that led each case last, after any transfers). With too little history,
    or no model for the catalogue in force, the routing table answers: `source` is
    `routing_table`, `reason` says why, and there is no confidence. Never applied: intake
    confirms the category and department when accepting and assigning.
    """
    principal = current_principal()
    require_role(principal, Role.INTAKE, Role.SUPERVISOR)
    complaints = runtime().services.complaints
    found = complaints.read_case(principal, complaints.resolve_case_id(case))
    suggestion = dispatcher().suggest(str(found.subject or ""), str(found.description or ""),
                                      found.category)
    return {"reference": found.reference, **asdict(suggestion)}
