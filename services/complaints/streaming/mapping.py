"""The one place where Case events become integration events: domain event → envelope.

What is not mapped here stays inside: internal notes, the receipts that came back from
notify (FilerNotified, FilerUnreachable), and the events of other aggregates.

Every personal value goes out as it is stored, sealed with the case's key (its token,
`complaints.domain.personal.stored_form`): the filer's details in `case.filer` and the
filer's own words (`shared.contract.case_events.SEALED_FIELDS`). The relay publishes the
case's key, wrapped, on the keys channel before the first of them (`complaints.streaming.relay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification

from complaints.application.access_codes import derive_access_code
from complaints.application.personal_data import RevealingMapper
from complaints.application.service import Complaints
from complaints.domain.case import Case
from complaints.domain.values import BAD_RATING_MAX, Language, Stage, Visibility
from complaints.following import is_case_event
from complaints.streaming.case_states import CaseStates
from complaints.timelimits.deadlines import Deadlines
from shared.contract import case_events as wire
from shared.contract.envelope import Envelope, event_id_for

FILER_CONTACTS = wire.SEALED_FILER_FIELDS


class CaseEventMapper:
    """Turns a batch of notifications into the envelopes to publish, in the log's order."""

    def __init__(self, app: Complaints, secret_key: str) -> None:
        self.app = app
        self.secret_key = secret_key
        self.states = CaseStates(app)

    def envelopes(self, notifications: Sequence[Notification]) -> list[Envelope]:
        envelopes = []
        for notification in notifications:
            if not is_case_event(notification):
                continue
            event = self._decoded(notification)
            case = self.states.after(event)
            mapped = integration_event(event, case, self.secret_key, self.app.deadlines)
            if mapped is None:
                continue
            event_type, data = mapped
            data = sealed_as_stored(data)
            data["historical"] = case.is_historical(event)
            envelopes.append(
                Envelope(
                    event_id=event_id_for(case.id, event.originator_version),
                    event_type=event_type,
                    schema_version=wire.CURRENT_VERSION[event_type],
                    case_id=case.id,
                    case_version=event.originator_version,
                    position=notification.id,
                    occurred_at=event.stamp.occurred_at,
                    recorded_at=event.timestamp,
                    data={**data, "case": case_context(case)},
                )
            )
        return envelopes

    def _decoded(self, notification: Notification) -> Case.Event:
        """The event with its personal values as stored: the wire carries the tokens, so
        opening them (a key look-up and a decryption each) would only be undone."""
        mapper = self.app.mapper
        if isinstance(mapper, RevealingMapper):
            return mapper.to_sealed_domain_event(notification)
        return mapper.to_domain_event(notification)


def integration_event(
    event: Case.Event, case: Case, secret_key: str, deadlines: Deadlines
) -> tuple[str, dict[str, Any]] | None:
    """The wire type and data of a Case event; None for what stays inside."""
    match event:
        case Case.Filed():
            expected = (
                deadlines.start(Stage.REPLY, event.category, event.due_at)
                if event.due_at else None
            )
            return wire.FILED, {
                "channel": event.channel,
                "subject": event.subject,
                # The filer must get the code by email; it is derived, never stored.
                "access_code": derive_access_code(secret_key, case.id),
                "accept_by": event.due_at,
                "expected_reply_by": expected.at if expected else None,
                "provisional": event.due_provisional or bool(expected and expected.provisional),
            }
        case Case.Accepted():
            return wire.ACCEPTED, {
                "proposed_lead": event.proposed_lead,
                "proposed_co": list(event.proposed_co),
            }
        case Case.Referred():
            return wire.REFERRED, {"reason": event.reason, "where_to": event.where_to}
        case Case.Assigned():
            return wire.ASSIGNED, {
                "lead": event.lead,
                "co": list(event.co),
                "due_at": event.due_at,
                "due_provisional": event.due_provisional,
            }
        case Case.Transferred():
            return wire.TRANSFERRED, {
                "from_department": event.from_department,
                "to": event.to,
                "reason": event.reason,
                "due_at": event.due_at,
                "due_provisional": event.due_provisional,
            }
        case Case.InformationRequested():
            return wire.INFORMATION_REQUESTED, {"items": list(event.items)}
        case Case.InformationSupplied():
            return wire.INFORMATION_SUPPLIED, {}
        case Case.ProgressNoted() if event.visibility == Visibility.PUBLIC:
            return wire.PUBLIC_UPDATE, {"text": event.text}
        # A duplicate answered by its primary's reply: its filer is told it as a reply.
        case Case.Responded() | Case.AnsweredThroughPrimary() | Case.AnsweredAtFirstContact():
            return wire.RESPONDED, {
                "outcome": event.outcome,
                "reply": event.reply,
                "actions": list(getattr(event, "actions", [])),
                "round": case.round,
            }
        case Case.Rated():
            return wire.RATED, {
                "score": event.score,
                "bad": event.score <= BAD_RATING_MAX,
                "round": event.round,
                "comment": event.comment,
            }
        case Case.RatingInvalidated():
            return wire.RATING_INVALIDATED, {
                "invalidation_class": event.invalidation_class,
                "reason": event.reason,
            }
        case Case.ReviewConcluded():
            return wire.REVIEW_CONCLUDED, {
                "upheld": event.upheld,
                "explanation": event.explanation,
            }
        case Case.Rectified():
            return wire.RECTIFIED, {"actions": list(event.actions)}
        case Case.FollowedUp():
            return wire.FOLLOWED_UP, {"method": event.method, "satisfied": event.satisfied}
        case Case.Reopened():
            return wire.REOPENED, {"reason": event.reason, "round": event.round}
        case Case.Closed():
            return wire.CLOSED, {}
        case Case.DeadlineExtended():
            return wire.DEADLINE_EXTENDED, {
                "stage": event.stage,
                "working_days": event.working_days,
                "reason": event.reason,
                "due_at": event.due_at,
                "due_provisional": event.due_provisional,
            }
        case Case.DeadlineRecomputed():
            return wire.DEADLINE_RECOMPUTED, {
                "stage": event.stage,
                "due_at": event.due_at,
                "due_provisional": event.due_provisional,
                "previous_due_at": event.previous_due_at,
                "reason": event.reason,
            }
        case Case.DeadlineApproaching():
            return wire.DEADLINE_APPROACHING, _deadline_data(event)
        case Case.DeadlineBreached():
            return wire.DEADLINE_BREACHED, _deadline_data(event)
        case Case.Escalated():
            return wire.ESCALATED, {
                "stage": event.stage,
                "department": event.department,
                "reason": event.reason,
            }
        case Case.PersonalDataErased():
            return wire.PERSONAL_DATA_ERASED, {"basis": event.basis}
    return None


def sealed_as_stored(value: Any) -> Any:
    """`value` with each personal value as its sealed token; marshmallow would write the text.

    A value read unopened is the token itself, or (as an earlier version stored it) an
    object carrying it; one opened (a case loaded from the store) is a `SealedText`.
    """
    token = getattr(value, "token", None)
    if isinstance(token, str):
        return token
    if isinstance(value, dict):
        return {key: sealed_as_stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sealed_as_stored(item) for item in value]
    return value


def _deadline_data(event: Case.Event) -> dict[str, Any]:
    return {"stage": event.stage, "due_at": event.due_at, "department": event.department}


def case_context(case: Case) -> dict[str, Any]:
    """Who filed the case and who handles it, as every event's data carries it."""
    filer = case.filer.as_record()
    return {
        "reference": case.reference,
        "category": case.category,
        "language": filer.get("language") or Language.ZH.value,
        "confidential": case.confidential,
        "anonymous": case.anonymous,
        "lead_department": case.lead_department,
        "co_departments": list(case.co_departments),
        "personal_data_erased": case.personal_data_erased is not None,
        "filer": {
            # Sealed tokens (an erased value keeps its token, which no key opens any more).
            **{name: sealed_as_stored(filer.get(name)) or None for name in FILER_CONTACTS},
            # The inbox is the case's own history, always written: not a channel to choose.
            "notify_by": [
                channel
                for channel in filer.get("notify_by") or []
                if channel in wire.NOTIFY_CHANNELS
            ],
        },
    }
