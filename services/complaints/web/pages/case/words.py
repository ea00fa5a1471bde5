"""The words of a case on the staff pages, in the reader's language: its states, stages and
steps, and a sentence for each rule the aggregate may refuse a step by."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from complaints.domain.errors import CaseRuleError, CaseStateError, DomainError, InvalidValueError
from complaints.domain.values import OUTCOME_NOT_RECORDED, STAFF_CHANNELS
from complaints.web.pages.languages import LANGUAGES

STATUS = {
    "filed": _l("New, not yet accepted"),
    "accepted": _l("Accepted, awaiting dispatch"),
    "referred": _l("Referred elsewhere"),
    "assigned": _l("With the department"),
    "awaiting_information": _l("Waiting for the filer"),
    "responded": _l("Replied"),
    "closed": _l("Closed"),
}
STAGE = {
    "accept": _l("Accept and dispatch"),
    "reply": _l("Reply"),
    "rectify": _l("Rectification"),
    "return_visit": _l("Return visit"),
}
CHANNEL = {
    "web": _l("Web form"),
    "api": _l("API"),
    "hotline": _l("12345 hotline"),
    "window": _l("Service hall window"),
    "letter": _l("Letter"),
    "email": _l("Email"),
    "sms": _l("SMS"),
    "webhook": _l("Webhook"),
    "inbox": _l("Case inbox"),
}
OUTCOME = {
    "resolved": _l("Resolved"),
    "partly_resolved": _l("Partly resolved"),
    "explained": _l("Explained: no fault found"),
    "not_substantiated": _l("Not substantiated"),
    OUTCOME_NOT_RECORDED: _l("Not recorded (imported history)"),
}
# Codes shown with their words but never offered on a form: imported history's alone.
NOT_CHOSEN = {"outcome": {OUTCOME_NOT_RECORDED}}
VISIBILITY = {
    "internal": _l("Internal: never shown to the filer"),
    "public": _l("Public: the filer sees it"),
}
INVALIDATION = {"invalid": _l("Invalid"), "malicious": _l("Malicious")}
REVIEW_RESULT = {
    "upheld": _l("Upheld: the department must put it right"),
    "not_upheld": _l("Not upheld"),
}
CONTACT_METHOD = {
    "phone": _l("Phone call"),
    "visit": _l("Visit"),
    "sms": _l("SMS"),
    "email": _l("Email"),
}
RATING = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Basically satisfied"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}
REVIEW_STAGE = {
    "none": _l("No bad review"),
    "recheck": _l("A bad review awaits its re-check"),
    "rectification": _l("An upheld review awaits rectification"),
    "return_visit": _l("A rectification awaits its return visit"),
    "settled": _l("The bad review's loop is complete"),
}
EVENT = {
    "Filed": _l("Complaint filed"),
    "Accepted": _l("Accepted"),
    "Referred": _l("Referred elsewhere"),
    "Assigned": _l("Assigned"),
    "Transferred": _l("Transferred"),
    "InformationRequested": _l("Information requested"),
    "InformationSupplied": _l("Information supplied"),
    "ProgressNoted": _l("Progress noted"),
    "Responded": _l("Replied"),
    "AnsweredThroughPrimary": _l("Answered by the primary case's reply"),
    "AnsweredAtFirstContact": _l("Answered at first contact"),
    "LinkedAsRelated": _l("Linked as related"),
    "RelatedLinkUndone": _l("Link undone"),
    "MarkedDuplicate": _l("Marked a duplicate"),
    "DuplicateUndone": _l("Duplicate mark undone"),
    "DuplicateAttached": _l("A duplicate attached"),
    "DuplicateDetached": _l("A duplicate detached"),
    "Rated": _l("Rated"),
    "RatingInvalidated": _l("Rating ruled out"),
    "ReviewConcluded": _l("Re-check concluded"),
    "Rectified": _l("Rectified"),
    "FollowedUp": _l("Return visit recorded"),
    "Reopened": _l("Reopened"),
    "Closed": _l("Closed"),
    "FilerNotified": _l("Filer notified"),
    "FilerUnreachable": _l("Filer could not be reached"),
    "DeadlineExtended": _l("Deadline extended"),
    "DeadlineApproaching": _l("Deadline approaching"),
    "DeadlineBreached": _l("Deadline missed"),
    "Escalated": _l("Escalated to the supervisor"),
    "DeadlineRecomputed": _l("Deadline recomputed"),
    "PersonalDataErased": _l("Personal data erased"),
}
ERASURE_BASIS = {
    "filer_request": _l("The filer asked for it"),
    "retention_expired": _l("The retention period ended"),
    "purpose_fulfilled": _l("The purpose is fulfilled"),
}
WORDS = {
    "status": STATUS,
    "stage": STAGE,
    "channel": CHANNEL,
    "outcome": OUTCOME,
    "visibility": VISIBILITY,
    "invalidation": INVALIDATION,
    "review_result": REVIEW_RESULT,
    "contact_method": CONTACT_METHOD,
    "rating": RATING,
    "review_stage": REVIEW_STAGE,
    "event": EVENT,
    "language": LANGUAGES,
    "erasure_basis": ERASURE_BASIS,
}

RULES = {
    "lead_not_co_handler": _l("The lead department cannot also be a co-handler. Untick it."),
    "transfer_to_other": _l("The case is with that department already. Choose another one."),
    "items_required": _l("List at least one thing the filer must supply."),
    "one_rating_per_round": _l("This round of the case has been rated already."),
    "rating_required": _l("There is no rating in this round to rule out."),
    "rating_already_invalidated": _l("This rating has been ruled out already."),
    "bad_review_required": _l("Only a bad review awaiting its re-check can be concluded."),
    "upheld_review_required": _l("A rectification follows an upheld bad review, once."),
    "rectification_required": _l("The rectification must be recorded first."),
    "reply_required": _l("A case closes only after a reply the filer can see."),
    "review_pending": _l("A bad review awaits its re-check; conclude that first."),
    "return_visit_required": _l("The return visit must be recorded first."),
    "one_extension_per_stage": _l("This stage has been extended once already."),
    "extension_too_long": _l("An extension is from 1 to %(most)s working days."),
    "no_running_deadline": _l("No stage of this case runs against a time limit now."),
    "deadline_stage_mismatch": _l("The running stage has changed. Reload the page."),
    "already_erased": _l("This case's personal data was erased already."),
    "case_open": _l("The case is still open: its personal data is erased only at the "
                    "filer's request."),
}
FIELDS = {
    "occurred_at": _l("That time is in the future. Give when the call or visit happened."),
    "filer.credit_code": _l("This is not a valid unified social credit code."),
    "category": _l("Choose a category from the list."),
    "channel": _l("Choose how the caller reached us."),
    "score": _l("Choose a rating from 1 to 5."),
}


def word(kind: str, code: Any) -> str:
    """The reader's word for `code` of `kind` (a status, a stage…); the code itself if new."""
    if code is None or code == "":
        return ""
    return str(WORDS[kind].get(code, code))


def choices(kind: str) -> list[SelectChoice]:
    """The codes of `kind` as a form's options, each labelled in the reader's language."""
    return [SelectChoice(str(code), label) for code, label in WORDS[kind].items()
            if code not in NOT_CHOSEN.get(kind, ())]


def staff_channel_choices() -> list[SelectChoice]:
    """The channels on which staff file or record something for a caller."""
    return [choice for choice in choices("channel")
            if choice.value in {channel.value for channel in STAFF_CHANNELS}]


def explain(error: DomainError) -> str:
    """A refused step as a sentence in the reader's language."""
    if isinstance(error, CaseRuleError) and error.rule in RULES:
        return str(RULES[error.rule]) % {"most": error.details.get("most", 15)}
    if isinstance(error, CaseStateError):
        return _("This step cannot be taken while the case is “%(state)s”.",
                 state=word("status", error.details.get("state")))
    if isinstance(error, InvalidValueError):
        field = str(error.details.get("field", ""))
        if field in FIELDS:
            return str(FIELDS[field])
        if error.details.get("departments"):
            return _("Choose departments from the list.")
    return _("This step was refused. Reload the page and check the case.")


def vocabulary() -> dict[str, Any]:
    """For the staff pages' templates: `word("status", case.status)` and the like."""
    return {"word": word}
