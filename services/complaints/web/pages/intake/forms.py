"""The intake desk's forms: a caller's complaint, filed by staff, and dispatching a new case."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

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

from complaints.application.case_application import CLOCK_SKEW
from complaints.domain.credit_code import credit_code_problem
from complaints.domain.values import FilerKind
from complaints.web.api.schemas.fields import PHONE
from complaints.web.pages.case.words import staff_channel_choices
from complaints.web.pages.filer_kinds import filer_kind_field, individual, only_for
from complaints.web.pages.labels import category_name
from complaints.web.pages.languages import LANGUAGES
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME

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
    moment = city_time(field.data)
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
    filer_kind = filer_kind_field(_l("The caller speaks for"), _l("An enterprise"),
                                  _l("Themselves, as a person"))
    enterprise_name = StringField(_l("Enterprise"), validators=[
        only_for(FilerKind.ENTERPRISE, _l("Give the enterprise's name")),
        Length(max=200, message=LONGEST)])
    credit_code = StringField(
        _l("Unified social credit code (optional)"),
        validators=[only_for(FilerKind.ENTERPRISE), Optional(), _credit_code],
        description=_l("18 characters, on the business licence."))
    contact_person = StringField(_l("Contact person (optional)"), validators=[
        only_for(FilerKind.ENTERPRISE), Length(max=100, message=LONGEST)])
    person_name = StringField(_l("The caller's name"), validators=[
        only_for(FilerKind.INDIVIDUAL, _l("Give the caller's name")),
        Length(max=100, message=LONGEST)])
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
        description=_l("Departments then do not see who the caller is or how to reach them."))
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


class AnswerForm(FlaskForm):
    version = HiddenField()
    entry = HiddenField(validators=[InputRequired()])


class DispatchForm(FlaskForm):
    version = HiddenField()
    lead = SelectField(_l("Lead department"), validators=[InputRequired()])
    # What the dispatch suggestions say of the case (intake/suggestions.py), shown beside the
    # choice and never applied; None where none was asked for.
    suggestion: dict[str, Any] | None = None


def submission(form: CallerForm) -> dict[str, Any]:
    """The caller's form in the JSON API's shape, for the API's schema to make the command."""
    if individual(form):
        filer = {"kind": FilerKind.INDIVIDUAL.value, "person_name": form.person_name.data.strip()}
    else:
        filer = {"kind": FilerKind.ENTERPRISE.value,
                 "enterprise_name": form.enterprise_name.data.strip(),
                 "credit_code": (form.credit_code.data or "").strip().upper(),
                 "contact_person": (form.contact_person.data or "").strip()}
    filer |= {
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
        **({"occurred_at": occurred.isoformat()}
           if (occurred := city_time(form.occurred_at.data)) else {}),
    }


def city_time(moment: datetime | None) -> datetime | None:
    """A time typed at the desk is Beijing time."""
    return moment.replace(tzinfo=CITY_TIME) if moment is not None else None
