"""What every follower of the notification log shares: reading a batch, whole or of a part."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

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
    # Where a batch read to a bound reaches when the log holds none of its notifications
    # between its last and the bound (a part's: `read_part`).
    reaches: int | None = None

    @property
    def last(self) -> int:
        """The position the batch reaches; `after` when it is empty and reaches no further."""
        if self.reaches is not None:
            return self.reaches
        return self.notifications[-1].id if self.notifications else self.after


@dataclass(frozen=True)
class Part:
    """One of `of` parts of the cases, by their ids, that follows the log on its own, with a
    position of its own (`position_name`): a catch-up far behind gives each part of the case
    index a process, and the index's position moves once all have reached the same."""

    number: int  # 0 … of - 1
    of: int

    def holds(self, case_id: UUID) -> bool:
        # By the id's last 32 bits, as the store's query of a part's notifications picks them
        # (`PartNotifications`).
        return (case_id.int & 0xFFFF_FFFF) % self.of == self.number

    def position_name(self, whole: str) -> str:
        return f"{whole} part {self.number + 1} of {self.of}"


def parts(whole: str, of: int) -> tuple[list[Part], list[str]]:
    """The `of` parts of a read model whose position is named `whole`, and their positions'
    names."""
    each = [Part(number, of) for number in range(of)]
    return each, [part.position_name(whole) for part in each]


class PartNotifications(Protocol):
    """A store that reads a part's notifications by itself (PostgreSQL's)."""

    def select_part_notifications(self, part: Part, topic_prefix: str, after: int, until: int,
                                  limit: int) -> Sequence[Notification]: ...


def read_batch(recorder: ApplicationRecorder, after: int, limit: int = BATCH_SIZE) -> Batch:
    """Up to `limit` notifications after position `after`, in the log's order."""
    notifications = recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    return Batch(after, notifications)


def read_part(recorder: PartNotifications, part: Part, after: int, until: int,
              limit: int = BATCH_SIZE) -> Batch:
    """Up to `limit` of the events of `part`'s cases after position `after`, up to `until`, in
    the log's order. The store passes over the other cases' events and staff accounts' itself,
    so each part reads its own share of the log. Fewer than `limit` means none are left
    before `until`: the batch reaches it."""
    notifications = recorder.select_part_notifications(part, CASE_TOPIC_PREFIX, after, until,
                                                       limit)
    reached = len(notifications) < limit
    return Batch(after, notifications, reaches=max(after, until) if reached else None)


def is_case_event(notification: Notification) -> bool:
    """Case events share the log with others (staff accounts), which followers pass over."""
    return notification.topic.startswith(CASE_TOPIC_PREFIX)
