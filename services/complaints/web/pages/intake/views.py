"""The intake desk: file a complaint for a caller, and dispatch new cases to their departments."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from wtforms.fields.choices import SelectChoice

from complaints.application.access_codes import derive_access_code
from complaints.application.case_application import VersionConflictError
from complaints.application.filing import IdempotencyKeyReusedError
from complaints.domain.errors import CaseRuleError, CaseStateError, InvalidValueError
from complaints.domain.knowledge import EntryNotFoundError
from complaints.domain.values import Role, Status
from complaints.intelligence.knowledge import FINDER
from complaints.readmodels.case_index.filters import QUEUE_ORDER, CaseFilter
from complaints.web.api.schemas.filing import FilingSchema
from complaints.web.pages.case.words import explain, vocabulary
from complaints.web.pages.deadlines import time_left
from complaints.web.pages.intake.forms import AnswerForm, CallerForm, DispatchForm, submission
from complaints.web.pages.intake.suggestions import suggestion_shown, suggestions_for
from complaints.web.pages.labels import department_name
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME

blp = Blueprint("intake", __name__, url_prefix="/staff/intake")
blp.context_processor(vocabulary)

DESK = (Role.INTAKE, Role.SUPERVISOR)
FORM_PROBLEM = 422
STALE = 409
WAITING = (Status.FILED.value, Status.ACCEPTED.value)
PAGE_SIZE = 25
# The reference just filed, between the filing and the page that shows its access code once.
# The code itself never rides in the cookie: the application derives it again for that page.
_JUST_FILED = "intake_just_filed"


@blp.route("", methods=["GET", "POST"])
@staff_required(*DESK)
def desk():
    form = CallerForm()
    form.prepare(fresh=not form.is_submitted())
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            filing = runtime().services.complaints.file_case(
                current_principal(), FilingSchema().load(submission(form)),
                idempotency_key=form.submission.data or None)
        except ValidationError:
            # The API's checks, which the form's own (in the reader's words) let through.
            problems.append(_("Check what you entered and send the form again."))
        except IdempotencyKeyReusedError:
            problems.append(_("This form was sent before with other details. Reload the page "
                              "to file a new case."))
        except InvalidValueError as error:
            problems.append(explain(error))
        else:
            session[_JUST_FILED] = filing.reference
            return redirect(url_for(".filed", reference=filing.reference), code=303)
    status = FORM_PROBLEM if form.errors or problems else 200
    return _desk(form, problems), status


@blp.route("/filed/<reference>", methods=["GET"])
@staff_required(*DESK)
def filed(reference: str):
    """The new case's reference, and its access code once: to read out to the caller."""
    complaints = runtime().services.complaints
    case = complaints.read_case(current_principal(), complaints.resolve_case_id(reference))
    code = None
    if session.get(_JUST_FILED) == case.reference:
        session.pop(_JUST_FILED)
        code = derive_access_code(complaints.secret_key, case.id)
    dispatch_form = _dispatch_form(case.category, case.version)
    dispatch_form.suggestion = suggestion_shown(str(case.subject or ""),
                                                str(case.description or ""), case.category)
    return render_template("intake/filed.html", case=case, code=code, dispatch=dispatch_form,
                           answers=_answers(case), answer_form=AnswerForm(formdata=None, data={
                               "version": str(case.version)}))


@blp.route("/answer/<reference>", methods=["POST"])
@staff_required(*DESK)
def answer(reference: str):
    """The caller answered on the spot from the knowledge base entry chosen."""
    complaints = runtime().services.complaints
    principal = current_principal()
    case = complaints.read_case(principal, complaints.resolve_case_id(reference))
    form = AnswerForm()
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else -1
        try:
            complaints.answer_at_first_contact(principal, case.id, form.entry.data,
                                               expected_version=version)
        except VersionConflictError:
            flash(_("Someone changed this case meanwhile; nothing was done."))
        except (CaseRuleError, CaseStateError, InvalidValueError, EntryNotFoundError) as error:
            flash(explain(error))
        else:
            flash(_("The caller was answered at first contact."))
    return redirect(url_for("pages.case.show", reference=case.reference), code=303)


def _answers(case) -> list:
    """Knowledge base entries in force for the call's words, while it can be answered so."""
    if case.status != Status.FILED or not case.on_behalf_of:
        return []
    complaints = runtime().services.complaints
    today = complaints.clock().astimezone(CITY_TIME).date()
    entries = complaints.knowledge.entries(current_principal(), on=today)
    return FINDER.suggest(entries, f"{case.subject}\n{case.description}", limit=3)


@blp.route("/dispatch/<reference>", methods=["POST"])
@staff_required(*DESK)
def dispatch(reference: str):
    """Accept (if need be) and assign to the chosen lead, with the proposed co-handlers."""
    complaints = runtime().services.complaints
    principal = current_principal()
    case = complaints.read_case(principal, complaints.resolve_case_id(reference))
    form = DispatchForm()
    form.lead.choices = _departments()
    problem = None
    status = FORM_PROBLEM
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else -1
        try:
            if case.status == Status.FILED:
                case = complaints.accept_case(principal, case.id, expected_version=version)
                version = case.version
            lead = form.lead.data
            complaints.assign_case(principal, case.id, lead,
                                   [code for code in case.proposed_co if code != lead],
                                   expected_version=version)
        except VersionConflictError:
            problem = _("Someone changed this case after the list was shown; nothing was done. "
                        "Open the case to see it as it is.")
            status = STALE
        except (CaseRuleError, CaseStateError, InvalidValueError) as error:
            problem = explain(error)
        else:
            flash(_("%(reference)s was dispatched to %(department)s.", reference=case.reference,
                    department=department_name(lead)))
            return redirect(url_for(".desk"), code=303)
    else:
        problem = _("Choose the lead department.")
    form = CallerForm(formdata=None)
    form.prepare(fresh=True)
    return _desk(form, [], dispatch_problem=(case.reference, problem)), status


def _desk(form: CallerForm, problems: list[str],
          dispatch_problem: tuple[str, str] | None = None) -> str:
    offset = max(0, request.args.get("offset", 0, type=int))
    index = runtime().case_index
    lag = index.lag()
    items, total = index.recorder.find(CaseFilter(statuses=WAITING), QUEUE_ORDER,
                                       (PAGE_SIZE, offset))
    now = runtime().services.complaints.clock()
    rows = [{**time_left(item, now), "dispatch": _dispatch_form(item["category"],
                                                                item["version"])}
            for item in items]
    for row, shown in zip(rows, suggestions_for(items), strict=True):
        row["dispatch"].suggestion = shown
    return render_template(
        "intake/desk.html", form=form, problems=problems, rows=rows, total=total, lag=lag,
        offset=offset, page_size=PAGE_SIZE, dispatch_problem=dispatch_problem,
        page_has_errors=bool(problems or form.errors or dispatch_problem),
    )


def _dispatch_form(category: str, version: int) -> DispatchForm:
    form = DispatchForm(formdata=None, data={
        "version": str(version), "lead": runtime().services.routing.propose(category).lead})
    form.lead.choices = _departments()
    return form


def _departments() -> list[tuple[str, str]]:
    return [SelectChoice(code, department_name(code))
            for code in runtime().services.routing.departments]
