"""The intake desk: file a complaint for a caller, and dispatch new cases to their departments."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError as SchemaValidationError
from marshmallow import validate
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from complaints.application.access_codes import derive_access_code
from complaints.application.deadlines import CITY_TIME
from complaints.application.service import (
    CLOCK_SKEW,
    IdempotencyKeyReusedError,
    VersionConflictError,
)
from complaints.domain.credit_code import credit_code_problem
from complaints.domain.errors import CaseRuleError, CaseStateError, InvalidValueError
from complaints.domain.values import Role, Status
from complaints.readmodels.case_queries import QUEUE_ORDER, CaseFilter
from complaints.web.api.schemas.fields import PHONE
from complaints.web.pages.case_words import explain, staff_channel_choices, vocabulary
from complaints.web.pages.labels import category_name, department_name
from complaints.web.pages.languages import LANGUAGES
from complaints.web.pages.queue import time_left
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.runtime import runtime

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
LONGEST = _l("Write at most %(max)d characters.")


def _credit_code(form: FlaskForm, field: Any) -> None:
    if field.data and credit_code_problem(field.data.strip().upper()):
        raise ValidationError(str(_l("This is not a valid unified social credit code.")))


def _phone(form: FlaskForm, field: Any) -> None:
    if field.data and not PHONE.match(field.data.strip()):
        raise ValidationError(str(_l("Give a phone number: digits, with + ( ) - or spaces.")))


def _email(form: FlaskForm, field: Any) -> None:
    try:
        if field.data:
            validate.Email()(field.data.strip())
    except SchemaValidationError:
        raise ValidationError(str(_l("Give an email address such as name@example.cn."))) from None


def _reachable(form: FlaskForm, field: Any) -> None:
    if not (form.phone.data or "").strip() and not (form.email.data or "").strip():
        raise ValidationError(
            str(_l("Give a phone number or an email address, so the caller hears back.")))


def _not_in_future(form: FlaskForm, field: Any) -> None:
    moment = _city_time(field.data)
    if moment is not None and moment > runtime().services.complaints.clock() + CLOCK_SKEW:
        raise ValidationError(str(_l("That time is in the future. Give when the call or visit "
                                     "happened.")))


class CallerForm(FlaskForm):
    channel = RadioField(_l("How the caller reached us"), default="hotline",
                         validators=[InputRequired(_l("Choose how the caller reached us"))])
    occurred_at = DateTimeLocalField(
        _l("When the call or visit happened (optional)"), format="%Y-%m-%dT%H:%M",
        validators=[Optional(), _not_in_future],
        description=_l("Beijing time. Leave it empty if it is happening now."))
    enterprise_name = StringField(_l("Enterprise"), validators=[
        DataRequired(_l("Give the enterprise's name")), Length(max=200, message=LONGEST)])
    credit_code = StringField(
        _l("Unified social credit code (optional)"), validators=[Optional(), _credit_code],
        description=_l("18 characters, on the business licence."))
    contact_person = StringField(_l("Contact person (optional)"),
                                 validators=[Length(max=100, message=LONGEST)])
    phone = StringField(_l("Phone"), validators=[_reachable, _phone])
    email = StringField(_l("Email (optional if there is a phone)"), validators=[_email])
    language = SelectField(_l("Language for messages to the caller"), default="zh",
                           choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])
    category = SelectField(_l("Category"), validators=[InputRequired()])
    subject = StringField(_l("Subject"), validators=[
        DataRequired(_l("Give the subject in a few words")), Length(max=200, message=LONGEST)])
    description = TextAreaField(_l("What happened"), validators=[
        DataRequired(_l("Write down what the caller said")),
        Length(max=10_000, message=LONGEST)])
    confidential = BooleanField(
        _l("The caller asks for confidentiality"),
        description=_l("Departments then see who the caller is only in part."))
    # One per form shown: the same form sent twice (a double click, a retry) files one case.
    submission = HiddenField()

    def prepare(self, fresh: bool) -> None:
        self.channel.choices = staff_channel_choices()
        self.category.choices = [SelectChoice("", _("Choose a category"))] + [
            SelectChoice(code, category_name(code))
            for code in runtime().services.routing.categories
        ]
        if fresh:
            self.submission.data = secrets.token_urlsafe(18)


class DispatchForm(FlaskForm):
    version = HiddenField()
    lead = SelectField(_l("Lead department"), validators=[InputRequired()])


@blp.route("", methods=["GET", "POST"])
@staff_required(*DESK)
def desk():
    form = CallerForm()
    form.prepare(fresh=not form.is_submitted())
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            filing = runtime().services.complaints.file_case(
                current_principal(), _submission(form),
                idempotency_key=form.submission.data or None,
                occurred_at=_city_time(form.occurred_at.data))
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
    return render_template("intake/filed.html", case=case, code=code,
                           dispatch=_dispatch_form(case.category, case.version))


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


def _submission(form: CallerForm) -> dict[str, Any]:
    filer = {
        "enterprise_name": form.enterprise_name.data.strip(),
        "credit_code": (form.credit_code.data or "").strip().upper(),
        "contact_person": (form.contact_person.data or "").strip(),
        "phone": (form.phone.data or "").strip(),
        "email": (form.email.data or "").strip(),
        "language": form.language.data,
    }
    return {
        "channel": form.channel.data,
        "category": form.category.data,
        "subject": form.subject.data.strip(),
        "description": form.description.data.strip(),
        "filer": {key: value for key, value in filer.items() if value},
        "confidential": bool(form.confidential.data),
    }


def _city_time(moment: datetime | None) -> datetime | None:
    """A time typed at the desk is Beijing time."""
    return moment.replace(tzinfo=CITY_TIME) if moment is not None else None
