"""The filer's case in the filer's words: its states, stages and steps, where a bad rating's
loop stands, and why a step was refused."""

from __future__ import annotations

from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from complaints.domain.case import Case
from complaints.domain.values import OUTCOME_NOT_RECORDED

# 1 非常不满意 … 5 非常满意, offered from the best down, as the filer's messages list them.
RATINGS = [
    SelectChoice(5, _l("Very satisfied")),
    SelectChoice(4, _l("Satisfied")),
    SelectChoice(3, _l("Basically satisfied")),
    SelectChoice(2, _l("Dissatisfied")),
    SelectChoice(1, _l("Very dissatisfied")),
]
# The steps of a case the filer is told of (notify's policy), their own, and a message that
# could not reach them.
TIMELINE = (
    "Filed", "Accepted", "Referred", "Assigned", "Transferred", "InformationRequested",
    "InformationSupplied", "ProgressNoted", "Responded", "AnsweredThroughPrimary",
    "AnsweredAtFirstContact", "Rated",
    "ReviewConcluded",
    "Rectified", "FollowedUp", "Reopened", "Closed", "DeadlineExtended", "DeadlineRecomputed",
    "FilerUnreachable", "PersonalDataErased",
)  # fmt: skip

# The aggregate's refusals of the filer's steps, in the filer's words.
RULES = {
    "one_rating_per_round": _l("This reply has been rated already."),
    "review_pending": _l("Your rating is being checked again. You can ask to reopen the case "
                         "once that check is concluded."),
    "rectification_required": _l("The department is putting things right after your "
                                 "rating. You can ask to reopen the case after that."),
    "return_visit_required": _l("We will contact you about what the department put right. "
                                "You can ask to reopen the case after that."),
}

# Why the filer's personal data was erased, in the filer's words.
ERASURE_BASES = {
    "filer_request": _l("at your request"),
    "retention_expired": _l("because the time it may be kept after the case was closed ran out"),
    "purpose_fulfilled": _l("because it was no longer needed for the case"),
}

# What the page calls things, in the filer's words.
WORDS = {
    "status": {
        "filed": _l("Received: waiting to be accepted"),
        "accepted": _l("Accepted: being sent to the department responsible"),
        "assigned": _l("With the department responsible"),
        "awaiting_information": _l("Waiting for information from you"),
        "responded": _l("Replied: please read the reply and rate it"),
        "responded_rated": _l("Replied, and you have rated the reply"),
        "referred": _l("Referred: this service cannot handle it"),
        "closed": _l("Closed"),
    },
    "stage": {
        "accept": _l("acceptance and dispatch"),
        "reply": _l("the department's reply"),
        "rectify": _l("putting things right"),
        "return_visit": _l("our follow-up with you"),
    },
    # The step a due time is for, as the status panel names it.
    "next_step": {
        "accept": _l("Acceptance and dispatch"),
        "reply": _l("The department's reply"),
        "rectify": _l("Putting things right"),
        "return_visit": _l("Our follow-up with you"),
    },
    "outcome": {
        "resolved": _l("Resolved"),
        "partly_resolved": _l("Partly resolved"),
        "explained": _l("Explained: no fault found"),
        "not_substantiated": _l("Not substantiated"),
        OUTCOME_NOT_RECORDED: _l("Not recorded (imported history)"),
    },
    "channel": {
        "email": _l("E-mail"),
        "sms": _l("Text message (SMS)"),
        "webhook": _l("Webhook"),
        "inbox": _l("This page"),
    },
    "contact": {
        "phone": _l("by phone"),
        "visit": _l("in person"),
        "sms": _l("by text message"),
        "email": _l("by e-mail"),
    },
    # Which office acted; the filer never learns which person.
    "actor": {
        "filer": _l("You"),
        "intake": _l("Intake desk"),
        "handler": _l("The department"),
        "supervisor": _l("Business Environment Bureau"),
        "system": _l("Huiyin, automatically"),
    },
    "rating": {choice.value: choice.label for choice in RATINGS},
    # Why the filer's personal data was erased.
    "erasure_basis": {
        "filer_request": _l("you asked for it"),
        "retention_expired": _l("the period for keeping it ended"),
        "purpose_fulfilled": _l("it was no longer needed"),
    },
}


def status_key(case: Case) -> str:
    if case.status == "responded" and case.review.score is not None:
        return "responded_rated"
    return case.status


def join_list(codes: list[str], name) -> str:
    """Names in the reader's way of listing them: 海关、商务局; Customs and Commerce Bureau."""
    return format_list([name(code) for code in codes if code], locale=get_locale())


def review_note(case: Case) -> str | None:
    """Where the loop a bad rating started stands, in the filer's words."""
    return {
        "recheck": _("You were not satisfied with the reply. The Business Environment Bureau "
                     "is checking how your case was handled, and will tell you what it "
                     "concludes."),
        "rectification": _("The check agreed with you: the department must put things right. "
                           "We will tell you what it did."),
        "return_visit": _("The department has reported what it put right. We will contact "
                          "you to ask whether the matter is now settled."),
    }.get(case.review.stage)


def vocabulary() -> dict[str, Any]:
    """What the filer's templates use to put codes into words."""
    return {"words": WORDS, "join_list": join_list}
