"""The enterprise's filing form (no sign-in), and the one showing of its reference and code."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError
from marshmallow import validate as checks
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, StopValidation

from complaints.adapters.attachments import (
    Attachment,
    AttachmentRefusedError,
    AttachmentStore,
    attachments_of,
)
from complaints.application.deadlines import CITY_TIME
from complaints.application.service import IdempotencyKeyReusedError
from complaints.domain.credit_code import LENGTH, VALUES, credit_code_problem
from complaints.domain.errors import InvalidValueError
from complaints.domain.values import Channel
from complaints.web.api.schemas.fields import PHONE
from complaints.web.api.schemas.filing import https_unless_loopback
from complaints.web.identity import PUBLIC_FILER
from complaints.web.pages.languages import LANGUAGES, current_language
from complaints.web.runtime import runtime

blp = Blueprint("filing", __name__, url_prefix="/file")

FORM_PROBLEM = 422
# Kept until the confirmation page has shown it once.
_FILED = "filed_case"
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_KEPT_SALT = "huiyin/kept-attachments/v1"
MEGABYTE = 1024 * 1024
NOTIFY_CHOICES = [SelectChoice("email", _l("E-mail")),
                  SelectChoice("sms", _l("Text message (SMS)")),
                  SelectChoice("webhook", _l("Webhook (for software)"))]


def body_limit() -> int:
    """A form with files may carry all the files allowed, besides the usual request limit."""
    limits = attachment_store().limits
    return current_app.config["MAX_CONTENT_LENGTH"] + limits.total_bytes


@blp.url_value_preprocessor
def _allow_files(endpoint: str | None, values: dict | None) -> None:
    # Runs before the app's body check: only this form's POST may be as large as its files.
    if request.method == "POST":
        request.max_content_length = body_limit()


class FilingForm(FlaskForm):
    category = RadioField(
        _l("What is the complaint about?"),
        validators=[InputRequired(_l("Choose what the complaint is about"))],
    )
    enterprise_name = StringField(
        _l("Name of the enterprise"),
        validators=[InputRequired(_l("Enter the name of the enterprise")), Length(max=200)],
    )
    credit_code = StringField(
        _l("Unified social credit code (optional)"),
        filters=[lambda value: re.sub(r"\s+", "", value).upper() if value else value],
    )
    contact_person = StringField(_l("Contact person (optional)"),
                                 validators=[Optional(), Length(max=100)])
    # Phone, e-mail and webhook are checked by their methods below, which see the other fields.
    phone = StringField(_l("Phone"), validators=[Length(max=30)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    language = SelectField(_l("Language of our messages to you"),
                           choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])
    notify_by = SelectMultipleField(_l("How should we tell you of each step?"),
                                    choices=NOTIFY_CHOICES, validate_choice=True)
    webhook_url = StringField(_l("Webhook address (HTTPS)"), validators=[Length(max=2000)])
    subject = StringField(
        _l("Subject"),
        validators=[InputRequired(_l("Say in a few words what the complaint is about")),
                    Length(max=200)],
    )
    description = TextAreaField(
        _l("What happened"),
        validators=[InputRequired(_l("Describe what happened")), Length(max=10_000)],
    )
    happened_on = DateField(_l("When did it happen? (optional)"), validators=[Optional()])
    happened_at_place = StringField(_l("Where did it happen? (optional)"),
                                    validators=[Optional(), Length(max=200)])
    attachments = MultipleFileField(_l("Documents (optional)"))
    kept_attachments = HiddenField()
    confidential = BooleanField(_l("Confidential: keep our details from the department"))
    anonymous = BooleanField(_l("Anonymous: do not tell the department who we are"))
    submission_key = HiddenField(validators=[InputRequired(), Regexp(_KEY)])

    def validate_credit_code(self, field: StringField) -> None:
        if field.data and (message := credit_code_message(field.data)):
            raise StopValidation(message)

    def validate_email(self, field: StringField) -> None:
        if field.data:
            try:
                checks.Email()(field.data.strip())
            except ValidationError:
                raise StopValidation(
                    _("Enter an e-mail address such as name@example.com")
                ) from None
        elif "email" in (self.notify_by.data or []):
            raise StopValidation(_("Enter the e-mail address to write to"))

    def validate_phone(self, field: StringField) -> None:
        if field.data:
            if not PHONE.match(field.data.strip()):
                raise StopValidation(
                    _("Enter a phone number in digits, such as +86 456 823 1234")
                )
        elif not (self.email.data or "").strip():
            raise StopValidation(
                _("Give a phone number or an e-mail address, so that we can reach you")
            )
        elif "sms" in (self.notify_by.data or []):
            raise StopValidation(_("Enter the phone number for text messages"))

    def validate_webhook_url(self, field: StringField) -> None:
        if not field.data:
            if "webhook" in (self.notify_by.data or []):
                raise StopValidation(_("Enter the webhook's address"))
            return
        try:
            checks.URL(schemes={"https", "http"})(field.data)
            https_unless_loopback(field.data)
        except ValidationError:
            raise StopValidation(
                _("Enter an address that begins with https://, such as "
                  "https://example.com/huiyin")
            ) from None

    def validate_happened_on(self, field: DateField) -> None:
        if field.data is None:
            return
        today = datetime.now(CITY_TIME).date()
        if field.data > today:
            raise StopValidation(_("The date cannot be in the future"))
        if field.data < date(1970, 1, 1):
            raise StopValidation(_("Check the year of the date"))


def credit_code_message(code: str) -> str | None:
    """Why a credit code is refused, in the reader's words; None when the server accepts it."""
    if credit_code_problem(code) is None:
        return None
    if len(code) != LENGTH:
        return _("A unified social credit code has 18 characters; this one has %(count)s.",
                 count=len(code))
    wrong = "".join(sorted({character for character in code if character not in VALUES}))
    if wrong:
        return _("A credit code has digits and capital letters except I, O, Z, S and V; "
                 "this one has %(characters)s.", characters=wrong)
    if not code[2:8].isdigit():
        return _("Characters 3 to 8 of a credit code are digits (the area's code).")
    return _("The last character does not fit the others: check the code for a typing mistake.")


def category_choices() -> list[SelectChoice]:
    language = current_language()
    return [
        SelectChoice(code, entry["labels"].get(language) or entry["labels"]["zh"])
        for code, entry in runtime().services.routing.categories.items()
    ]


def category_descriptions() -> dict[str, str]:
    language = current_language()
    return {
        code: entry.get("descriptions", {}).get(language, "")
        for code, entry in runtime().services.routing.categories.items()
    }


# -- attachments, shared with the tracking page's form ---------------------------------------


def attachment_store() -> AttachmentStore:
    return AttachmentStore(runtime().services.settings.data_dir / "attachments")


def _kept_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_KEPT_SALT)


def sign_kept(attachments: list[Attachment]) -> str:
    """The files already received, for a form sent back: signed, so none can be made up."""
    return _kept_serializer().dumps([each.reference for each in attachments])


def kept_from(signed: str | None) -> list[Attachment]:
    if not signed:
        return []
    try:
        references = _kept_serializer().loads(signed)
    except BadSignature:
        return []
    return attachments_of(str(each) for each in references if isinstance(each, str))


def receive_attachments(
    files: MultipleFileField, kept: HiddenField
) -> tuple[list[Attachment], list[str]]:
    """Keep the new files beside those received before: (all kept, refusals in words).

    Files are kept even when the rest of the form has problems, so the reader need not
    choose them again; a file the reader ticked to remove is dropped from the list.
    """
    store = attachment_store()
    removed = set(request.form.getlist("remove_attachment"))
    already = [each for each in kept_from(kept.data) if each.sha256 not in removed]
    uploads = [(upload.stream, upload.filename or "") for upload in files.data or []
               if upload and upload.filename]
    received, refusals = store.keep_all(uploads, already)
    kept.data = sign_kept(received)
    return received, [refusal_message(refusal, store) for refusal in refusals]


def refusal_message(refusal: AttachmentRefusedError, store: AttachmentStore) -> str:
    limits = store.limits
    name = refusal.name
    messages = {
        "too_many": _("%(name)s was not attached: at most %(count)d files can be attached.",
                      name=name, count=limits.files),
        "empty": _("%(name)s is empty.", name=name),
        "too_large": _("%(name)s is larger than %(size)d MB.", name=name,
                       size=limits.file_bytes // MEGABYTE),
        "total_too_large": _("%(name)s was not attached: all the files together may be at "
                             "most %(size)d MB.", name=name,
                             size=limits.total_bytes // MEGABYTE),
        "not_allowed": _("%(name)s is not a PDF, JPEG, PNG, Word, Excel or PowerPoint file.",
                         name=name),
        "name_mismatch": _("%(name)s does not contain what its name's ending says. Save it "
                           "again as PDF, JPEG, PNG, Word, Excel or PowerPoint.", name=name),
    }
    return messages[refusal.reason]


def file_size(size: int) -> str:
    """A file's size in the reader's numbers: 850 KB, 1.2 MB."""
    if size < MEGABYTE:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / MEGABYTE, 1)))


def limits_text() -> str:
    limits = attachment_store().limits
    return _("Up to %(count)d files: PDF, JPEG, PNG, Word, Excel or PowerPoint. Each may be up "
             "to %(each)d MB, and all together up to %(total)d MB.", count=limits.files,
             each=limits.file_bytes // MEGABYTE, total=limits.total_bytes // MEGABYTE)


# -- the pages ----------------------------------------------------------------------------


@blp.route("", methods=["GET", "POST"])
def file_complaint():
    form = FilingForm()
    form.category.choices = category_choices()
    problems: list[str] = []
    kept: list[Attachment] = []
    if not form.is_submitted():
        form.language.data = current_language()
        form.submission_key.data = secrets.token_urlsafe(24)
    else:
        kept, refusals = receive_attachments(form.attachments, form.kept_attachments)
        valid = form.validate()
        form.attachments.errors = list(form.attachments.errors) + refusals
        if form.submission_key.errors:
            # Only a form not made by this page lacks its key; a fresh one files once again.
            problems.append(_("Part of the form was missing. Check it and send it again."))
            form.submission_key.data = secrets.token_urlsafe(24)
        elif valid and not refusals:
            filed = _file(form, kept, problems)
            if filed is not None:
                return filed
    status = FORM_PROBLEM if problems or form.errors else 200
    return render_template(
        "filing/form.html", form=form, problems=problems, kept=kept,
        today=datetime.now(CITY_TIME).date().isoformat(),
        descriptions=category_descriptions(), limits_text=limits_text(),
        limits=attachment_store().limits, file_size=file_size,
    ), status


def _file(form: FilingForm, kept: list[Attachment], problems: list[str]):
    """File the case; a redirect to the confirmation, or None with the problem told."""
    try:
        filing = runtime().services.complaints.file_case(
            PUBLIC_FILER, submission(form, kept), idempotency_key=form.submission_key.data
        )
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
    session[_FILED] = {
        "reference": filing.reference,
        "access_code": filing.access_code,
        "webhook_secret": filing.webhook_secret,
        "told": bool(form.email.data or form.phone.data),
    }
    return redirect(url_for(".filed"), code=303)


def submission(form: FilingForm, kept: list[Attachment]) -> dict[str, Any]:
    """The form as the application's filing: the same shape as the JSON API's."""
    filer = {
        "enterprise_name": form.enterprise_name.data.strip(),
        "contact_person": (form.contact_person.data or "").strip(),
        "language": form.language.data,
        "notify_by": list(dict.fromkeys(form.notify_by.data or [])),
    }
    for name in ("credit_code", "phone", "email", "webhook_url"):
        value = (getattr(form, name).data or "").strip()
        if value:
            filer[name] = value
    return {
        "channel": Channel.WEB.value,
        "category": form.category.data,
        "subject": form.subject.data.strip(),
        "description": form.description.data.strip(),
        "filer": filer,
        "happened_on": form.happened_on.data.isoformat() if form.happened_on.data else None,
        "happened_at_place": (form.happened_at_place.data or "").strip(),
        "attachments": [each.reference for each in kept],
        "confidential": bool(form.confidential.data),
        "anonymous": bool(form.anonymous.data),
    }


@blp.route("/filed", methods=["GET"])
def filed():
    """The reference and the access code, this once; a reload says they were shown."""
    shown = session.pop(_FILED, None)
    response = current_app.make_response(render_template("filing/filed.html", filed=shown))
    response.headers["Cache-Control"] = "private, no-store"
    return response
