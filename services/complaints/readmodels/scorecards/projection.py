"""The scorecards' projection: notifications folded into per-case facts."""

from __future__ import annotations

from eventsourcing.persistence import Notification

from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, CASE_TOPIC_PREFIX, Batch, is_case_event
from complaints.readmodels.projection import TrackedProjection
from complaints.readmodels.scorecards.facts import FOLDED_EVENTS, CaseFacts, facts_of_filing
from complaints.readmodels.scorecards.queries import Scorecards


class ScorecardProjection(TrackedProjection):
    """Folds notifications into case facts.

    Events are decoded from the notifications with the application's mapper, and only those
    a scorecard reads; aggregates are never loaded. Each case's facts also remember the last
    version folded, so an event can never be folded twice.
    """

    label = "scorecards"

    def __init__(
        self, app: Complaints, scorecards: Scorecards, batch_size: int = BATCH_SIZE
    ) -> None:
        super().__init__(app, scorecards.recorder, batch_size)
        self.scorecards = scorecards

    def changes(self, batch: Batch) -> list[CaseFacts]:
        events = [n for n in batch.notifications if is_case_event(n)]
        cases = self.scorecards.recorder.load({str(n.originator_id) for n in events})
        changed: dict[str, CaseFacts] = {}
        for notification in events:
            key = str(notification.originator_id)
            facts = _folded(self.app, cases.get(key), key, notification)
            if facts is not None:
                cases[key] = changed[key] = facts
        return list(changed.values())

    def rebuild(self) -> int:
        """Empty the facts and their tracking, then fold the whole log again."""
        self.scorecards.recorder.recreate_tables()
        return self.catch_up()


def _folded(
    app: Complaints, facts: CaseFacts | None, key: str, notification: Notification
) -> CaseFacts | None:
    """The facts after one more event of the case, or None when the event changes nothing."""
    version = notification.originator_version
    if facts is not None and version <= facts.version:
        return None  # folded already
    name = notification.topic[len(CASE_TOPIC_PREFIX) :]
    if name not in FOLDED_EVENTS:
        if facts is not None:
            facts.version = version
        return facts
    event = app.mapper.to_domain_event(notification)
    if name == "Filed":
        facts = facts_of_filing(key, event)
    elif facts is None:
        return None  # a case whose filing this table never saw: nothing to count it in
    else:
        facts.apply(name, event)
    facts.version = version
    return facts
