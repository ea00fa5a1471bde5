"""The case index's projection: notifications become case rows."""

from __future__ import annotations

from uuid import UUID

from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, Batch, is_case_event
from complaints.readmodels.case_index.queries import CaseIndex
from complaints.readmodels.case_index.rows import CaseRow
from complaints.readmodels.projection import TrackedProjection


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
