"""The auditor's search for a case by its reference."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class FindCaseForm(FlaskForm):
    """A search, sent with GET: it changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    reference = StringField(
        _l("Case reference"),
        validators=[
            DataRequired(_l("Enter the case reference")),
            Length(max=40, message=_l("A reference looks like HY-2026-000123.")),
        ],
    )
