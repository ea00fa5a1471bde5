"""The Notifications application: notify's own event store, one command per notification fact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from notify.domain.notification import Notification
from notify.domain.policy import Notice


class NotificationConflictError(RuntimeError):
    """Another worker recorded something on this notification at the same moment."""


class Notifications(Application):
    name = "Notifications"

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env=dict(env))

    def open_notification(self, event_id: UUID, case_id: UUID, notice: Notice) -> Notification:
        """The notification for (event, recipient, channel): recorded now, or the earlier one."""
        return self._create_or_load(self._new(event_id, case_id, notice))

    def open_notifications(
        self, requested: Sequence[tuple[UUID, UUID, Notice]]
    ) -> dict[UUID, Notification]:
        """The notifications for these (event, case, notice), by id: the new ones recorded
        together, in one transaction; if any was recorded before (a redelivered event), each
        is opened on its own, the earlier ones loaded."""
        new: dict[UUID, Notification] = {}
        asked: dict[UUID, tuple[UUID, UUID, Notice]] = {}
        for event_id, case_id, notice in requested:
            notification = self._new(event_id, case_id, notice)
            new.setdefault(notification.id, notification)
            asked.setdefault(notification.id, (event_id, case_id, notice))
        if not new:
            return {}
        try:
            self.save(*new.values())
        except IntegrityError:
            # The refused save took the new ones' events with it: each made again.
            return {notification_id: self.open_notification(*request)
                    for notification_id, request in asked.items()}
        return new

    def record_attempt_failed(
        self, notification: Notification, reason: str, retry_at: datetime | None
    ) -> None:
        notification.record_attempt_failed(reason, retry_at)
        self._save(notification)

    def record_sent(self, notification: Notification, message_id: str, at: datetime) -> None:
        notification.record_sent(message_id, at)
        self._save(notification)

    def record_failed(self, notification: Notification, at: datetime) -> None:
        notification.record_failed(at)
        self._save(notification)

    def record_withheld(self, notification: Notification, reason: str, at: datetime) -> None:
        notification.record_withheld(reason, at)
        self._save(notification)

    def record_fallback(self, notification: Notification, to_channel: str) -> None:
        notification.record_fallback(to_channel)
        self._save(notification)

    def get_notification(self, notification_id: UUID) -> Notification:
        return self.repository.get(notification_id)  # notify's store holds nothing else

    @staticmethod
    def _new(event_id: UUID, case_id: UUID, notice: Notice) -> Notification:
        return Notification(
            event_id=event_id,
            case_id=case_id,
            recipient=notice.recipient,
            channel=notice.channel.value,
            template=notice.template,
            language=notice.language,
        )

    def _create_or_load(self, notification: Notification) -> Notification:
        try:
            self.save(notification)
        except IntegrityError:
            # Handled before (a redelivered event): carry on from what was recorded.
            return self.get_notification(notification.id)
        return notification

    def _save(self, notification: Notification) -> None:
        try:
            self.save(notification)
        except IntegrityError:
            raise NotificationConflictError(
                f"notification {notification.id} was changed by another worker"
            ) from None
