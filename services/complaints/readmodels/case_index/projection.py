"""The case index's projection: notifications become case rows."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from cachetools import LRUCache
from eventsourcing.persistence import Notification, StoredEvent, Tracking

from complaints.application.service import Complaints
from complaints.domain.case import Case
from complaints.following import BATCH_SIZE, Batch, is_case_event
from complaints.readmodels.case_index.queries import CaseIndex
from complaints.readmodels.case_index.rows import CaseRow
from complaints.readmodels.projection import Part, TrackedProjection

# How many folded cases the projection keeps between batches, the least recently changed
# dropped first. A case of six events with the samples' texts holds ~8 KB; one with longer
# texts counts once more for each TEXT_PER_CASE characters of them (~8 KB more in Chinese).
# So what is kept stays near 80 MB whatever the cases hold.
RECENT_CASES = 10_000
TEXT_PER_CASE = 4096


def _weight(case: Case) -> int:
    """How many cases of the samples' size `case` counts as, by the length of its texts."""
    texts = len(case.subject) + len(case.description) + sum(map(len, case.replies_given))
    return 1 + texts // TEXT_PER_CASE


class CaseIndexProjection(TrackedProjection):
    """Turns notifications into case rows.

    Each row is the case aggregate itself at the last version the batch holds, not a second
    copy of the aggregate's rules: the index cannot drift from the domain model, and new Case
    events need no change here. An erasure (`PersonalDataErased`) is such an event: the case
    after it reads as erased, and its row keeps nothing personal (`CaseRow.of`), written with
    the batch's tracking record. Staff-account events share the log: they carry no row, only
    the position moves on.

    The aggregate is folded from the batch's own notifications (they carry the events) when
    they hold the case from its first event, or from the version this projection last folded
    it to; only otherwise is it loaded from the store. The folded cases of the last
    `recent` cases changed are kept between batches (by `_weight`, cachetools' LRUCache): in
    a live log a case's events stand thousands of positions apart, each in a batch of its
    own, and loading the case again at each of them (a query and a fold of its whole life,
    ~2.6 ms) was most of a rebuild's time. So a rebuild or a catch-up reads each event once,
    with no query per case, as long as the cases changing at once fit in `recent`.
    """

    label = "case_index"

    def __init__(self, app: Complaints, index: CaseIndex, batch_size: int = BATCH_SIZE,
                 recent: int = RECENT_CASES, part: Part | None = None) -> None:
        super().__init__(app, index.recorder, batch_size)
        self.index = index
        self._recent: LRUCache[UUID, Case] = LRUCache(maxsize=recent, getsizeof=_weight)
        self.part = part
        if part is not None:
            self.position_name = part.position_name(app.name)

    def changes(self, batch: Batch) -> list[CaseRow]:
        by_case: dict[UUID, list[Notification]] = {}
        for notification in batch.notifications:
            if is_case_event(notification):
                case_id = UUID(str(notification.originator_id))
                if self.part is None or self.part.holds(case_id):
                    by_case.setdefault(case_id, []).append(notification)
        if self.app.case_keys is not None:
            # Every key the batch needs, unwrapped after one look-up rather than one per case;
            # the application keeps them for a moment, long enough to open the events.
            self.app.case_keys.data_keys(by_case)
        cases = {case_id: self._folded(case_id, events) for case_id, events in by_case.items()}
        self._remember(cases)
        return [CaseRow.of(case, self.index.blind) for case in cases.values()]

    def apply(self, rows: Sequence[CaseRow], tracking: Tracking, *, after: int) -> None:
        self.recorder.apply(rows, tracking, after=after, part=self.part is not None)

    def _remember(self, cases: dict[UUID, Case]) -> None:
        """Keep the batch's cases as the most recently changed, within `recent`; never an
        erased one, whose opened values would outlive its key here (a later event of it
        loads it from the store, where they no longer open)."""
        recent = self._recent
        for case_id, case in cases.items():
            if case.personal_data_erased is not None or _weight(case) > recent.maxsize:
                recent.pop(case_id, None)
            else:
                recent[case_id] = case  # the least recently changed make room

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
