"""What each reader may see of a case and of its events, as plain values."""

from __future__ import annotations

from typing import Any

from complaints.application.masking import withhold_filer
from complaints.application.principals import Principal
from complaints.domain.case import Case
from complaints.domain.chain import canonical
from complaints.domain.values import FilerKind, Role, Visibility
from shared.contract.delivery_failures import as_reason_code

# Event fields that are bookkeeping of the library or the chain, not what happened.
_ENVELOPE = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "stamp",
    "prev_hash",
    "hash",
}
# Kept for verification, shown to no one but auditors.
_SECRETS = {"access_code_hash", "submission_digest"}
_STAFF = {Role.INTAKE, Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR, Role.SYSTEM}


def filer_masked_for(principal: Principal, case: Case) -> bool:
    """Departments see nothing of who filed a confidential or anonymous case."""
    return principal.role is Role.HANDLER and (case.confidential or case.anonymous)


def case_view(case: Case, principal: Principal) -> dict[str, Any]:
    masked = filer_masked_for(principal, case)
    # The kind is said even where the filing left it to its default.
    filer = {**case.filer.as_record(), "kind": case.filer.kind or FilerKind.ENTERPRISE.value}
    view = {
        "id": str(case.id),
        "reference": case.reference,
        "version": case.version,
        "status": case.status,
        "round": case.round,
        "channel": case.channel,
        "on_behalf_of": case.on_behalf_of,
        "category": case.category,
        "subject": case.subject,
        "description": case.description,
        "happened_on": case.happened_on,
        "happened_at_place": case.happened_at_place,
        "attachments": list(case.attachments),
        "confidential": case.confidential,
        "anonymous": case.anonymous,
        "filer": withhold_filer(filer) if masked else filer,
        "filer_masked": masked,
        "filed_at": case.filed_at,
        "due_at": case.due_at,
        "deadline": _deadline(case),
        "escalations": case.escalations,
        "lead_department": case.lead_department,
        "co_departments": list(case.co_departments),
        "proposed_lead": case.proposed_lead,
        "proposed_co": list(case.proposed_co),
        "referred_to": case.referred_to,
        "requested_items": list(case.requested_items),
        "reply": case.reply,
        "related": list(case.related),
        "duplicate_of": case.duplicate_of,
        "duplicates": list(case.duplicates),
        "review": {
            "score": case.review.score,
            "bad": case.review.bad,
            "invalidated": case.review.invalidated,
            "upheld": case.review.upheld,
            "rectified": case.review.rectified,
            "followed_up": case.review.followed_up,
            "stage": case.review.stage,
        },
        "closed_at": case.closed_at,
        "messages": [_message(message, masked) for message in case.messages],
        "filer_unreachable": case.filer_unreachable,
        "personal_data": personal_data(case),
        "updated_at": case.modified_on,
    }
    return canonical(view)


def personal_data(case: Case) -> dict[str, Any]:
    """Whether the case's personal data was erased, when, and on which basis."""
    erased = case.personal_data_erased
    return {
        "erased": erased is not None,
        "erased_at": erased["erased_at"] if erased else None,
        "basis": erased["basis"] if erased else None,
    }


def _deadline(case: Case) -> dict[str, Any] | None:
    deadline = case.deadline
    if deadline is None:
        return None
    return {
        "stage": deadline.stage.value,
        "started_at": deadline.started_at,
        "due_at": deadline.due_at,
        "provisional": deadline.provisional,
        "working_days": deadline.working_days,
        "extended": deadline.extended,
        "warned": deadline.warned,
        "breached": deadline.breached,
        "paused": not deadline.running,
    }


def _message(message: dict[str, Any], masked: bool) -> dict[str, Any]:
    """One notice to the filer, with the channels it reached and the positions of the events
    that recorded it (one, or one per channel in histories from before notices were)."""
    shown = {key: message[key] for key in (
        "notification_id", "channel", "template", "message_id", "sent_at", "positions")}
    shown["channels"] = [dict(channel) for channel in message["channels"]]
    # What the filer was told may name them; a department that sees them masked gets no text.
    if not masked:
        shown["text"] = message["text"]
    return shown


def event_view(event: Any, case: Case, principal: Principal) -> dict[str, Any] | None:
    """One event as `principal` may see it, or None when it is not theirs to see."""
    name = type(event).__name__
    data = {key: value for key, value in event.__dict__.items() if key not in _ENVELOPE}
    internal = name == "ProgressNoted" and data.get("visibility") != Visibility.PUBLIC
    if internal and principal.role not in _STAFF:
        return None
    if principal.role is not Role.AUDITOR:
        for key in _SECRETS:
            data.pop(key, None)
    if name == "FilerUnreachable":
        # Recorded before reasons were codes, a reason may hold the network's words and the
        # filer's URL: every reader gets a code (the stored event stays as it was, verifiable).
        data["reason"] = as_reason_code(data.get("reason", ""))
    if filer_masked_for(principal, case):
        _withhold_filer_in(name, data)
    stamp = event.stamp
    staff_actor = stamp.actor_role in {role.value for role in _STAFF}
    actor_id = stamp.actor_id
    if principal.role is Role.FILER and staff_actor:
        actor_id = None  # the filer learns which office acted, not which person
    return canonical(
        {
            "position": event.originator_version,
            "type": name,
            "recorded_at": event.timestamp,
            "occurred_at": stamp.occurred_at,
            "actor": {"id": actor_id, "role": stamp.actor_role},
            "data": data,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
    )


def _withhold_filer_in(name: str, data: dict[str, Any]) -> None:
    """The events that hold who the filer is or how they were reached, as a department
    that sees the filer withheld may read them."""
    if name == "Filed":
        data["filer"] = withhold_filer(data["filer"])
    elif name == "FilerNotified":
        data.pop("text", None)  # what the filer was told names them
