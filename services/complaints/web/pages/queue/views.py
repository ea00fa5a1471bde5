"""A department's queue: its open cases, nearest deadline first, with the working days left."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from complaints.application.masking import row_for_department
from complaints.domain.values import Role, Status
from complaints.readmodels.case_index import MAX_OFFSET
from complaints.readmodels.case_index.filters import QUEUE_ORDER, CaseFilter, counted
from complaints.readmodels.case_index.search_text import query_terms
from complaints.timelimits.deadlines import CLOCKS_AGAINST_SOMEONE
from complaints.web.pages.case.words import choices, vocabulary
from complaints.web.pages.deadlines import time_left
from complaints.web.pages.labels import department_name
from complaints.web.pages.queue.forms import QueueFilters
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.runtime import runtime

blp = Blueprint("queue", __name__, url_prefix="/staff/queue")
blp.context_processor(vocabulary)

PAGE_SIZE = 20
MOST_PER_PAGE = 100


@blp.route("", methods=["GET"])
@staff_required(Role.HANDLER, Role.INTAKE, Role.SUPERVISOR)
def show():
    principal = current_principal()
    filters = QueueFilters(request.args)
    routing = runtime().services.routing
    own = principal.department if principal.role is Role.HANDLER else None
    filters.department.choices = [SelectChoice("", _l("All departments"))] + [
        SelectChoice(code, department_name(code)) for code in routing.departments
    ]
    filters.status.choices = [SelectChoice("", _l("Every open case")), *choices("status")]
    if own:
        filters.department.data = own  # a handler's queue is their department's, whatever asked
    if not filters.validate():
        return render_template("queue/queue.html", filters=filters, own=own, rows=[],
                               page=None), 422
    limit = _number("limit", PAGE_SIZE, 1, MOST_PER_PAGE)
    offset = _number("offset", 0, 0, MAX_OFFSET)
    rows, found, lag = _find(filters, principal.role is Role.HANDLER, limit, offset)
    total, exact = counted(found)
    return render_template(
        "queue/queue.html",
        filters=filters,
        own=own,
        rows=rows,
        page={
            "total": total,
            "exact": exact,
            "first": offset + 1 if rows else 0,
            "last": offset + len(rows),
            "previous": _page_url(max(0, offset - limit), limit) if offset > 0 else None,
            "next": (_page_url(offset + limit, limit)
                     if (offset + limit < total or not exact) and offset + limit <= MAX_OFFSET
                     else None),
        },
        lag=lag,
    )


def _find(filters: QueueFilters, masked: bool, limit: int, offset: int):
    """One page of the case index, nearest due time first (cases without one last)."""
    index = runtime().case_index
    now = runtime().services.complaints.clock()
    status = filters.status.data or None
    text = (filters.text.data or "").strip()
    case_filter = CaseFilter(
        department=filters.department.data or None,
        statuses=(status,) if status else (),
        excluded_statuses=() if status else (Status.CLOSED.value,),
        text_terms=tuple(query_terms(text)) if text else (),
        due_before=now if filters.overdue.data else None,
        deadline_states=CLOCKS_AGAINST_SOMEONE if filters.overdue.data else (),
        masked_identities=masked,
    )
    lag = index.lag()  # read before the rows, so the lag shown is never smaller than the truth
    items, total = index.recorder.find(case_filter, QUEUE_ORDER, (limit, offset))
    rows = [time_left(item, now) for item in items]
    return [row_for_department(row) for row in rows] if masked else rows, total, lag


def _number(name: str, default: int, least: int, most: int) -> int:
    """The number asked for, within [least, most]; what is no number, the default."""
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(most, max(least, value))


def _page_url(offset: int, limit: int) -> str:
    kept = {key: value for key, value in request.args.items() if key not in ("offset", "limit")}
    if limit != PAGE_SIZE:
        kept["limit"] = str(limit)
    if offset:
        kept["offset"] = str(offset)
    return url_for(".show", **kept)
