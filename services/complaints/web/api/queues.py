"""Lists from the read side: a department's queue and the search over all cases."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE
from werkzeug.exceptions import NotFound

from complaints.application.masking import row_for_department
from complaints.application.principals import PermissionDeniedError, Principal
from complaints.domain.values import Role
from complaints.readmodels.case_index.revealing import with_credit_codes
from complaints.web.api.error_responses import documents_errors
from complaints.web.api.parsing import ApiBlueprint
from complaints.web.api.schemas.listing import CasePageSchema, QueueArgsSchema, SearchArgsSchema
from complaints.web.identity import current_principal, require_role
from complaints.web.runtime import runtime

blp = ApiBlueprint(
    "queues",
    __name__,
    url_prefix="/api/v1",
    description="Department queues and case search, from projections that say how far behind "
    "the event store they are (`lag`).",
)


@blp.route("/cases", methods=["GET"])
@blp.arguments(SearchArgsSchema, location="query", arg_name="filters", unknown=RAISE)
@blp.response(200, CasePageSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 422, 503)
def search_cases(filters):
    """Search and list cases

    Roles: intake, supervisor and auditor search every case; a handler only the cases of
    their own department (the `department` filter is forced to it), with the filer withheld on
    confidential and anonymous cases, which a handler's search by enterprise name, credit
    code, phone, email or external user id does not find. Credit code, phone, email and
    external user id are found exactly as
    written in any usual form (small letters, spaces, with or without +86), through keyed
    hashes: the index keeps none of them. A case whose personal data was erased is found by
    none of them, nor by its words, and lists without them. At most 200 per page.
    """
    principal = current_principal()
    require_role(principal, Role.INTAKE, Role.SUPERVISOR, Role.AUDITOR, Role.HANDLER)
    if principal.role is Role.HANDLER:
        filters["department"] = principal.department
    page = runtime().case_index.search(**filters,
                                       masked_identities=principal.role is Role.HANDLER)
    return _page(principal, page, filters)


@blp.route("/queues/<department>", methods=["GET"])
@blp.arguments(QueueArgsSchema, location="query", arg_name="filters", unknown=RAISE)
@blp.response(200, CasePageSchema)
@blp.needs_token
@documents_errors(blp, 401, 403, 404, 422, 503)
def department_queue(department, filters):
    """A department's queue

    Roles: a handler of that department, intake, supervisor. Nearest due time first, then
    the earliest filed; filter by status (repeatable). Handlers see nothing of the filer
    of a confidential or anonymous case (`filer_withheld`).
    """
    principal = current_principal()
    require_role(principal, Role.HANDLER, Role.INTAKE, Role.SUPERVISOR)
    if principal.role is Role.HANDLER and principal.department != department:
        raise PermissionDeniedError(
            f"a handler of {principal.department} may not read the queue of {department}",
            reach="own_department",
        )
    if department not in runtime().services.routing.departments:
        raise NotFound(f"no department {department!r}")
    page = runtime().case_index.queue(
        department,
        statuses=filters.get("status"),
        limit=filters["limit"],
        offset=filters["offset"],
    )
    return _page(principal, page, filters)


def _page(principal: Principal, page: Any, filters: dict[str, Any]) -> dict[str, Any]:
    complaints = runtime().services.complaints
    now = complaints.clock()
    rows = with_credit_codes(complaints.case_keys, page.items)
    items = [{**row, **complaints.deadlines.time_left(row, now)} for row in rows]
    if principal.role is Role.HANDLER:
        items = [row_for_department(row) for row in items]
    else:
        items = [{**row, "filer_withheld": False} for row in items]
    return {
        "items": items,
        "total": page.total,
        "total_exact": page.total_exact,
        "limit": filters["limit"],
        "offset": filters["offset"],
        "lag": page.lag,
    }
