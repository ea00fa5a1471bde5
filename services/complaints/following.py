"""What every follower of the notification log shares: reading a batch, and waiting to retry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.utils import get_topic

from complaints.domain.case import Case

CASE_TOPIC_PREFIX = get_topic(Case) + "."
BATCH_SIZE = 500


@dataclass(frozen=True)
class Batch:
    """Notifications read after position `after` (0: from the start of the log)."""

    after: int
    notifications: Sequence[Notification]

    @property
    def last(self) -> int:
        """The position the batch reaches; `after` when it is empty."""
        return self.notifications[-1].id if self.notifications else self.after


def read_batch(recorder: ApplicationRecorder, after: int, limit: int = BATCH_SIZE) -> Batch:
    """Up to `limit` notifications after position `after`, in the log's order."""
    notifications = recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    return Batch(after, notifications)


def is_case_event(notification: Notification) -> bool:
    """Case events share the log with others (staff accounts), which followers pass over."""
    return notification.topic.startswith(CASE_TOPIC_PREFIX)
