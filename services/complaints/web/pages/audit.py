"""The auditor's pages: find a case, read its every event, see it as it stood, verify, export."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from complaints.application import audit
from complaints.application.history_export import export_case, file_name
from complaints.application.service import REFERENCE_PATTERN
from complaints.domain.case import IMPORTER_PREFIX, case_id_for
from complaints.domain.errors import DomainError
from complaints.domain.values import Role
from complaints.web.downloads import history_file
from complaints.web.pages.labels import category_name, department_name, role_name
from complaints.web.pages.languages import LANGUAGES
from complaints.web.pages.sessions import current_principal, staff_required
from complaints.web.runtime import runtime

log = logging.getLogger(__name__)
blp = Blueprint("audit", __name__, url_prefix="/staff/audit")

RECENT_CASES = 10
# Recorded this long after it happened: typed in later (a hotline call) or imported history.
NOTABLE_DELAY = timedelta(minutes=5)
# Texts longer than this are folded, their first words shown.
LONG_TEXT = 160
FORM_PROBLEM = 422

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
    "Rated": _l("Rated by the filer"),
    "RatingInvalidated": _l("Rating ruled invalid"),
    "ReviewConcluded": _l("Re-check concluded"),
    "Rectified": _l("Rectification recorded"),
    "FollowedUp": _l("Return visit recorded"),
    "Reopened": _l("Reopened"),
    "Closed": _l("Closed"),
    "FilerNotified": _l("Filer notified"),
    "FilerUnreachable": _l("Filer unreachable"),
}

FIELD_NAMES = {
    "reference": _l("Reference"), "channel": _l("Channel"), "filer": _l("Filer"),
    "on_behalf_of": _l("Filed by staff for a caller"), "category": _l("Category"),
    "subject": _l("Subject"), "description": _l("Description"),
    "happened_on": _l("Happened on"), "happened_at_place": _l("Where it happened"),
    "attachments": _l("Attachments"), "confidential": _l("Confidential"),
    "anonymous": _l("Anonymous"), "access_code_hash": _l("Access code (its hash)"),
    "submission_digest": _l("Digest of the submission"), "due_at": _l("Due"),
    "due_provisional": _l("Due time provisional"),
    "due_working_days": _l("Working days allowed"), "enterprise_name": _l("Enterprise"),
    "credit_code": _l("Unified social credit code"), "contact_person": _l("Contact person"),
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
    "message_id": _l("Message id"), "sent_at": _l("Sent"),
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
    },
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
}  # fmt: skip
DEPARTMENT_FIELDS = {"proposed_lead", "proposed_co", "lead", "co", "from_department", "to",
                     "department"}
# A department field left empty names the intake desk (a transfer back, a breach at intake).
INTAKE_WHEN_EMPTY = {"to", "department"}
CODE_FIELDS = {"access_code_hash", "submission_digest", "notification_id", "message_id",
               "reference", "credit_code"}
FAULTS = {
    audit.UNREADABLE: _l("it cannot be read"),
    audit.OUT_OF_PLACE: _l("it is not at its place in the order of events"),
    audit.BROKEN_LINK: _l("it does not carry the hash of the event before it"),
    audit.ALTERED: _l("its content does not match its hash: it was changed after recording"),
}


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


@dataclass(frozen=True)
class Detail:
    """One datum of an event, ready to show: kind is text, long, time, code, list or group."""

    key: str
    label: str
    kind: str
    value: Any


@blp.route("", methods=["GET"])
@staff_required(Role.AUDITOR, Role.SUPERVISOR)
def find():
    form = FindCaseForm(request.args)
    problems: list[str] = []
    if "reference" in request.args and form.validate():
        reference = form.reference.data.strip().upper()
        if not REFERENCE_PATTERN.match(reference):
            problems.append(_("A reference looks like HY-2026-000123."))
        elif not runtime().services.complaints.recorder.select_events(
            case_id_for(reference), limit=1
        ):
            problems.append(_("No case has the reference %(ref)s.", ref=reference))
        else:
            return redirect(url_for(".case", reference=reference), code=303)
    recent = runtime().case_index.search(limit=RECENT_CASES)
    status = FORM_PROBLEM if problems or form.errors else 200
    return render_template(
        "audit/find.html", form=form, problems=problems, recent=recent.items,
        behind=recent.lag.behind, status_name=_named(STATUS_NAMES),
    ), status


@blp.route("/<reference>", methods=["GET"])
@staff_required(Role.AUDITOR, Role.SUPERVISOR)
def case(reference: str):
    principal = current_principal()
    app = runtime().services.complaints
    case_id = app.resolve_case_id(reference)
    verification = audit.verify_case(app, case_id)
    reference = verification.reference or reference  # as filed, whichever way it was named
    latest = verification.events_checked
    at = _position(request.args.get("at"), latest)
    try:
        history = audit.case_history(app, principal, case_id)
        then = history if at == latest else audit.case_history(
            app, principal, case_id, as_of_position=at
        )
    except DomainError:
        raise
    except Exception:
        if verification.intact:
            raise
        # The broken chain is why: show what verification found, without the replay.
        log.warning("a case with a broken chain cannot be replayed", exc_info=True,
                    extra={"case_id": str(case_id)})
        history = then = None
    events = [_event(event) for event in history["events"]] if history else []
    names = {event["position"]: event["type_name"] for event in events}
    faults = [(event, _fault_sentences(event)) for event in verification.broken]
    return render_template(
        "audit/case.html",
        reference=reference,
        verification=verification,
        broken_events=faults,
        faults_at={event.position: sentences for event, sentences in faults},
        head=events[-1] if events else None,
        events=events,
        state=then["state"] if then else None,
        at=at,
        latest=latest,
        moment_label=lambda position: _(
            "Event %(position)s of %(latest)s: %(name)s",
            position=position, latest=latest, name=names.get(position, ""),
        ),
        may_export=principal.role is Role.AUDITOR,
        export_name=file_name({"reference": reference}),
        event_name=_named(EVENT_NAMES),
        status_name=_named(STATUS_NAMES),
        stage_name=_named(STAGE_NAMES),
        review_stage_name=_named(REVIEW_STAGES),
        outcome_name=_named(VALUE_NAMES["outcome"]),
        channel_name=_named(VALUE_NAMES["channel"]),
        rating_name=lambda score: _shown("score", score),
        is_long=_is_long,
    )


@blp.route("/<reference>/export", methods=["GET"])
@staff_required(Role.AUDITOR)
def export(reference: str):
    app = runtime().services.complaints
    document = export_case(app, current_principal(), app.resolve_case_id(reference))
    log.info("case history exported", extra={"case_id": document["case_id"],
                                               "actor": current_principal().actor_id})
    return history_file(document)


def _position(raw: str | None, latest: int) -> int:
    """The `at` of the address: a position from 1 to the latest; the latest when not given."""
    if raw is None or raw == "":
        return latest
    if not (raw.isascii() and raw.isdigit()):
        abort(400)
    position = int(raw)
    if not 1 <= position <= latest:
        abort(404)
    return position


def _event(view: dict[str, Any]) -> dict[str, Any]:
    recorded = datetime.fromisoformat(view["recorded_at"])
    occurred = datetime.fromisoformat(view["occurred_at"])
    actor = view["actor"]
    delay = recorded - occurred
    return {
        **view,
        "type_name": str(EVENT_NAMES.get(view["type"], view["type"])),
        "role_name": _role(actor["role"]),
        "imported": (actor["id"] or "").startswith(IMPORTER_PREFIX),
        "delay": format_timedelta(delay, threshold=1.0) if delay > NOTABLE_DELAY else None,
        "details": [_detail(key, value) for key, value in view["data"].items()],
    }


def _detail(key: str, value: Any) -> Detail:
    label = str(FIELD_NAMES.get(key, key))
    if isinstance(value, dict):
        return Detail(key, label, "group", [_detail(k, v) for k, v in value.items()])
    if key in DEPARTMENT_FIELDS:
        if isinstance(value, list):
            return Detail(key, label, "list", [_department(code) for code in value])
        empty = _("Intake desk") if key in INTAKE_WHEN_EMPTY else ""
        return Detail(key, label, "text", _department(value) if value else empty)
    if isinstance(value, list):
        return Detail(key, label, "list", [_shown(key, item) for item in value])
    if key.endswith("_at") and isinstance(value, str):
        return Detail(key, label, "time", value)
    shown = _shown(key, value)
    if key in CODE_FIELDS:
        return Detail(key, label, "code", shown)
    return Detail(key, label, "long" if _is_long(shown) else "text", shown)


def _shown(key: str, value: Any) -> str:
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


def _is_long(text: str) -> bool:
    return len(text) > LONG_TEXT or "\n" in text


def _department(code: str) -> str:
    name = department_name(code)
    return f"{name} ({code})" if name != code else code


def _role(role: str) -> str:
    if role == Role.SYSTEM.value:
        return _("System")
    return role_name(role)


def _named(names: dict[str, Any]):
    def name(code: str | None) -> str:
        return str(names.get(code, code or ""))

    return name


def _fault_sentences(event: audit.BrokenEvent) -> list[str]:
    """Why an event does not verify, in the reader's language; the checker's words otherwise."""
    known = [str(FAULTS[fault]) for fault in event.faults if fault in FAULTS]
    return known or [event.problem]

