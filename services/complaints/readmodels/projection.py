"""The case_index projection: the notification log, batch by batch, into the case index."""

from __future__ import annotations

import logging
import threading
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, Batch, is_case_event, read_batch
from complaints.readmodels.case_index import CaseIndex
from complaints.readmodels.case_rows import CaseRow

log = logging.getLogger(__name__)


class CaseIndexProjection:
    """Turns notifications into case rows, exactly once.

    Each row is the case aggregate itself, loaded at the last version the batch holds, not a
    second copy of the aggregate's rules: the index cannot drift from the domain model, and
    new Case events need no change here. A batch's rows and its tracking record commit
    together, and only if the recorded position is still where the batch was read from:
    a replayed batch, or one read before a rebuild emptied the index, is refused by the
    store and skipped. So each notification counts once, and a row only moves forward.
    """

    def __init__(self, app: Complaints, index: CaseIndex, batch_size: int = BATCH_SIZE) -> None:
        self.app = app
        self.index = index
        self.batch_size = batch_size

    def pending(self) -> Batch:
        """The next batch of notifications after the position the index has recorded."""
        return read_batch(self.app.recorder, self._tracked(), self.batch_size)

    def process(self, batch: Batch) -> int:
        """Apply one batch; the number of notifications it moved the index past (0 if refused).

        Staff-account events share the log: they carry no row, only the position moves on.
        """
        if not batch.notifications:
            return 0
        versions: dict[UUID, int] = {}
        for notification in batch.notifications:
            if is_case_event(notification):
                case_id = UUID(str(notification.originator_id))
                versions[case_id] = max(versions.get(case_id, 0), notification.originator_version)
        rows = [CaseRow.of(self.app.load_case(key, version)) for key, version in versions.items()]
        tracking = Tracking(self.app.name, batch.notifications[-1].id)
        try:
            self.index.recorder.apply(rows, tracking, after=batch.after)
        except IntegrityError:
            tracked = self._tracked()
            if tracked == batch.after:
                raise  # the position did not move: the store refused the rows themselves
            log.info("case_index: now at position %d, not %d; batch skipped", tracked, batch.after)
            return 0
        return len(batch.notifications)

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Process every pending batch (until `stop` is set); the number of notifications."""
        processed = 0
        while stop is None or not stop.is_set():
            batch = self.pending()
            if not batch.notifications:
                break
            processed += self.process(batch)
        return processed

    def _tracked(self) -> int:
        return self.index.recorder.max_tracking_id(self.app.name) or 0
