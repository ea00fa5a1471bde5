"""The auditor's words: every event's and field's name, the names of coded values, and why an
event does not verify, in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints.application import audit
from complaints.web.pages.labels import category_name
from complaints.web.pages.languages import LANGUAGES

# Texts longer than this are folded, their first words shown.
LONG_TEXT = 160

EVENT_NAMES = {
    "Filed": _l("Complaint filed"),
    "Accepted": _l("Accepted"),
    "Referred": _l("Referred elsewhere"),
    "Assigned": _l("Assigned to departments"),
    "Transferred": _l("Transferred"),
    "InformationRequested": _l("Information requested"),
    "InformationSupplied": _l("Information supplied"),
    "ProgressNoted": _l("Progress noted"),
    "DeadlineExtended": _l("Deadline extended"),
    "DeadlineApproaching": _l("Deadline approaching"),
    "DeadlineBreached": _l("Deadline breached"),
    "DeadlineRecomputed": _l("Due time recomputed"),
    "Escalated": _l("Escalated for supervision"),
    "Responded": _l("Reply given"),
    "AnsweredThroughPrimary": _l("Answered by the primary case's reply"),
    "AnsweredAtFirstContact": _l("Answered at first contact"),
    "LinkedAsRelated": _l("Linked as related"),
    "RelatedLinkUndone": _l("Link undone"),
    "MarkedDuplicate": _l("Marked a duplicate"),
    "DuplicateUndone": _l("Duplicate mark undone"),
    "DuplicateAttached": _l("A duplicate attached"),
    "DuplicateDetached": _l("A duplicate detached"),
    "Rated": _l("Rated by the filer"),
    "RatingInvalidated": _l("Rating ruled invalid"),
    "ReviewConcluded": _l("Re-check concluded"),
    "Rectified": _l("Rectification recorded"),
    "FollowedUp": _l("Return visit recorded"),
    "Reopened": _l("Reopened"),
    "Closed": _l("Closed"),
    "FilerNotified": _l("Filer notified"),
    "FilerUnreachable": _l("Filer unreachable"),
    "PersonalDataErased": _l("Personal data erased"),
}

FIELD_NAMES = {
    "reference": _l("Reference"), "channel": _l("Channel"), "filer": _l("Filer"),
    "other": _l("Other case"), "primary": _l("Primary case"), "duplicate": _l("Duplicate case"),
    "entry": _l("Knowledge base entry"),
    "on_behalf_of": _l("Filed by staff for a caller"), "category": _l("Category"),
    "subject": _l("Subject"), "description": _l("Description"),
    "happened_on": _l("Happened on"), "happened_at_place": _l("Where it happened"),
    "attachments": _l("Attachments"), "confidential": _l("Confidential"),
    "anonymous": _l("Anonymous"), "access_code_hash": _l("Access code (its hash)"),
    "submission_digest": _l("Digest of the submission"), "due_at": _l("Due"),
    "due_provisional": _l("Due time provisional"),
    "due_working_days": _l("Working days allowed"), "enterprise_name": _l("Enterprise"),
    "credit_code": _l("Unified social credit code"), "contact_person": _l("Contact person"),
    "kind": _l("Kind of filer"), "person_name": _l("Person"),
    "external_user_id": _l("User id in the source system"),
    "phone": _l("Phone"), "email": _l("Email"), "language": _l("Language"),
    "notify_by": _l("Notify by"), "webhook_url": _l("Webhook address"),
    "proposed_lead": _l("Proposed lead department"),
    "proposed_co": _l("Proposed co-handling departments"), "reason": _l("Reason"),
    "where_to": _l("Where to turn instead"), "lead": _l("Lead department"),
    "co": _l("Co-handling departments"), "from_department": _l("From department"),
    "to": _l("To"), "items": _l("Items requested"), "content": _l("Information given"),
    "text": _l("Text"), "visibility": _l("Visibility"), "outcome": _l("Outcome"),
    "reply": _l("Reply"), "actions": _l("Actions"), "round": _l("Round"),
    "score": _l("Score"), "comment": _l("Comment"), "invalidation_class": _l("Ruled"),
    "upheld": _l("Upheld"), "explanation": _l("Explanation"), "method": _l("Method"),
    "satisfied": _l("Filer satisfied"), "notes": _l("Notes"), "status": _l("Status"),
    "stage": _l("Stage"), "working_days": _l("Working days"),
    "department": _l("Department"), "previous_due_at": _l("Previous due time"),
    "notification_id": _l("Notification"), "template": _l("Message template"),
    "message_id": _l("Message id"), "sent_at": _l("Sent"), "channels": _l("Channels reached"),
    "basis": _l("Basis of the erasure"), "note": _l("Note"),
}  # fmt: skip

STATUS_NAMES = {
    "filed": _l("Filed, awaiting acceptance"), "accepted": _l("Accepted"),
    "referred": _l("Referred elsewhere"), "assigned": _l("With the departments"),
    "awaiting_information": _l("Waiting for the filer's information"),
    "responded": _l("Replied"), "closed": _l("Closed"),
}  # fmt: skip
STAGE_NAMES = {
    "accept": _l("Acceptance and dispatch"), "reply": _l("Reply"),
    "rectify": _l("Rectification"), "return_visit": _l("Return visit"),
}  # fmt: skip
REVIEW_STAGES = {
    "none": _l("No bad review"), "recheck": _l("Awaiting re-check"),
    "rectification": _l("Awaiting rectification"), "return_visit": _l("Awaiting return visit"),
    "settled": _l("Bad review settled"),
}  # fmt: skip
RATINGS = {
    1: _l("Very dissatisfied"), 2: _l("Dissatisfied"), 3: _l("Fairly satisfied"),
    4: _l("Satisfied"), 5: _l("Very satisfied"),
}  # fmt: skip
# The names of coded values, by the field that holds them.
VALUE_NAMES: dict[str, dict[str, Any]] = {
    "status": STATUS_NAMES,
    "stage": STAGE_NAMES,
    "outcome": {
        "resolved": _l("Resolved"), "partly_resolved": _l("Partly resolved"),
        "explained": _l("Explained, no fault found"),
        "not_substantiated": _l("Not substantiated"),
        "not_recorded": _l("Not recorded (imported history)"),
    },
    "kind": {"enterprise": _l("Enterprise"), "individual": _l("Individual")},
    "channel": {
        "web": _l("Web form"), "api": _l("API"), "hotline": _l("12345 hotline"),
        "window": _l("Service-hall window"), "letter": _l("Letter"), "email": _l("Email"),
        "sms": _l("Text message"), "webhook": _l("Webhook"), "inbox": _l("Inbox on the site"),
    },
    "visibility": {"internal": _l("Internal note"), "public": _l("Public update")},
    "invalidation_class": {"invalid": _l("Invalid"), "malicious": _l("Malicious")},
    "method": {"phone": _l("Phone call"), "visit": _l("Visit"), "sms": _l("Text message"),
               "email": _l("Email")},
    "language": LANGUAGES,
    "basis": {
        "filer_request": _l("At the filer's request"),
        "retention_expired": _l("Retention period ended"),
        "purpose_fulfilled": _l("Purpose fulfilled"),
    },
}  # fmt: skip
DEPARTMENT_FIELDS = {"proposed_lead", "proposed_co", "lead", "co", "from_department", "to",
                     "department"}
# A department field left empty names the intake desk (a transfer back, a breach at intake).
INTAKE_WHEN_EMPTY = {"to", "department"}
CODE_FIELDS = {"access_code_hash", "submission_digest", "notification_id", "message_id",
               "reference", "credit_code", "other", "primary", "duplicate"}
FAULTS = {
    audit.UNREADABLE: _l("it cannot be read"),
    audit.OUT_OF_PLACE: _l("it is not at its place in the order of events"),
    audit.BROKEN_LINK: _l("it does not carry the hash of the event before it"),
    audit.ALTERED: _l("its content does not match its hash: it was changed after recording"),
}


def shown(key: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "score" and value in RATINGS:
        return f"{value} – {RATINGS[value]}"
    if key == "category":
        return category_name(value)
    names = VALUE_NAMES.get(key)
    if names and value in names:
        return str(names[value])
    return str(value)


def is_long(text: str) -> bool:
    return len(text) > LONG_TEXT or "\n" in text


def named(names: dict[str, Any]):
    def name(code: str | None) -> str:
        return str(names.get(code, code or ""))

    return name


def vocabulary() -> dict[str, Any]:
    """What the audit templates use to put codes into words."""
    return {
        "event_name": named(EVENT_NAMES),
        "status_name": named(STATUS_NAMES),
        "stage_name": named(STAGE_NAMES),
        "review_stage_name": named(REVIEW_STAGES),
        "outcome_name": named(VALUE_NAMES["outcome"]),
        "channel_name": named(VALUE_NAMES["channel"]),
        "rating_name": lambda score: shown("score", score),
        "is_long": is_long,
    }
