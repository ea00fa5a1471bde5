"""The filer's own case: signed in with its reference and access code, followed step by step.

What the filer sees of the case and its history is what the application's views give the
filer's principal: internal notes and the names of staff never reach this page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from complaints.adapters.attachments import Attachment, attachments_of
from complaints.application.affordances import available_commands
from complaints.application.audit import case_history
from complaints.application.case_application import REFERENCE_PATTERN
from complaints.application.filer_copy import filer_copy
from complaints.application.principals import AuthenticationError
from complaints.application.views import case_view
from complaints.domain.case import case_id_for
from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.values import Role
from complaints.web.attachment_downloads import case_attachment
from complaints.web.pages.attachments import (
    attachment_store,
    body_limit,
    file_size,
    filed_with,
    limits_text,
    receive_attachments,
    take_attachments,
)
from complaints.web.pages.sessions import current_principal, sign_in, sign_out
from complaints.web.pages.tracking.forms import (
    InformationForm,
    RatingForm,
    ReopeningForm,
    TrackingSignInForm,
)
from complaints.web.pages.tracking.words import (
    ERASURE_BASES,
    RULES,
    TIMELINE,
    review_note,
    status_key,
    vocabulary,
)
from complaints.web.runtime import runtime

blp = Blueprint("tracking", __name__, url_prefix="/track")
blp.context_processor(vocabulary)

FORM_PROBLEM = 422


@blp.url_value_preprocessor
def _allow_files(endpoint: str | None, values: dict | None) -> None:
    # Answering a request for information may carry documents, as a filing may.
    if request.method == "POST" and endpoint == "pages.tracking.supply_information":
        request.max_content_length = body_limit()


# -- signing in ---------------------------------------------------------------------------


@blp.route("", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page():
    form = TrackingSignInForm()
    problems: list[str] = []
    if not form.is_submitted() and (given := request.args.get("reference")):
        form.reference.data = given.strip().upper()[:40]
    if form.validate_on_submit():
        try:
            principal = runtime().services.complaints.authenticate_filer(
                form.reference.data, form.access_code.data.strip()
            )
        except AuthenticationError:
            # One message whichever was wrong: nobody learns which references exist.
            problems.append(_("The reference or the access code is not right. Check both "
                              "and try again."))
        else:
            sign_in(principal)
            return redirect(url_for(".case", reference=form.reference.data), code=303)
    form.access_code.data = ""
    status = FORM_PROBLEM if problems or form.errors else 200
    return render_template("tracking/sign_in.html", form=form, problems=problems), status


@blp.route("/sign-out", methods=["POST"])
def sign_out_page():
    sign_out()
    flash(_("You have left your case. Sign in again with its reference and access code."))
    return redirect(url_for(".sign_in"), code=303)


def _own_case_id(reference: str) -> UUID | None:
    """The case of `reference` if the reader is signed in as its filer; None otherwise."""
    principal = current_principal()
    if not REFERENCE_PATTERN.match(reference) or principal is None:
        return None
    case_id = case_id_for(reference)
    if principal.role is not Role.FILER or principal.case_id != case_id:
        return None
    return case_id


# -- the case -----------------------------------------------------------------------------


@blp.route("/<reference>", methods=["GET"])
def case(reference: str):
    case_id = _own_case_id(reference)
    if case_id is None:
        # The messages' links land here: sign in first, then come back to this case.
        return redirect(url_for(".sign_in", reference=reference))
    return _case_page(case_id)


@blp.route("/<reference>/information", methods=["POST"])
def supply_information(reference: str):
    case_id = _own_case_id(reference)
    if case_id is None:
        abort(403)
    form = InformationForm(prefix="information")
    received = receive_attachments(form.attachments, form.kept_attachments)
    valid = form.validate()
    form.attachments.errors = list(form.attachments.errors) + received.refusals
    if valid and not received.refusals:
        if (gone := take_attachments(received)) is not None:
            form.attachments.errors.append(gone)
            return _case_page(case_id, information=form, kept=received.attachments)
        problem = _attempt(lambda: runtime().services.complaints.supply_information(
            current_principal(), case_id, form.content.data.strip(), received.references))
        if problem is None:
            filed_with(received, case_id)
            flash(_("Thank you. Your answer has been added to your case."))
            return redirect(url_for(".case", reference=reference), code=303)
        form.form_errors.append(problem)
    return _case_page(case_id, information=form, kept=received.attachments)


@blp.route("/<reference>/rating", methods=["POST"])
def rate(reference: str):
    return _step(
        reference, RatingForm(prefix="rating"), "rating", _("Thank you for rating the reply."),
        lambda case_id, form: runtime().services.complaints.rate_case(
            current_principal(), case_id, form.score.data, (form.comment.data or "").strip()),
    )


@blp.route("/<reference>/reopening", methods=["POST"])
def reopen(reference: str):
    return _step(
        reference, ReopeningForm(prefix="reopening"), "reopening",
        _("Your case has been reopened and goes back to be handled again."),
        lambda case_id, form: runtime().services.complaints.reopen_case(
            current_principal(), case_id, form.reason.data.strip()),
    )


def _step(reference: str, form: Any, slot: str, thanks: str, act: Callable[[UUID, Any], Any]):
    """One of the filer's steps on their own case: done and back to the case, or the case page
    again with the form and the reason it was refused."""
    case_id = _own_case_id(reference)
    if case_id is None:
        abort(403)
    if form.validate():
        problem = _attempt(lambda: act(case_id, form))
        if problem is None:
            flash(thanks)
            return redirect(url_for(".case", reference=reference), code=303)
        form.form_errors.append(problem)
    return _case_page(case_id, **{slot: form})


def _attempt(command) -> str | None:
    """Run a command; the domain's refusal in the reader's words, or None when it was done."""
    try:
        command()
    except CaseRuleError as error:
        return RULES.get(error.rule, _("This cannot be done at this stage of your case."))
    except CaseStateError:
        return _("This cannot be done at this stage of your case. The page now shows where "
                 "your case stands.")
    return None


def _case_page(case_id: UUID, kept: list[Attachment] | None = None,
               **forms: FlaskForm) -> tuple[str, int]:
    principal = current_principal()
    app = runtime().services.complaints
    case = app.read_case(principal, case_id)
    history = case_history(app, principal, case.id)
    offered = set(available_commands(principal, case))
    failed = any(form.errors for form in forms.values())
    information = forms.get("information") or InformationForm(prefix="information")
    body = render_template(
        "tracking/case.html",
        case=case_view(case, principal),
        events=[event for event in history["events"] if event["type"] in TIMELINE],
        attachments=attachments_of(case.attachments),
        # An erased reference reads as nothing: there is no document left to name.
        others=[ref for ref in case.attachments if ref and not ref.startswith("sha256:")],
        offered=offered,
        information=information,
        rating=forms.get("rating") or RatingForm(prefix="rating"),
        reopening=forms.get("reopening") or ReopeningForm(prefix="reopening"),
        kept=kept or [],
        limits=attachment_store().limits,
        limits_text=limits_text(),
        file_size=file_size,
        page_has_errors=failed,
        review_note=review_note(case),
        status_key=status_key(case),
        attachments_in=attachments_of,
    )
    return body, FORM_PROBLEM if failed else 200


# -- the filer's own copy -----------------------------------------------------------------


@blp.route("/<reference>/personal-data", methods=["GET"])
def personal_data(reference: str):
    """Everything held about the filer for this case, as a page to read and print."""
    copy = _own_copy(reference)
    response = make_response(render_template(
        "tracking/personal_data.html", copy=copy, file_size=file_size,
        basis_words=ERASURE_BASES))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/<reference>/personal-data.json", methods=["GET"])
def personal_data_file(reference: str):
    """The same copy as a file, as the API gives it."""
    copy = _own_copy(reference)
    return Response(
        json.dumps(copy, ensure_ascii=False, indent=2), mimetype="application/json",
        headers={"Content-Disposition":
                 f'attachment; filename="{copy["case"]["reference"]}-personal-data.json"',
                 "Cache-Control": "private, no-store"})


def _own_copy(reference: str) -> dict[str, Any]:
    case_id = _own_case_id(reference)
    if case_id is None:
        abort(403)
    return filer_copy(runtime().services.complaints, current_principal(), case_id,
                      datetime.now(UTC))


# -- documents ----------------------------------------------------------------------------


@blp.route("/attachments/<sha256>", methods=["GET"])
def attachment(sha256: str):
    """One of the case's documents, to its own filer only; everyone else gets a 404."""
    principal = current_principal()
    if principal is None or principal.role is not Role.FILER or principal.case_id is None:
        abort(404)
    case = runtime().services.complaints.read_case(principal, principal.case_id)
    return case_attachment(case, sha256)
