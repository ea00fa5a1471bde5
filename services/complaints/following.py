"""What every follower of the notification log shares: reading a batch, and waiting to retry."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.utils import get_topic

from complaints.domain.case import Case

CASE_TOPIC_PREFIX = get_topic(Case) + "."
BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 30.0


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


class Backoff:
    """Waits that double after each failure, up to a ceiling, and start over after a success.

    Each wait is shortened by a random part of up to `jitter` of it, so processes that
    failed together do not all retry at the same moment.
    """

    def __init__(
        self, first: float, ceiling: float = MAX_BACKOFF_SECONDS, jitter: float = 0.2
    ) -> None:
        self.first = max(first, 0.1)
        self.ceiling = ceiling
        self.jitter = jitter
        self.current = self.first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.ceiling)
        return delay * (1 - random.uniform(0, self.jitter))

    def reset(self) -> None:
        self.current = self.first
