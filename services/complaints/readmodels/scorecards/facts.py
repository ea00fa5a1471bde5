"""One case folded from its events into the facts that department scorecards count.

Every time is the one the event says the thing happened in the world (`stamp.occurred_at`),
never the time it was recorded: imported history and hotline calls typed in later count on
the day they happened.

A case's clock runs in stages (accept, reply, rectify, return_visit). Each event that starts
a stage opens a *run* of it with the due time the event recorded; a later event's due time
for the same stage (information supplied, an extension, a recomputation) replaces it, so a
run's due time is the one in force, the latest. A run ends *done* when its step is taken
(Assigned or Referred for accept, the round's reply, the rectification, the return visit),
or *superseded* when another stage starts first (a transfer restarts the reply stage with
the new department; one back to intake starts a new accept stage).

Imported history runs its stages against the same due times, except a stage whose end the
source did not date (`complaints.importing.history`): the importer gives it none, so in an
imported case a stage without a due time is one whose time is not recorded, neither on time
nor late.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaints.domain.case import IMPORTER_PREFIX

ACCEPT, REPLY, RECTIFY, RETURN_VISIT = "accept", "reply", "rectify", "return_visit"
STAGES = (ACCEPT, REPLY, RECTIFY, RETURN_VISIT)
DONE, SUPERSEDED = "done", "superseded"


@dataclass
class StageRun:
    stage: str
    round: int
    started_at: datetime
    due_at: datetime | None
    ended_at: datetime | None = None
    outcome: str | None = None

    @property
    def done(self) -> bool:
        return self.outcome == DONE

    @property
    def on_time(self) -> bool:
        """Done at or before the due time in force; a stage given no due time cannot be late."""
        if not self.done or self.ended_at is None:
            return False
        return self.due_at is None or self.ended_at <= self.due_at


@dataclass
class RoundReview:
    """The filer's rating of one round and what became of it."""

    score: int | None = None
    invalidated: str | None = None
    upheld: bool | None = None


@dataclass
class CaseFacts:
    case_id: str
    reference: str
    category: str
    channel: str
    filed_at: datetime
    version: int = 1
    # The department that led the case last; a transfer back to intake does not erase it.
    department: str | None = None
    round: int = 1
    runs: list[StageRun] = field(default_factory=list)
    reviews: dict[int, RoundReview] = field(default_factory=dict)
    # Rounds ended by a reopening.
    reopened_rounds: list[int] = field(default_factory=list)
    # (stage, round) of each DeadlineBreached and each Escalated.
    breaches: list[tuple[str, int]] = field(default_factory=list)
    escalations: list[tuple[str, int]] = field(default_factory=list)
    closed: bool = False
    # The outcome of the latest reply, while it stands (a reopening withdraws it).
    outcome: str | None = None
    # Brought over by `huiyin import` (filed by `import:<source>`).
    imported: bool = False
    # Answered on the spot from a knowledge base entry, when intake filed it for a caller.
    at_first_contact: bool = False

    # -- reading -------------------------------------------------------------------------------

    def time_recorded(self, run: StageRun) -> bool:
        """Whether the run's end can be held to a due time (see the module's note)."""
        return run.due_at is not None or not self.imported

    def done_runs(self, stage: str) -> list[StageRun]:
        return [run for run in self.runs if run.stage == stage and run.done]

    @property
    def replied_rounds(self) -> set[int]:
        return {run.round for run in self.done_runs(REPLY)}

    @property
    def dispatched(self) -> bool:
        """Assigned to a department at least once (its reply stage has started)."""
        return any(run.stage == REPLY for run in self.runs)

    @property
    def transferred(self) -> bool:
        """Moved after an assignment. Within a round, only a transfer starts a stage again
        after the reply stage has started: the reply stage with the new department, or the
        accept stage when the case goes back to intake (a reopening starts a new round)."""
        assigned_in: set[int] = set()
        for run in self.runs:
            if run.stage in (ACCEPT, REPLY) and run.round in assigned_in:
                return True
            if run.stage == REPLY:
                assigned_in.add(run.round)
        return False

    @property
    def reopened_after_reply(self) -> bool:
        """Reopened after one of its replies (a reopened referral does not count)."""
        return any(number in self.replied_rounds for number in self.reopened_rounds)

    # -- folding -------------------------------------------------------------------------------

    def apply(self, name: str, event: Any) -> None:
        """Fold one Case event, named by its class (`Assigned`), into the facts."""
        fold = _FOLDS.get(name)
        if fold is not None:
            fold(self, event, event.stamp.occurred_at)

    def start_stage(self, stage: str, at: datetime, due_at: datetime | None) -> None:
        self.end_stage(SUPERSEDED, at)
        self.runs.append(StageRun(stage, self.round, at, due_at))

    def end_stage(self, outcome: str, at: datetime, stage: str | None = None) -> None:
        run = self.running
        if run is not None and (stage is None or run.stage == stage):
            run.ended_at, run.outcome = at, outcome

    @property
    def running(self) -> StageRun | None:
        run = self.runs[-1] if self.runs else None
        return run if run is not None and run.outcome is None else None

    def move_due(self, stage: str | None, due_at: datetime | None) -> None:
        """A later due time for the stage that runs (`stage` None: whichever runs)."""
        run = self.running
        if run is not None and (stage is None or run.stage == stage):
            run.due_at = due_at

    def review_of(self, number: int) -> RoundReview:
        return self.reviews.setdefault(number, RoundReview())

    # -- storing -------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps({
            "case_id": self.case_id, "reference": self.reference, "category": self.category,
            "channel": self.channel, "filed_at": _iso(self.filed_at), "version": self.version,
            "department": self.department, "round": self.round,
            "runs": [[run.stage, run.round, _iso(run.started_at), _iso(run.due_at),
                      _iso(run.ended_at), run.outcome] for run in self.runs],
            "reviews": {str(number): [review.score, review.invalidated, review.upheld]
                        for number, review in self.reviews.items()},
            "reopened_rounds": self.reopened_rounds,
            "breaches": self.breaches, "escalations": self.escalations,
            "closed": self.closed, "outcome": self.outcome, "imported": self.imported,
            "at_first_contact": self.at_first_contact,
        }, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CaseFacts:
        data = json.loads(text)
        return cls(
            case_id=data["case_id"], reference=data["reference"], category=data["category"],
            channel=data["channel"], filed_at=_moment(data["filed_at"]), version=data["version"],
            department=data["department"], round=data["round"],
            runs=[StageRun(stage, number, _moment(started), _time(due), _time(ended), outcome)
                  for stage, number, started, due, ended, outcome in data["runs"]],
            reviews={int(number): RoundReview(*values)
                     for number, values in data["reviews"].items()},
            reopened_rounds=list(data["reopened_rounds"]),
            breaches=[(stage, number) for stage, number in data["breaches"]],
            escalations=[(stage, number) for stage, number in data["escalations"]],
            closed=bool(data.get("closed", False)),
            outcome=data.get("outcome"),
            imported=bool(data.get("imported", False)),
            at_first_contact=bool(data.get("at_first_contact", False)),
        )


def facts_of_filing(case_id: str, event: Any) -> CaseFacts:
    """The facts of a case that has just been filed (its `Filed` event)."""
    at = event.stamp.occurred_at
    facts = CaseFacts(case_id, event.reference, event.category, event.channel, at,
                      imported=event.stamp.actor_id.startswith(IMPORTER_PREFIX))
    facts.start_stage(ACCEPT, at, getattr(event, "due_at", None))
    return facts


def _assigned(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(DONE, at, ACCEPT)
    facts.department = event.lead
    facts.start_stage(REPLY, at, event.due_at)


def _referred(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(DONE, at, ACCEPT)


def _transferred(facts: CaseFacts, event: Any, at: datetime) -> None:
    if event.to:
        facts.department = event.to
    facts.start_stage(REPLY if event.to else ACCEPT, at, event.due_at)


def _information_supplied(facts: CaseFacts, event: Any, at: datetime) -> None:
    due_at = getattr(event, "due_at", None)
    if due_at is not None:
        facts.move_due(None, due_at)


def _responded(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(DONE, at, REPLY)
    facts.outcome = str(event.outcome)


def _answered_at_first_contact(facts: CaseFacts, event: Any, at: datetime) -> None:
    """The call answered as it was taken: its accept stage done, a reply given."""
    facts.end_stage(DONE, at, ACCEPT)
    facts.outcome = str(event.outcome)
    facts.at_first_contact = True


def _answered_through_primary(facts: CaseFacts, event: Any, at: datetime) -> None:
    """A duplicate given its primary's reply as its own: its reply stage is done (a reply, on
    time or not) or, never dispatched, its accept stage; the reply's outcome stands."""
    facts.end_stage(DONE, at)
    facts.outcome = str(event.outcome)


def _rated(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.review_of(event.round).score = int(event.score)


def _rating_invalidated(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.review_of(event.round).invalidated = str(event.invalidation_class)


def _review_concluded(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.review_of(event.round).upheld = bool(event.upheld)
    if event.upheld:
        facts.start_stage(RECTIFY, at, getattr(event, "due_at", None))


def _rectified(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(DONE, at, RECTIFY)
    facts.start_stage(RETURN_VISIT, at, getattr(event, "due_at", None))


def _followed_up(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(DONE, at, RETURN_VISIT)


def _reopened(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(SUPERSEDED, at)
    facts.reopened_rounds.append(facts.round)
    facts.round = int(event.round)
    facts.closed, facts.outcome = False, None
    # Back to the lead department (status "assigned"), or to intake when there was none.
    stage = ACCEPT if str(event.status) == "filed" else REPLY
    facts.start_stage(stage, at, getattr(event, "due_at", None))


def _closed(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.end_stage(SUPERSEDED, at)
    facts.closed = True


def _due_moved(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.move_due(str(event.stage), event.due_at)


def _breached(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.breaches.append((str(event.stage), facts.round))


def _escalated(facts: CaseFacts, event: Any, at: datetime) -> None:
    facts.escalations.append((str(event.stage), facts.round))


_FOLDS = {
    "Assigned": _assigned,
    "Referred": _referred,
    "Transferred": _transferred,
    "InformationSupplied": _information_supplied,
    "Responded": _responded,
    "AnsweredAtFirstContact": _answered_at_first_contact,
    "AnsweredThroughPrimary": _answered_through_primary,
    "Rated": _rated,
    "RatingInvalidated": _rating_invalidated,
    "ReviewConcluded": _review_concluded,
    "Rectified": _rectified,
    "FollowedUp": _followed_up,
    "Reopened": _reopened,
    "Closed": _closed,
    "DeadlineExtended": _due_moved,
    "DeadlineRecomputed": _due_moved,
    "DeadlineBreached": _breached,
    "Escalated": _escalated,
}
# The events a scorecard reads; the others (notes, receipts, warnings…) need not be decoded.
FOLDED_EVENTS = frozenset({"Filed", *_FOLDS})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
