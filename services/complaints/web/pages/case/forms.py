"""One small form per step on a case, and what each one asks of the application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    ValidationError,
)

from complaints.application.case_application import REFERENCE_PATTERN
from complaints.domain.case import Case
from complaints.domain.values import ErasureBasis, Status
from complaints.web.pages.case.words import choices, staff_channel_choices
from complaints.web.pages.labels import department_name

LONGEST = _l("Write at most %(max)d characters.")


def lines_of(text: str | None) -> list[str]:
    """A text area of one item per line as the items, blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class Lines:
    """At least `least` and at most `most` non-blank lines, each at most `longest` long."""

    def __init__(self, least: int, most: int, longest: int, missing: LazyString | None = None):
        self.least, self.most, self.longest, self.missing = least, most, longest, missing

    def __call__(self, form: FlaskForm, field: Any) -> None:
        items = lines_of(field.data)
        if len(items) < self.least:
            raise ValidationError(str(self.missing))
        if len(items) > self.most:
            raise ValidationError(str(_l("Give at most %(most)d lines.", most=self.most)))
        if any(len(item) > self.longest for item in items):
            raise ValidationError(
                str(_l("Keep each line under %(longest)d characters.", longest=self.longest))
            )


def text(label: LazyString, most: int, missing: LazyString | None = None, hint: Any = "",
         area: bool = True) -> Any:
    """A text box; required when `missing` says what to write."""
    checks = [DataRequired(missing)] if missing else []
    kind = TextAreaField if area else StringField
    return kind(label, validators=[*checks, Length(max=most, message=LONGEST)], description=hint)


def item_lines(label: LazyString, missing: LazyString | None, hint: Any) -> TextAreaField:
    return TextAreaField(label, validators=[Lines(1 if missing else 0, 50, 2_000, missing)],
                         description=hint)


def radio(label: LazyString, kind: str, missing: LazyString, **options: Any) -> RadioField:
    return RadioField(label, choices=choices(kind), validators=[InputRequired(missing)],
                      **options)


class StepForm(FlaskForm):
    """A step on a case. The case version the form was shown at rides along, so a form left
    open while someone else changed the case is refused rather than applied to a case its
    sender never saw."""

    version = HiddenField()

    @classmethod
    def defaults(cls, case: Case) -> dict[str, Any]:
        """What a fresh form shows for `case`."""
        return {"version": str(case.version)}

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        """Choices that follow from the case and the reader; called before showing or checking."""

    def arguments(self) -> dict[str, Any]:
        """The command's arguments, as the application takes them."""
        return {}


class AcceptForm(StepForm):
    pass


class ReferForm(StepForm):
    where_to = text(_l("Where the filer should turn instead"), 500,
                    _l("Say where the filer should turn instead"), area=False,
                    hint=_l("An office, hotline or website: the filer is never just turned "
                            "away."))
    reason = text(_l("Why it is not ours"), 2_000, _l("Give the reason"))

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.reason.data, "where_to": self.where_to.data}


class AssignForm(StepForm):
    lead = SelectField(_l("Lead department"), validators=[InputRequired()],
                       description=_l("Proposed by the routing table for this category."))
    co = SelectMultipleField(_l("Co-handling departments (optional)"))

    @classmethod
    def defaults(cls, case: Case) -> dict[str, Any]:
        return {**super().defaults(case), "lead": case.proposed_lead,
                "co": list(case.proposed_co)}

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        self.lead.choices = [SelectChoice(code, department_name(code)) for code in departments]
        self.co.choices = list(self.lead.choices)

    def arguments(self) -> dict[str, Any]:
        return {"lead": self.lead.data, "co": list(self.co.data or [])}


class TransferForm(StepForm):
    to = SelectField(_l("Send it to"))
    reason = text(_l("Reason"), 2_000, _l("Give the reason for the transfer"),
                  hint=_l("The receiving side and the filer's case history show it."))

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        self.to.choices = [SelectChoice("", _l("Back to the intake desk"))] + [
            SelectChoice(code, department_name(code)) for code in departments
            if code != case.lead_department
        ]

    def arguments(self) -> dict[str, Any]:
        return {"to": self.to.data or None, "reason": self.reason.data}


class RequestInformationForm(StepForm):
    items = item_lines(_l("What is missing"), _l("List what the filer must supply"),
                       _l("Everything at once, one item per line. The clock pauses until the "
                          "filer answers."))

    def arguments(self) -> dict[str, Any]:
        return {"items": lines_of(self.items.data)}


class SupplyInformationForm(StepForm):
    content = text(_l("What the filer supplied"), 10_000, _l("Write what the filer supplied"))

    def arguments(self) -> dict[str, Any]:
        return {"content": self.content.data, "attachments": []}


class NoteForm(StepForm):
    text = text(_l("Note"), 5_000, _l("Write the note"))
    visibility = radio(_l("Who sees it"), "visibility", _l("Choose who sees the note"),
                       default="internal")

    def arguments(self) -> dict[str, Any]:
        return {"text": self.text.data, "visibility": self.visibility.data}


class RespondForm(StepForm):
    outcome = radio(_l("Outcome"), "outcome", _l("Choose the outcome"))
    reply = text(_l("Text of the reply"), 10_000, _l("Write the reply"))
    actions = item_lines(_l("Actions taken (optional)"), None, _l("One per line."))

    def arguments(self) -> dict[str, Any]:
        return {"outcome": self.outcome.data, "reply": self.reply.data,
                "actions": lines_of(self.actions.data)}


class RateForm(StepForm):
    score = RadioField(_l("The caller's rating"), coerce=int, choices=choices("rating"),
                       validators=[InputRequired(_l("Choose the caller's rating"))],
                       description=_l("1 and 2 are bad reviews: a re-check follows."))
    comment = text(_l("The caller's comment (optional)"), 2_000)
    channel = SelectField(_l("How the caller gave it"),
                          choices=staff_channel_choices())

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        self.score.choices = [SelectChoice(choice.value, f"{choice.value} – {choice.label}")
                              for choice in choices("rating")]

    def arguments(self) -> dict[str, Any]:
        return {"score": self.score.data, "comment": self.comment.data,
                "channel": self.channel.data}


class InvalidateRatingForm(StepForm):
    invalidation_class = radio(_l("Ruling"), "invalidation", _l("Choose invalid or malicious"),
                               description=_l("It stays on record but leaves the scores and "
                                              "no longer holds the case open."))
    reason = text(_l("Reason"), 2_000, _l("Give the reason for the ruling"))

    def arguments(self) -> dict[str, Any]:
        return {"invalidation_class": self.invalidation_class.data,
                "reason": self.reason.data}


class ConcludeReviewForm(StepForm):
    result = radio(_l("Result of the re-check"), "review_result", _l("Choose the result"))
    explanation = text(_l("Explanation"), 5_000, _l("Explain the result"))

    def arguments(self) -> dict[str, Any]:
        return {"upheld": self.result.data == "upheld", "explanation": self.explanation.data}


class RectifyForm(StepForm):
    actions = item_lines(_l("What was put right"), _l("List what was put right"),
                         _l("One action per line. A return visit to the filer follows."))

    def arguments(self) -> dict[str, Any]:
        return {"actions": lines_of(self.actions.data)}


class FollowUpForm(StepForm):
    method = radio(_l("How the filer was contacted"), "contact_method",
                   _l("Choose how the filer was contacted"))
    satisfied = RadioField(_l("Is the filer satisfied?"),
                           choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                           validators=[InputRequired(_l("Say whether the filer is satisfied"))])
    notes = text(_l("Notes (optional)"), 5_000)

    def arguments(self) -> dict[str, Any]:
        return {"method": self.method.data, "satisfied": self.satisfied.data == "yes",
                "notes": self.notes.data}


class ReopenForm(StepForm):
    reason = text(_l("Reason"), 2_000, _l("Give the reason for reopening"),
                  hint=_l("A new round begins, with a new time limit."))

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.reason.data}


class CloseForm(StepForm):
    pass


class ExtendDeadlineForm(StepForm):
    stage = HiddenField()
    working_days = IntegerField(_l("Working days to add"))
    reason = text(_l("Reason"), 2_000, _l("Give the reason for the extension"))

    @classmethod
    def defaults(cls, case: Case) -> dict[str, Any]:
        stage = case.deadline.stage.value if case.deadline else ""
        return {**super().defaults(case), "stage": stage}

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        self.working_days.description = _l("From 1 to %(most)d. Once per stage.", most=most_days)
        self.working_days.validators = [
            InputRequired(_l("Give the number of working days")),
            NumberRange(1, most_days, _l("Give a number from 1 to %(max)d.")),
        ]

    def arguments(self) -> dict[str, Any]:
        return {"stage": self.stage.data, "working_days": self.working_days.data,
                "reason": self.reason.data}


def reference_field(label: LazyString, missing: LazyString) -> StringField:
    """Another case, by its reference as people type it (small letters, spaces)."""
    return StringField(label, filters=[lambda value: (value or "").strip().upper()],
                       validators=[DataRequired(missing), Regexp(
                           REFERENCE_PATTERN,
                           message=_l("A reference looks like HY-2026-000123."))],
                       description=_l("Like HY-2026-000123"))


class LinkForm(StepForm):
    other = reference_field(_l("Related case"), _l("Give the related case's reference"))

    def arguments(self) -> dict[str, Any]:
        return {"other": self.other.data}


class UnlinkForm(StepForm):
    other = SelectField(_l("Linked case"), validators=[InputRequired()])
    reason = text(_l("Reason"), 2_000, _l("Give the reason"))

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        self.other.choices = [SelectChoice(reference, reference) for reference in case.related]

    def arguments(self) -> dict[str, Any]:
        return {"other": self.other.data, "reason": self.reason.data}


class MarkDuplicateForm(StepForm):
    primary = reference_field(_l("Primary case"), _l("Give the primary case's reference"))
    reason = text(_l("Reason"), 2_000, _l("Give the reason"),
                  hint=_l("The primary's reply will answer this case too; its filer keeps "
                          "their own case and rating. It can be undone."))

    def arguments(self) -> dict[str, Any]:
        return {"primary": self.primary.data, "reason": self.reason.data}


class UndoDuplicateForm(StepForm):
    reason = text(_l("Reason"), 2_000, _l("Give the reason"))

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.reason.data}


class EraseForm(StepForm):
    """Crypto-shredding cannot be undone: the form asks for the basis and a ticked
    confirmation, checked on the server, so it needs no script to be safe."""

    basis = radio(_l("Basis"), "erasure_basis", _l("Choose the basis of the erasure"))
    note = text(_l("Note (optional)"), 2_000,
                hint=_l("Kept for ever in the history: write no personal data in it."))
    confirm = BooleanField(
        _l("I understand that the filer's personal data is destroyed for good and cannot be "
           "restored."),
        validators=[DataRequired(_l("Tick the box to confirm the erasure"))])

    def prepare(self, case: Case, departments: list[str], most_days: int) -> None:
        if case.status != Status.CLOSED:
            # A case still open is erased only at the filer's request.
            self.basis.choices = [choice for choice in self.basis.choices
                                  if choice.value == ErasureBasis.FILER_REQUEST.value]
            self.basis.description = _l("The case is still open: it goes on, with no way to "
                                        "reach the filer.")

    def arguments(self) -> dict[str, Any]:
        return {"basis": self.basis.data, "note": (self.note.data or "").strip()}


@dataclass(frozen=True)
class Step:
    command: str  # its name in the application's catalogue
    form: type[StepForm]
    title: LazyString  # what the step is called, on its form and button
    done: LazyString  # said after it was done

    @property
    def path(self) -> str:
        return self.command.replace("_", "-")


STEPS = (
    Step("accept", AcceptForm, _l("Accept"), _l("The case was accepted.")),
    Step("refer", ReferForm, _l("Refer elsewhere"), _l("The case was referred elsewhere.")),
    Step("assign", AssignForm, _l("Assign to departments"), _l("The case was assigned.")),
    Step("transfer", TransferForm, _l("Transfer"), _l("The case was transferred.")),
    Step("request_information", RequestInformationForm, _l("Ask the filer for information"),
         _l("The filer was asked for the missing information.")),
    Step("supply_information", SupplyInformationForm, _l("Record the filer's information"),
         _l("The filer's information was recorded.")),
    Step("note_progress", NoteForm, _l("Note progress"), _l("The note was added.")),
    Step("respond", RespondForm, _l("Reply to the filer"), _l("The reply was sent.")),
    Step("rate", RateForm, _l("Record the caller's rating"), _l("The rating was recorded.")),
    Step("invalidate_rating", InvalidateRatingForm, _l("Rule the rating out"),
         _l("The rating was ruled out of the scores.")),
    Step("conclude_review", ConcludeReviewForm, _l("Conclude the re-check"),
         _l("The re-check was concluded.")),
    Step("rectify", RectifyForm, _l("Record the rectification"),
         _l("The rectification was recorded.")),
    Step("follow_up", FollowUpForm, _l("Record the return visit"),
         _l("The return visit was recorded.")),
    Step("reopen", ReopenForm, _l("Reopen"), _l("The case was reopened.")),
    Step("close", CloseForm, _l("Close the case"), _l("The case was closed.")),
    Step("extend_deadline", ExtendDeadlineForm, _l("Extend the deadline"),
         _l("The deadline was extended.")),
    Step("link", LinkForm, _l("Link a related case"), _l("The cases were linked.")),
    Step("unlink", UnlinkForm, _l("Undo a link"), _l("The link was undone.")),
    Step("mark_duplicate", MarkDuplicateForm, _l("Mark as a duplicate"),
         _l("The case was marked a duplicate.")),
    Step("undo_duplicate", UndoDuplicateForm, _l("Undo the duplicate mark"),
         _l("The duplicate mark was undone.")),
    Step("erase_personal_data", EraseForm, _l("Erase personal data"),
         _l("The filer's personal data was erased.")),
)  # fmt: skip
STEP_BY_COMMAND = {step.command: step for step in STEPS}
STEP_BY_PATH = {step.path: step for step in STEPS}
