"""The scorecards' projection: notifications folded into per-case facts."""

from __future__ import annotations

import logging
import threading
from typing import Any

from eventsourcing.persistence import Notification

from complaints.application.personal_data import RevealingMapper
from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, CASE_TOPIC_PREFIX, Batch, is_case_event
from complaints.readmodels.projection import TrackedProjection
from complaints.readmodels.scorecards.buckets import (
    Change,
    StaleCalendar,
    contribution,
    fingerprint,
)
from complaints.readmodels.scorecards.facts import FOLDED_EVENTS, CaseFacts, facts_of_filing
from complaints.readmodels.scorecards.queries import Scorecards

log = logging.getLogger(__name__)


class ScorecardProjection(TrackedProjection):
    """Folds notifications into case facts, and moves each changed case's contribution
    between the buckets the scorecards sum.

    Events are decoded from the notifications with the application's mapper, and only those
    a scorecard reads, their personal values left sealed; aggregates are never loaded. Each
    case's facts also remember the last version folded, so an event can never be folded
    twice.

    A batch's changed cases have their old contribution (from the facts as stored) taken
    out of its old bucket and their new one added to the new bucket, in the transaction that
    stores the facts and the position: a case that moves department, is reopened or
    breaches after being counted moves with it.

    The calendar: reply times are counted in working days on the official calendar the
    application has now (`Scorecards.calendar`), which an operator may reload at runtime.
    The aggregates store the fingerprint of the calendar they were counted with. Before each
    batch (`process`, also with nothing pending, so a reload is noticed while the log is
    quiet) the projection compares it with the current calendar's; when they differ it
    recounts every contribution from the stored facts in one transaction (a full read of
    the facts, once per reload, never per request). The recorder refuses changes counted
    on any other calendar than the stored one (StaleCalendar), so a batch can never mix
    two. Until the recount is done a query on another calendar folds the facts instead
    (`Scorecards`), so figures stay exact meanwhile.
    """

    label = "scorecards"

    def __init__(
        self, app: Complaints, scorecards: Scorecards, batch_size: int = BATCH_SIZE
    ) -> None:
        super().__init__(app, scorecards.recorder, batch_size)
        self.scorecards = scorecards

    def catch_up(self, stop: threading.Event | None = None) -> int:
        # Recounted first even when no event is pending: aggregates of another calendar or
        # an earlier definition would otherwise wait for the next event to be summed again.
        self.scorecards.count_on_current_calendar()
        return super().catch_up(stop)

    def process(self, batch: Batch) -> int:
        self.scorecards.count_on_current_calendar()
        try:
            return super().process(batch)
        except StaleCalendar:
            log.info("scorecards: the calendar changed during a batch; recounted, batch skipped")
            self.scorecards.count_on_current_calendar()
            return 0

    def changes(self, batch: Batch) -> list[Change]:
        events = [n for n in batch.notifications if is_case_event(n)]
        cases = self.scorecards.recorder.load({str(n.originator_id) for n in events})
        calendar = self.scorecards.calendar()
        print_ = fingerprint(calendar)
        before = {key: contribution(facts, calendar, print_) for key, facts in cases.items()}
        changed: dict[str, CaseFacts] = {}
        for notification in events:
            key = str(notification.originator_id)
            facts = _folded(self.app, cases.get(key), key, notification)
            if facts is not None:
                cases[key] = changed[key] = facts
        return [Change(facts, before.get(key), contribution(facts, calendar, print_))
                for key, facts in changed.items()]

    def rebuild(self) -> int:
        """Empty the facts, their buckets and their tracking, then fold the whole log again."""
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
    event = _decoded(app, notification)
    if name == "Filed":
        facts = facts_of_filing(key, event)
    elif facts is None:
        return None  # a case whose filing this table never saw: nothing to count it in
    else:
        facts.apply(name, event)
    facts.version = version
    return facts


def _decoded(app: Complaints, notification: Notification) -> Any:
    """The event as the facts read it: no fact is personal, so nothing sealed is opened."""
    mapper = app.mapper
    if isinstance(mapper, RevealingMapper):
        return mapper.to_sealed_domain_event(notification)
    return mapper.to_domain_event(notification)
