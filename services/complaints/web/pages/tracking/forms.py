"""The filer's forms: signing in to a case, answering a request, rating the reply, reopening."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from complaints.web.pages.tracking.words import RATINGS


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
