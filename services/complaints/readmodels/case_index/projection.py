"""The case index's projection: notifications become case rows."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

from complaints.application.service import Complaints
from complaints.domain.case import Case
from complaints.following import BATCH_SIZE, Batch, is_case_event
from complaints.readmodels.case_index.queries import CaseIndex
from complaints.readmodels.case_index.rows import CaseRow
from complaints.readmodels.projection import TrackedProjection


class CaseIndexProjection(TrackedProjection):
    """Turns notifications into case rows.

    Each row is the case aggregate itself at the last version the batch holds, not a second
    copy of the aggregate's rules: the index cannot drift from the domain model, and new Case
    events need no change here. An erasure (`PersonalDataErased`) is such an event: the case
    after it reads as erased, and its row keeps nothing personal (`CaseRow.of`), written with
    the batch's tracking record. Staff-account events share the log: they carry no row, only
    the position moves on.

    The aggregate is folded from the batch's own notifications (they carry the events) when
    they hold the case from its first event, or from the version this projection folded it
    to in the previous batch; only otherwise is it loaded from the store. So a rebuild or a
    catch-up over a history reads each event once, with no query per case; at most one
    batch's cases are kept between batches.
    """

    label = "case_index"

    def __init__(self, app: Complaints, index: CaseIndex, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(app, index.recorder, batch_size)
        self.index = index
        self._recent: dict[UUID, Case] = {}

    def changes(self, batch: Batch) -> list[CaseRow]:
        by_case: dict[UUID, list[Notification]] = {}
        for notification in batch.notifications:
            if is_case_event(notification):
                case_id = UUID(str(notification.originator_id))
                by_case.setdefault(case_id, []).append(notification)
        if self.app.case_keys is not None:
            # Every key the batch needs, unwrapped after one look-up rather than one per case;
            # the application keeps them for a moment, long enough to open the events.
            self.app.case_keys.data_keys(by_case)
        cases = {case_id: self._folded(case_id, events) for case_id, events in by_case.items()}
        self._recent = cases
        return [CaseRow.of(case, self.index.blind) for case in cases.values()]

    def _folded(self, case_id: UUID, notifications: Sequence[Notification]) -> Case:
        """The case at the last of its `notifications` (the batch's events of it, in order)."""
        first, last = notifications[0].originator_version, notifications[-1].originator_version
        case = None if first == 1 else self._recent.get(case_id)
        contiguous = last - first + 1 == len(notifications)
        if not contiguous or (first != 1 and (case is None or case.version != first - 1)):
            return self.app.load_case(case_id, last)
        mapper = self.app.mapper
        for notification in notifications:
            event = mapper.to_domain_event(StoredEvent(
                originator_id=case_id,
                originator_version=notification.originator_version,
                topic=notification.topic,
                state=notification.state,
            ))
            case = event.mutate(case)
        if not isinstance(case, Case):
            return self.app.load_case(case_id, last)
        return case
