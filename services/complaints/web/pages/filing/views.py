"""The enterprise's filing form (no sign-in), and the one showing of its reference and code."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError

from complaints.application.filing import IdempotencyKeyReusedError
from complaints.domain.errors import InvalidValueError
from complaints.web.api.schemas.filing import FilingSchema
from complaints.web.identity import PUBLIC_FILER
from complaints.web.pages.attachments import (
    Received,
    attachment_store,
    body_limit,
    file_size,
    filed_with,
    limits_text,
    receive_attachments,
    take_attachments,
)
from complaints.web.pages.filing.forms import (
    FilingForm,
    category_choices,
    category_descriptions,
    credit_code_message,
    submission,
)
from complaints.web.pages.languages import current_language
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME

blp = Blueprint("filing", __name__, url_prefix="/file")

FORM_PROBLEM = 422
# Kept until the confirmation page has shown it once.
_FILED = "filed_case"


@blp.url_value_preprocessor
def _allow_files(endpoint: str | None, values: dict | None) -> None:
    # Runs before the app's body check: only this form's POST may be as large as its files.
    if request.method == "POST":
        request.max_content_length = body_limit()


@blp.route("", methods=["GET", "POST"])
def file_complaint():
    form = FilingForm()
    form.category.choices = category_choices()
    problems: list[str] = []
    received: Received | None = None
    if not form.is_submitted():
        form.language.data = current_language()
        form.submission_key.data = secrets.token_urlsafe(24)
    else:
        received = receive_attachments(form.attachments, form.kept_attachments)
        valid = form.validate()
        form.attachments.errors = list(form.attachments.errors) + received.refusals
        if form.submission_key.errors:
            # Only a form not made by this page lacks its key; a fresh one files once again.
            problems.append(_("Part of the form was missing. Check it and send it again."))
            form.submission_key.data = secrets.token_urlsafe(24)
        elif valid and not received.refusals:
            filed = _file(form, received, problems)
            if filed is not None:
                return filed
    status = FORM_PROBLEM if problems or form.errors else 200
    return render_template(
        "filing/form.html", form=form, problems=problems,
        kept=received.attachments if received else [],
        today=datetime.now(CITY_TIME).date().isoformat(),
        descriptions=category_descriptions(), limits_text=limits_text(),
        limits=attachment_store().limits, file_size=file_size,
    ), status


def _file(form: FilingForm, received: Received, problems: list[str]):
    """File the case; a redirect to the confirmation, or None with the problem told.

    The form's staged files go into the store first, so a saved case never refers to a file
    the store lacks; if the case is then not saved, the sweep removes them.
    """
    if (gone := take_attachments(received)) is not None:
        form.attachments.errors = [*form.attachments.errors, gone]
        return None
    try:
        # The API takes no uploaded files' references; the form's own are added here.
        command = replace(FilingSchema().load(submission(form)),
                          attachments=tuple(received.references))
        filing = runtime().services.complaints.file_case(
            PUBLIC_FILER, command, idempotency_key=form.submission_key.data
        )
    except ValidationError as error:
        # The API's checks, which the form's own (in the reader's words) let through.
        if "credit_code" in error.messages.get("filer", {}):
            form.credit_code.errors = [credit_code_message(form.credit_code.data)]
        else:
            problems.append(_("Check what you entered and send the form again."))
        return None
    except InvalidValueError as error:
        # The application's own checks, which the form's should have caught already.
        field = str(error.details.get("field", "")).rpartition(".")[2]
        target = getattr(form, field, None) if field else None
        if target is not None and field == "credit_code":
            target.errors = [credit_code_message(target.data) or error.message]
        else:
            problems.append(_("Check what you entered and send the form again."))
        return None
    except IdempotencyKeyReusedError:
        problems.append(_("This form was sent already and filed a case. If you want to file "
                          "another complaint, check the form and send it again: it will file a "
                          "new case."))
        form.submission_key.data = secrets.token_urlsafe(24)
        return None
    filed_with(received, filing.case_id)
    session[_FILED] = {
        "reference": filing.reference,
        "access_code": filing.access_code,
        "webhook_secret": filing.webhook_secret,
        "told": bool(form.email.data or form.phone.data),
    }
    return redirect(url_for(".filed"), code=303)


@blp.route("/filed", methods=["GET"])
def filed():
    """The reference and the access code, this once; a reload says they were shown."""
    shown = session.pop(_FILED, None)
    response = current_app.make_response(render_template("filing/filed.html", filed=shown))
    response.headers["Cache-Control"] = "private, no-store"
    return response
