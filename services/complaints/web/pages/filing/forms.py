"""The filing form, for an enterprise or a person: its fields, its checks in the reader's
words, and the form turned into the application's filing."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
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

from complaints.domain.credit_code import LENGTH, VALUES, credit_code_problem
from complaints.domain.values import Channel, FilerKind
from complaints.web.api.schemas.fields import PHONE
from complaints.web.api.schemas.filing import webhook_problem
from complaints.web.pages.filer_kinds import filer_kind_field, individual, only_for
from complaints.web.pages.languages import LANGUAGES, current_language
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME
from shared.webhook_targets import REFUSED_ADDRESS

_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
NOTIFY_CHOICES = [SelectChoice("email", _l("E-mail")),
                  SelectChoice("sms", _l("Text message (SMS)")),
                  SelectChoice("webhook", _l("Webhook (for software)"))]


class FilingForm(FlaskForm):
    category = RadioField(
        _l("What is the complaint about?"),
        validators=[InputRequired(_l("Choose what the complaint is about"))],
    )
    filer_kind = filer_kind_field(_l("Who is filing?"), _l("An enterprise"),
                                  _l("I file for myself, as a person"))
    enterprise_name = StringField(
        _l("Name of the enterprise"),
        validators=[only_for(FilerKind.ENTERPRISE, _l("Enter the name of the enterprise")),
                    Length(max=200)],
    )
    credit_code = StringField(
        _l("Unified social credit code (optional)"),
        filters=[lambda value: re.sub(r"\s+", "", value).upper() if value else value],
        validators=[only_for(FilerKind.ENTERPRISE)],
    )
    contact_person = StringField(_l("Contact person (optional)"),
                                 validators=[only_for(FilerKind.ENTERPRISE), Optional(),
                                             Length(max=100)])
    person_name = StringField(
        _l("Your name"),
        validators=[only_for(FilerKind.INDIVIDUAL, _l("Enter your name")), Length(max=100)],
    )
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
            problem = webhook_problem(field.data)
        except ValidationError:
            problem = "not_a_url"
        if problem == REFUSED_ADDRESS:
            raise StopValidation(
                _("This address is inside a private network (such as 10.x.x.x, 192.168.x.x "
                  "or localhost), which we do not send to. Give the address at which your "
                  "system receives requests from the internet.")
            )
        if problem:
            raise StopValidation(
                _("Enter an address that begins with https://, such as "
                  "https://example.com/huiyin")
            )

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


def submission(form: FilingForm) -> dict[str, Any]:
    """The form in the JSON API's shape, for the API's schema to make the filing command
    (its files are the staging area's, not the API's)."""
    if individual(form):
        filer = {"kind": FilerKind.INDIVIDUAL.value, "person_name": form.person_name.data.strip()}
        given: tuple[str, ...] = ()
    else:
        filer = {"kind": FilerKind.ENTERPRISE.value,
                 "enterprise_name": form.enterprise_name.data.strip(),
                 "contact_person": (form.contact_person.data or "").strip()}
        given = ("credit_code",)
    filer |= {"language": form.language.data,
              "notify_by": list(dict.fromkeys(form.notify_by.data or []))}
    for name in (*given, "phone", "email", "webhook_url"):
        value = (getattr(form, name).data or "").strip()
        if value:
            filer[name] = value
    return {
        "channel": Channel.WEB.value,
        "category": form.category.data,
        "subject": form.subject.data.strip(),
        "description": form.description.data.strip(),
        "filer": filer,
        **({"happened_on": form.happened_on.data.isoformat()} if form.happened_on.data else {}),
        "happened_at_place": (form.happened_at_place.data or "").strip(),
        "confidential": bool(form.confidential.data),
        "anonymous": bool(form.anonymous.data),
    }
