"""The filer's own case: signed in with its reference and access code, followed step by step.

What the filer sees of the case and its history is what the application's views give the
filer's principal: internal notes and the names of staff never reach this page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from complaints.adapters.attachments import Attachment, AttachmentStore, attachments_of
from complaints.application.affordances import available_commands
from complaints.application.audit import case_history
from complaints.application.principals import AuthenticationError
from complaints.application.service import REFERENCE_PATTERN
from complaints.application.views import case_view
from complaints.domain.case import Case, case_id_for
from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.values import Role
from complaints.web.pages.filing import (
    attachment_store,
    body_limit,
    file_size,
    limits_text,
    receive_attachments,
)
from complaints.web.pages.sessions import current_principal, sign_in, sign_out
from complaints.web.runtime import runtime

blp = Blueprint("tracking", __name__, url_prefix="/track")

FORM_PROBLEM = 422
# 1 非常不满意 … 5 非常满意, offered from the best down, as the filer's messages list them.
RATINGS = [
    SelectChoice(5, _l("Very satisfied")),
    SelectChoice(4, _l("Satisfied")),
    SelectChoice(3, _l("Basically satisfied")),
    SelectChoice(2, _l("Dissatisfied")),
    SelectChoice(1, _l("Very dissatisfied")),
]
# The steps of a case the filer is told of (notify's policy), and their own.
TIMELINE = (
    "Filed", "Accepted", "Referred", "Assigned", "Transferred", "InformationRequested",
    "InformationSupplied", "ProgressNoted", "Responded", "Rated", "ReviewConcluded",
    "Rectified", "FollowedUp", "Reopened", "Closed", "DeadlineExtended", "DeadlineRecomputed",
)  # fmt: skip


@blp.url_value_preprocessor
def _allow_files(endpoint: str | None, values: dict | None) -> None:
    # Answering a request for information may carry documents, as a filing may.
    if request.method == "POST" and endpoint == "pages.tracking.supply_information":
        request.max_content_length = body_limit()


class TrackingSignInForm(FlaskForm):
    reference = StringField(
        _l("Reference"),
        filters=[lambda value: re.sub(r"\s+", "", value).upper() if value else value],
        validators=[InputRequired(_l("Enter the reference")), Length(max=40)],
    )
    access_code = StringField(
        _l("Access code"),
        validators=[InputRequired(_l("Enter the access code")), Length(max=40)],
    )


class InformationForm(FlaskForm):
    content = TextAreaField(
        _l("Your answer"),
        validators=[InputRequired(_l("Write your answer")), Length(max=10_000)],
    )
    attachments = MultipleFileField(_l("Documents (optional)"))
    kept_attachments = HiddenField()


class RatingForm(FlaskForm):
    score = RadioField(
        _l("How satisfied are you with the reply?"),
        choices=RATINGS,
        coerce=int,
        validators=[InputRequired(_l("Choose how satisfied you are with the reply"))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2_000)])


class ReopeningForm(FlaskForm):
    reason = TextAreaField(
        _l("Why should your case be handled again?"),
        validators=[InputRequired(_l("Say why the case should be handled again")),
                    Length(max=2_000)],
    )


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
    kept, refusals = receive_attachments(form.attachments, form.kept_attachments)
    valid = form.validate()
    form.attachments.errors = list(form.attachments.errors) + refusals
    if valid and not refusals:
        problem = _attempt(lambda: runtime().services.complaints.supply_information(
            current_principal(), case_id, form.content.data.strip(),
            [each.reference for each in kept]))
        if problem is None:
            flash(_("Thank you. Your answer has been added to your case."))
            return redirect(url_for(".case", reference=reference), code=303)
        form.form_errors.append(problem)
    return _case_page(case_id, information=form, kept=kept)


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


RULES = {
    "one_rating_per_round": _l("This reply has been rated already."),
    "review_pending": _l("Your rating is being checked again. You can ask to reopen the case "
                         "once that check is concluded."),
    "rectification_required": _l("The department is putting things right after your "
                                 "rating. You can ask to reopen the case after that."),
    "return_visit_required": _l("We will contact you about what the department put right. "
                                "You can ask to reopen the case after that."),
}


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
        others=[ref for ref in case.attachments if not ref.startswith("sha256:")],
        offered=offered,
        information=information,
        rating=forms.get("rating") or RatingForm(prefix="rating"),
        reopening=forms.get("reopening") or ReopeningForm(prefix="reopening"),
        kept=kept or [],
        limits=attachment_store().limits,
        limits_text=limits_text(),
        file_size=file_size,
        page_has_errors=failed,
        review_note=_review_note(case),
        status_key=_status_key(case),
        words=WORDS,
        join_list=join_list,
        attachments_in=attachments_of,
    )
    return body, FORM_PROBLEM if failed else 200


# What the page calls things, in the filer's words.
WORDS = {
    "status": {
        "filed": _l("Received: waiting to be accepted"),
        "accepted": _l("Accepted: being sent to the department responsible"),
        "assigned": _l("With the department responsible"),
        "awaiting_information": _l("Waiting for information from you"),
        "responded": _l("Replied: please read the reply and rate it"),
        "responded_rated": _l("Replied, and you have rated the reply"),
        "referred": _l("Referred: this service cannot handle it"),
        "closed": _l("Closed"),
    },
    "stage": {
        "accept": _l("acceptance and dispatch"),
        "reply": _l("the department's reply"),
        "rectify": _l("putting things right"),
        "return_visit": _l("our follow-up with you"),
    },
    # The step a due time is for, as the status panel names it.
    "next_step": {
        "accept": _l("Acceptance and dispatch"),
        "reply": _l("The department's reply"),
        "rectify": _l("Putting things right"),
        "return_visit": _l("Our follow-up with you"),
    },
    "outcome": {
        "resolved": _l("Resolved"),
        "partly_resolved": _l("Partly resolved"),
        "explained": _l("Explained: no fault found"),
        "not_substantiated": _l("Not substantiated"),
    },
    "channel": {
        "email": _l("E-mail"),
        "sms": _l("Text message (SMS)"),
        "webhook": _l("Webhook"),
        "inbox": _l("This page"),
    },
    "contact": {
        "phone": _l("by phone"),
        "visit": _l("in person"),
        "sms": _l("by text message"),
        "email": _l("by e-mail"),
    },
    # Which office acted; the filer never learns which person.
    "actor": {
        "filer": _l("You"),
        "intake": _l("Intake desk"),
        "handler": _l("The department"),
        "supervisor": _l("Business Environment Bureau"),
        "system": _l("Huiyin, automatically"),
    },
    "rating": {choice.value: choice.label for choice in RATINGS},
}


def _status_key(case: Case) -> str:
    if case.status == "responded" and case.review.score is not None:
        return "responded_rated"
    return case.status


def join_list(codes: list[str], name) -> str:
    """Names in the reader's way of listing them: 海关、商务局; Customs and Commerce Bureau."""
    return format_list([name(code) for code in codes if code], locale=get_locale())


def _review_note(case: Case) -> str | None:
    """Where the loop a bad rating started stands, in the filer's words."""
    return {
        "recheck": _("You were not satisfied with the reply. The Business Environment Bureau "
                     "is checking how your case was handled, and will tell you what it "
                     "concludes."),
        "rectification": _("The check agreed with you: the department must put things right. "
                           "We will tell you what it did."),
        "return_visit": _("The department has reported what it put right. We will contact "
                          "you to ask whether the matter is now settled."),
    }.get(case.review.stage)


# -- documents ----------------------------------------------------------------------------


@blp.route("/attachments/<sha256>", methods=["GET"])
def attachment(sha256: str):
    """One of the case's documents, to its own filer only; everyone else gets a 404."""
    principal = current_principal()
    if principal is None or principal.role is not Role.FILER or principal.case_id is None:
        abort(404)
    case = runtime().services.complaints.read_case(principal, principal.case_id)
    found = next((each for each in attachments_of(case.attachments)
                  if each.sha256 == sha256), None)
    if found is None:
        abort(404)
    return attachment_download(attachment_store(), found)


def attachment_download(store: AttachmentStore, found: Attachment) -> Response:
    """A stored document as a download under its own name; staff pages may send theirs so.

    Always a download, never shown in the page's origin, and sandboxed should a browser try.
    """
    path = store.path_of(found.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=found.media_type, as_attachment=True,
                         download_name=found.name, conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

