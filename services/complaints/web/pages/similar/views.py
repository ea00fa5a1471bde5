"""Similar cases for the staff pages: a case's, for its page, and a typed call's, fetched by
the intake desk's script as the call is typed (static/similar.js) and shown in a live region."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from complaints.application.principals import Principal
from complaints.domain.case import Case
from complaints.domain.values import Role
from complaints.intelligence.similar import Found, Reach
from complaints.web.pages.case.words import vocabulary
from complaints.web.pages.sessions import staff_required
from complaints.web.runtime import similar_cases

blp = Blueprint("similar", __name__, url_prefix="/staff/similar")
blp.context_processor(vocabulary)

ON_A_CASE_PAGE = 5
WHILE_TYPING = 5
# Shorter than this, a call's words find only noise.
TYPED_AT_LEAST = 4
TYPED_AT_MOST = 10_000


def similar_to(case: Case, principal: Principal) -> Found | None:
    """The cases like `case` that `principal` may see; None for an erased case (no words)."""
    if case.personal_data_erased is not None:
        return None
    reach = Reach(department=principal.department if principal.role is Role.HANDLER else None)
    return similar_cases().like_case(str(case.id), str(case.subject or ""),
                                     str(case.description or ""), reach, ON_A_CASE_PAGE)


@blp.route("", methods=["POST"])
@staff_required(Role.INTAKE, Role.SUPERVISOR)
def typed():
    """Open cases like the subject and description typed so far, as a fragment of the page.

    A POST with the desk form's CSRF token, never a GET: what a caller says stays out of
    addresses and access logs."""
    text = f"{request.form.get('subject', '')}\n{request.form.get('description', '')}".strip()
    found = None
    if len(text) >= TYPED_AT_LEAST:
        found = similar_cases().like_text(text[:TYPED_AT_MOST], Reach(open_only=True),
                                          WHILE_TYPING)
    return render_template("similar/typed.html", found=found)
