"""Replaying a case as it stood at any moment, and verifying its chain of hashes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate

from complaints.application.case_application import CaseNotFoundError
from complaints.application.permissions import authorize_read
from complaints.application.principals import Principal
from complaints.application.service import Complaints
from complaints.application.views import case_view, event_view
from complaints.domain.case import Case
from complaints.domain.chain import GENESIS, event_hash
from complaints.domain.errors import InvalidValueError

_PAGE = 500


# What can be wrong with an event of the chain, for readers who name it in their own language.
UNREADABLE = "unreadable"
OUT_OF_PLACE = "position"
BROKEN_LINK = "link"
ALTERED = "content"


@dataclass(frozen=True)
class BrokenEvent:
    position: int
    event_type: str
    problem: str
    faults: tuple[str, ...] = ()  # UNREADABLE, OUT_OF_PLACE, BROKEN_LINK, ALTERED


@dataclass(frozen=True)
class Verification:
    case_id: UUID
    reference: str | None
    events_checked: int
    broken: list[BrokenEvent] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken


@dataclass(frozen=True)
class ChainLink:
    """One event as the chain sees it, read from the store or from an exported history.

    `body` is everything its hash covers but the type name (`hashed_type`, e.g. Case.Filed),
    the previous event's hash included; `hash` is the hash it carries.
    """

    position: int
    event_type: str
    hashed_type: str
    body: Mapping[str, Any]
    hash: str


@dataclass(frozen=True)
class UnreadableLink:
    """An event that could not be read at all; the chain cannot be followed through it."""

    position: int
    event_type: str
    problem: str


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
    # The events are read once; the case now and as it stood then are both folded from them.
    stored = app.case_events(case_id)
    current = project_aggregate(None, stored)
    if not isinstance(current, Case):
        raise CaseNotFoundError(f"no case {case_id}", case_id=str(case_id))
    authorize_read(principal, current)
    events = stored
    if as_of_position is not None:
        events = events[:as_of_position]
    elif as_of_time is not None:
        events = [event for event in events if event.timestamp <= as_of_time]
    if not events:
        raise CaseNotFoundError("the case did not exist yet at that moment")
    then = current if len(events) == len(stored) else project_aggregate(None, events)
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
    return verify_links(case_id, stored_links(app, case_id))


def stored_links(app: Complaints, case_id: UUID) -> list[ChainLink | UnreadableLink]:
    """A case's events as stored, in order, each as the chain sees it."""
    stored = app.recorder.select_events(case_id)
    if not stored:
        raise CaseNotFoundError(f"no case {case_id}", case_id=str(case_id))
    links: list[ChainLink | UnreadableLink] = []
    for row in stored:
        event_type = row.topic.rpartition(".")[2]
        try:
            event = app.mapper.to_domain_event(row)
        except Exception as error:
            problem = f"unreadable: {type(error).__name__}"
            links.append(UnreadableLink(row.originator_version, event_type, problem))
            continue
        # The library adds the aggregate's topic to a created event after it is hashed.
        body = {k: v for k, v in vars(event).items() if k not in ("originator_topic", "hash")}
        links.append(
            ChainLink(row.originator_version, event_type, type(event).__qualname__, body,
                      event.hash)
        )
    return links


def verify_links(
    case_id: UUID, links: Sequence[ChainLink | UnreadableLink]
) -> Verification:
    """The one check of a chain, wherever its events were read from.

    Each event must follow the one before it (positions 1, 2, …), carry its hash (the first
    one: none), and hash to the hash it carries. Past an unreadable event the next link
    cannot be checked, only the next event's own content.
    """
    broken: list[BrokenEvent] = []
    previous: str | None = GENESIS
    previous_position = 0
    reference = None
    for link in links:
        expected_position, previous_position = previous_position + 1, link.position
        if isinstance(link, UnreadableLink):
            broken.append(BrokenEvent(link.position, link.event_type, link.problem, (UNREADABLE,)))
            previous = None
            continue
        if isinstance(link.body.get("reference"), str):
            reference = link.body["reference"]  # the filing names the case
        faults: dict[str, str] = {}
        if link.position != expected_position:
            faults[OUT_OF_PLACE] = f"position {link.position} where {expected_position} belongs"
        if previous is not None and link.body.get("prev_hash") != previous:
            faults[BROKEN_LINK] = "its previous hash does not match the event before it"
        if event_hash(link.hashed_type, link.body) != link.hash:
            faults[ALTERED] = "its content does not match its hash"
        if faults:
            broken.append(BrokenEvent(
                link.position, link.event_type, "; ".join(faults.values()), tuple(faults)
            ))
        previous = link.hash
    return Verification(case_id, reference, len(links), broken)


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
