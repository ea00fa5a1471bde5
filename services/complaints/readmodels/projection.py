"""Projections following the notification log exactly once: the shared loop, the case index."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, Batch, is_case_event, read_batch
from complaints.readmodels.case_index import CaseIndex
from complaints.readmodels.case_rows import CaseRow

log = logging.getLogger(__name__)


class TrackedProjection:
    """Follows the notification log batch by batch into a read model, exactly once.

    A batch's rows and its tracking record commit together, and only if the recorded
    position is still where the batch was read from: a replayed batch, or one read before a
    rebuild emptied the read model, is refused by the store and skipped. So each
    notification counts once, and the read model only moves forward. Subclasses say what a
    batch changes (`changes`); the recorder stores it (`apply`).
    """

    label = "projection"

    def __init__(self, app: Complaints, recorder: Any, batch_size: int = BATCH_SIZE) -> None:
        self.app = app
        self.recorder = recorder
        self.batch_size = batch_size

    def changes(self, batch: Batch) -> Sequence[Any]:
        raise NotImplementedError

    def pending(self) -> Batch:
        """The next batch of notifications after the position the read model has recorded."""
        return read_batch(self.app.recorder, self._tracked(), self.batch_size)

    def process(self, batch: Batch) -> int:
        """Apply one batch; the number of notifications it moved past (0 if refused)."""
        if not batch.notifications:
            return 0
        rows = self.changes(batch)
        tracking = Tracking(self.app.name, batch.notifications[-1].id)
        try:
            self.recorder.apply(rows, tracking, after=batch.after)
        except IntegrityError:
            tracked = self._tracked()
            if tracked == batch.after:
                raise  # the position did not move: the store refused the rows themselves
            log.info("%s: now at position %d, not %d; batch skipped",
                     self.label, tracked, batch.after)
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
        return self.recorder.max_tracking_id(self.app.name) or 0


class CaseIndexProjection(TrackedProjection):
    """Turns notifications into case rows.

    Each row is the case aggregate itself, loaded at the last version the batch holds, not a
    second copy of the aggregate's rules: the index cannot drift from the domain model, and
    new Case events need no change here. Staff-account events share the log: they carry no
    row, only the position moves on.
    """

    label = "case_index"

    def __init__(self, app: Complaints, index: CaseIndex, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(app, index.recorder, batch_size)
        self.index = index

    def changes(self, batch: Batch) -> list[CaseRow]:
        versions: dict[UUID, int] = {}
        for notification in batch.notifications:
            if is_case_event(notification):
                case_id = UUID(str(notification.originator_id))
                versions[case_id] = max(versions.get(case_id, 0), notification.originator_version)
        return [CaseRow.of(self.app.load_case(key, version)) for key, version in versions.items()]
