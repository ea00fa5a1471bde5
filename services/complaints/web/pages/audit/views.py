"""The auditor's pages: find a case, read its every event, see it as it stood, verify, export."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from complaints.application import audit
from complaints.application.case_application import REFERENCE_PATTERN
from complaints.application.history_export import export_case
from complaints.application.principals import Principal
from complaints.application.service import Complaints
from complaints.domain.case import case_id_for
from complaints.domain.errors import DomainError
from complaints.domain.values import Role
from complaints.web.downloads import history_file
from complaints.web.pages.audit.forms import FindCaseForm
from complaints.web.pages.audit.presenter import CaseAudit
from complaints.web.pages.audit.words import vocabulary
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.runtime import runtime

# Named for the feature, not this module, so that log filters keep finding the audit pages.
log = logging.getLogger(__package__)
blp = Blueprint("audit", __name__, url_prefix="/staff/audit")
blp.context_processor(vocabulary)

RECENT_CASES = 10
FORM_PROBLEM = 422


@blp.route("", methods=["GET"])
@staff_required(Role.AUDITOR, Role.SUPERVISOR)
def find():
    form = FindCaseForm(request.args)
    problems: list[str] = []
    if "reference" in request.args and form.validate():
        reference = form.reference.data.strip().upper()
        if not REFERENCE_PATTERN.match(reference):
            problems.append(_("A reference looks like HY-2026-000123."))
        elif not runtime().services.complaints.recorder.select_events(
            case_id_for(reference), limit=1
        ):
            problems.append(_("No case has the reference %(ref)s.", ref=reference))
        else:
            return redirect(url_for(".case", reference=reference), code=303)
    recent = runtime().case_index.search(limit=RECENT_CASES)
    status = FORM_PROBLEM if problems or form.errors else 200
    return render_template(
        "audit/find.html", form=form, problems=problems, recent=recent.items,
        behind=recent.lag.behind,
    ), status


@blp.route("/<reference>", methods=["GET"])
@staff_required(Role.AUDITOR, Role.SUPERVISOR)
def case(reference: str):
    principal = current_principal()
    app = runtime().services.complaints
    case_id = app.resolve_case_id(reference)
    verification = audit.verify_case(app, case_id)
    at = _position(request.args.get("at"), verification.events_checked)
    history, then = _replay(app, principal, case_id, at, verification)
    return render_template("audit/case.html", audit=CaseAudit.of(
        reference, verification, history, then, at, may_export=principal.role is Role.AUDITOR,
    ))


@blp.route("/<reference>/export", methods=["GET"])
@staff_required(Role.AUDITOR)
def export(reference: str):
    app = runtime().services.complaints
    document = export_case(app, current_principal(), app.resolve_case_id(reference))
    log.info("case history exported", extra={"case_id": document["case_id"],
                                               "actor": current_principal().actor_id})
    return history_file(document)


def _position(raw: str | None, latest: int) -> int:
    """The `at` of the address: a position from 1 to the latest; the latest when not given."""
    if raw is None or raw == "":
        return latest
    if not (raw.isascii() and raw.isdigit()):
        abort(400)
    position = int(raw)
    if not 1 <= position <= latest:
        abort(404)
    return position


def _replay(
    app: Complaints, principal: Principal, case_id: UUID, at: int,
    verification: audit.Verification,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The case's history, and its history as of event `at`; neither when a broken chain is
    why the case cannot be replayed."""
    try:
        history = audit.case_history(app, principal, case_id)
        then = history if at == verification.events_checked else audit.case_history(
            app, principal, case_id, as_of_position=at
        )
    except DomainError:
        raise
    except Exception:
        if verification.intact:
            raise
        # The broken chain is why: show what verification found, without the replay.
        log.warning("a case with a broken chain cannot be replayed", exc_info=True,
                    extra={"case_id": str(case_id)})
        return None, None
    return history, then
