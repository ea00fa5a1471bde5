"""The queue's filters: department, status, overdue and words, read from the address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, SelectField, StringField
from wtforms.validators import Length, Optional


class QueueFilters(Form):
    """The queue's filters, read from the address (a GET form needs no CSRF token)."""

    department = SelectField(_l("Department"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    text = StringField(
        _l("Words in the subject, description or reply"),
        validators=[Optional(), Length(max=200, message=_l("Use at most 200 characters."))],
    )
