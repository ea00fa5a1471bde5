"""Replaying a case as it stood at any moment, and verifying its chain of hashes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from complaints.application.permissions import authorize_read
from complaints.application.principals import Principal
from complaints.application.service import CaseNotFoundError, Complaints
from complaints.application.views import case_view, event_view
from complaints.domain.case import Case
from complaints.domain.chain import GENESIS, event_hash
from complaints.domain.errors import InvalidValueError

_PAGE = 500


@dataclass(frozen=True)
class BrokenEvent:
    position: int
    event_type: str
    problem: str


@dataclass(frozen=True)
class Verification:
    case_id: UUID
    reference: str | None
    events_checked: int
    broken: list[BrokenEvent] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken


def case_history(
    app: Complaints,
    principal: Principal,
    case_id: UUID,
    *,
    as_of_time: datetime | None = None,
    as_of_position: int | None = None,
) -> dict[str, Any]:
    """The events up to a moment (a recorded time or a position) and the case as it was then."""
    if as_of_time is not None and as_of_position is not None:
        raise InvalidValueError("give as_of as a time or as a position, not both", field="as_of")
    current = app.read_case(principal, case_id)
    events = list(app.repository.event_store.get(case_id))
    if as_of_position is not None:
        events = events[:as_of_position]
    elif as_of_time is not None:
        events = [event for event in events if event.timestamp <= as_of_time]
    if not events:
        raise CaseNotFoundError("the case did not exist yet at that moment")
    then = app.load_case(case_id, version=events[-1].originator_version)
    authorize_read(principal, current)
    visible = [view for event in events if (view := event_view(event, current, principal))]
    return {
        "case_id": str(case_id),
        "as_of_position": then.version,
        "latest_position": current.version,
        "events": visible,
        "state": case_view(then, principal),
    }


def verify_case(app: Complaints, case_id: UUID) -> Verification:
    """Recompute every hash from the stored rows; name each event that does not hold."""
    stored = app.recorder.select_events(case_id)
    if not stored:
        raise CaseNotFoundError(f"no case {case_id}")
    broken: list[BrokenEvent] = []
    previous = GENESIS
    reference = None
    for expected_position, row in enumerate(stored, start=1):
        event_type = row.topic.rpartition(".")[2]
        try:
            event = app.mapper.to_domain_event(row)
        except Exception as error:
            broken.append(
                BrokenEvent(
                    row.originator_version, event_type, f"unreadable: {type(error).__name__}"
                )
            )
            previous = None
            continue
        reference = getattr(event, "reference", reference)
        problems = []
        if row.originator_version != expected_position:
            problems.append(f"position {row.originator_version} where {expected_position} belongs")
        # The library adds the aggregate's topic to a created event after it is hashed.
        fields = {k: v for k, v in event.__dict__.items() if k != "originator_topic"}
        if previous is not None and event.prev_hash != previous:
            problems.append("its previous hash does not match the event before it")
        if event_hash(type(event).__qualname__, fields) != event.hash:
            problems.append("its content does not match its hash")
        if problems:
            broken.append(BrokenEvent(row.originator_version, event_type, "; ".join(problems)))
        previous = event.hash
    return Verification(case_id, reference, len(stored), broken)


def all_case_ids(app: Complaints) -> Iterator[UUID]:
    topic = f"{Case.__module__}:{Case.Filed.__qualname__}"
    start = None
    while True:
        page = app.recorder.select_notifications(
            start=start, limit=_PAGE, topics=[topic], inclusive_of_start=False
        )
        for notification in page:
            yield notification.originator_id
        if len(page) < _PAGE:
            return
        start = page[-1].id
