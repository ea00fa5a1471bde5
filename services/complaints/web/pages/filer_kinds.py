"""Who is filing, on the filing and intake forms: an enterprise or a person, and the fields
that only one of them fills in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from complaints.domain.values import FilerKind


def filer_kind_field(label: Any, enterprise: Any, individual: Any) -> RadioField:
    """An enterprise unless a person is chosen (a form sent without the choice, as before
    there was one, files for an enterprise); a value that is neither is refused."""
    return RadioField(label, default=FilerKind.ENTERPRISE.value,
                      choices=[SelectChoice(FilerKind.ENTERPRISE.value, enterprise),
                               SelectChoice(FilerKind.INDIVIDUAL.value, individual)])


def individual(form: FlaskForm) -> bool:
    return form.filer_kind.data == FilerKind.INDIVIDUAL


def only_for(kind: FilerKind, missing: Any = None) -> Callable[[FlaskForm, Any], None]:
    """A field that belongs to one kind of filer: required there when `missing` is given (its
    message), and neither checked nor kept for the other kind."""

    def check(form: FlaskForm, field: Any) -> None:
        if form.filer_kind.data != kind:
            field.errors[:] = []
            raise StopValidation()  # no message: no error, and no later check
        if missing is not None and not (field.data or "").strip():
            raise StopValidation(str(missing))

    return check
