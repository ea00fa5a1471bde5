"""The knowledge base's page: the entries in force, searched by a caller's words; intake and
supervisors add and withdraw entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from complaints.domain.errors import CaseRuleError
from complaints.domain.knowledge import EntryNotFoundError
from complaints.domain.values import STAFF_ROLES
from complaints.intelligence.knowledge import FINDER
from complaints.web.pages.case.words import vocabulary
from complaints.web.pages.labels import category_name
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.runtime import runtime
from shared.locale import CITY_TIME

blp = Blueprint("knowledge", __name__, url_prefix="/staff/knowledge")
blp.context_processor(vocabulary)

FORM_PROBLEM = 422
LONGEST = _l("Write at most %(max)d characters.")


class EntryForm(FlaskForm):
    question = StringField(_l("Question"), validators=[
        DataRequired(_l("Write the question as callers ask it")), Length(max=500,
                                                                         message=LONGEST)])
    answer = TextAreaField(_l("Answer"), validators=[
        DataRequired(_l("Write the answer")), Length(max=10_000, message=LONGEST)])
    category = SelectField(_l("Category"), validators=[DataRequired(_l("Choose a category"))])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired(_l("Give the first day"))])
    valid_until = DateField(_l("Valid until (optional)"), validators=[Optional()])
    source = StringField(_l("Source"), validators=[
        DataRequired(_l("Say where the answer comes from")), Length(max=500, message=LONGEST)],
        description=_l("A regulation, a notice, a department's word."))

    def validate_valid_until(self, field: DateField) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise StopValidation(_("The last day cannot be before the first day"))

    def prepare(self) -> None:
        self.category.choices = [SelectChoice("", _("Choose a category"))] + [
            SelectChoice(code, category_name(code))
            for code in runtime().services.routing.categories]

    def fields(self) -> dict[str, Any]:
        return {"question": self.question.data.strip(), "answer": self.answer.data.strip(),
                "category": self.category.data, "valid_from": self.valid_from.data.isoformat(),
                "valid_until": self.valid_until.data.isoformat() if self.valid_until.data
                else None, "source": self.source.data.strip()}


class WithdrawForm(FlaskForm):
    entry = HiddenField()
    reason = StringField(_l("Why it is withdrawn"), validators=[
        DataRequired(_l("Give the reason")), Length(max=2_000, message=LONGEST)])


@blp.route("", methods=["GET", "POST"])
@staff_required(*STAFF_ROLES)
def entries():
    form = EntryForm()
    form.prepare()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            runtime().services.complaints.knowledge.add(current_principal(), **form.fields())
            flash(_("The entry was added."))
            return redirect(url_for(".entries"), code=303)
        status = FORM_PROBLEM
    return _page(form), status


@blp.route("/withdraw", methods=["POST"])
@staff_required(*STAFF_ROLES)
def withdraw():
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            runtime().services.complaints.knowledge.withdraw(
                current_principal(), form.entry.data, form.reason.data.strip())
        except (EntryNotFoundError, CaseRuleError):
            flash(_("That entry cannot be withdrawn: it is gone or withdrawn already."))
        else:
            flash(_("The entry was withdrawn."))
    else:
        flash(_("Give the reason for withdrawing the entry."))
    return redirect(url_for(".entries"), code=303)


def _page(form: EntryForm) -> str:
    principal = current_principal()
    base = runtime().services.complaints.knowledge
    in_force = base.entries(principal, on=_today())
    words = (request.args.get("text") or "").strip()[:2_000]
    found = FINDER.suggest(in_force, words, limit=10) if words else None
    return render_template(
        "knowledge/entries.html", form=form, entries=in_force, found=found, words=words,
        withdraw=WithdrawForm(formdata=None),
        keeps=principal.role.value in ("intake", "supervisor"),
        page_has_errors=bool(form.errors))


def _today() -> date:
    return datetime.now(CITY_TIME).date()
