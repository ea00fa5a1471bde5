"""A case as the reader's role may see it, with a small form for each step they may take now."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from complaints.adapters.attachments import Attachment, attachments_of
from complaints.application.affordances import available_commands
from complaints.application.case_application import VersionConflictError
from complaints.application.views import case_view, event_view
from complaints.domain.case import Case
from complaints.domain.errors import CaseRuleError, CaseStateError, InvalidValueError
from complaints.domain.values import STAFF_ROLES, Status
from complaints.intelligence.knowledge import FINDER
from complaints.web.attachment_downloads import case_attachment
from complaints.web.pages.attachments import file_size
from complaints.web.pages.case.forms import STEP_BY_COMMAND, STEP_BY_PATH, StepForm
from complaints.web.pages.case.words import explain, vocabulary
from complaints.web.pages.deadlines import deadline_shown
from complaints.web.pages.intake.suggestions import suggestion_shown
from complaints.web.pages.notices import one_entry_per_notice
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.pages.similar.views import similar_to
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME

blp = Blueprint("case", __name__, url_prefix="/staff/cases")
blp.context_processor(vocabulary)

FORM_PROBLEM = 422
STALE = 409  # the form was shown for a version of the case that is no longer the latest
# The aggregate's refusals of a step; shown beside its form. Not found and not allowed are
# not the form's fault: they get the error pages.
REFUSALS = (CaseRuleError, CaseStateError, InvalidValueError)


@blp.route("/<reference>", methods=["GET"])
@staff_required(*STAFF_ROLES)
def show(reference: str):
    return _page(_read(reference))


@blp.route("/<reference>/<action>", methods=["POST"])
@staff_required(*STAFF_ROLES)
def act(reference: str, action: str):
    step = STEP_BY_PATH.get(action)
    if step is None:
        abort(404)
    case = _read(reference)
    form = step.form(prefix=step.path)
    _prepare(form, case)
    problems: list[str] = []
    status = FORM_PROBLEM
    if form.validate():
        try:
            runtime().services.complaints.give(
                step.command, current_principal(), case.id, expected_version=_version(form),
                **form.arguments())
        except VersionConflictError:
            case = _read(reference)
            form.version.data = str(case.version)  # sent again, it applies to the case as shown
            problems.append(_("Someone changed this case after you opened it, so nothing was "
                              "done. The page now shows the case as it is: check it, then send "
                              "the form again if it still applies."))
            status = STALE
        except REFUSALS as error:
            _place(error, form, problems)
        else:
            flash(step.done)
            return redirect(url_for(".show", reference=case.reference), code=303)
    return _page(case, failed=(step.command, form, problems)), status


@blp.route("/<reference>/attachments/<sha256>", methods=["GET"])
@staff_required(*STAFF_ROLES)
def attachment(reference: str, sha256: str):
    """A document the filer attached, to whoever may read the case: always a download."""
    return case_attachment(_read(reference), sha256)


def _attachments(case: Case) -> list[Attachment]:
    return attachments_of(case.attachments)


def _read(reference: str) -> Case:
    """The case, if the reader may read it: else the 404 or 403 page."""
    complaints = runtime().services.complaints
    return complaints.read_case(current_principal(), complaints.resolve_case_id(reference))


def _version(form: StepForm) -> int:
    raw = (form.version.data or "").strip()
    # A form without a version cannot prove it saw the latest case: it is taken as stale.
    return int(raw) if raw.isdigit() else -1


def _prepare(form: StepForm, case: Case) -> None:
    services = runtime().services
    form.prepare(case, list(services.routing.departments), services.complaints.deadlines
                 .max_extension)


def _place(error: Exception, form: StepForm, problems: list[str]) -> None:
    """A refusal beside the field it is about, when it names one of the form's; else atop."""
    field = getattr(form, str(getattr(error, "details", {}).get("field", "")), None)
    if field is not None and field.name != "version" and hasattr(field, "errors"):
        field.errors = [*field.errors, explain(error)]
    else:
        problems.append(explain(error))


def _suggestion(case: Case, offered: list[str]) -> dict | None:
    """Dispatch suggestions beside the accept and assign steps, for whoever is offered them."""
    if not {"accept", "assign"} & set(offered):
        return None
    return suggestion_shown(str(case.subject or ""), str(case.description or ""), case.category)


def _page(case: Case, failed: tuple[str, StepForm, list[str]] | None = None) -> str:
    principal = current_principal()
    complaints = runtime().services.complaints
    # A step with a form here; answering at first contact is offered where the call is filed.
    offered = [command for command in available_commands(principal, case)
               if command in STEP_BY_COMMAND]
    steps = []
    for command in offered:
        step = STEP_BY_COMMAND[command]
        if failed and failed[0] == command:
            form, problems = failed[1], failed[2]
        else:
            form = step.form(prefix=step.path, formdata=None, data=step.form.defaults(case))
            _prepare(form, case)
            problems = []
        steps.append({"step": step, "form": form, "problems": problems,
                      "open": bool(problems or form.errors)})
    view = case_view(case, principal)
    events = complaints.case_events(case.id)
    return render_template(
        "case/case.html",
        case=view,
        deadline=deadline_shown(view["deadline"]),
        steps=steps,
        # A refused step whose form the case no longer offers: said at the top of the steps.
        lost_problems=failed[2] if failed and failed[0] not in offered else [],
        events=one_entry_per_notice(
            [shown for event in events if (shown := event_view(event, case, principal))],
            view["messages"]),
        attachments=_attachments(case),
        file_size=file_size,
        suggestion=_suggestion(case, offered),
        page_has_errors=bool(failed),
        similar=(similar := similar_to(case, principal)),
        answers=_answers(case, principal, similar) if "respond" in offered else None,
    )


# Shown to whoever may reply: the entries and earlier replies that may answer this case.
ANSWERS_SHOWN = 3


def _answers(case: Case, principal, similar) -> dict:
    """Knowledge base entries in force nearest the case's words, and the replies given to the
    most similar cases already replied to (that the reader may see)."""
    complaints = runtime().services.complaints
    today = complaints.clock().astimezone(CITY_TIME).date()
    text = f"{case.subject or ''}\n{case.description or ''}"
    entries = FINDER.suggest(complaints.knowledge.entries(principal, on=today), text,
                             ANSWERS_SHOWN)
    replies = []
    for item in (similar.items if similar is not None else []):
        if item.status not in (Status.RESPONDED, Status.CLOSED):
            continue
        earlier = complaints.load_case(complaints.resolve_case_id(item.reference))
        if earlier.reply and earlier.reply.get("reply"):
            replies.append({"reference": item.reference, "score": item.score,
                            "outcome": earlier.reply["outcome"], "reply": earlier.reply["reply"]})
        if len(replies) == ANSWERS_SHOWN:
            break
    return {"entries": entries, "replies": replies}

