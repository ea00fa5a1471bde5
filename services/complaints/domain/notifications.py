"""What the filer was told: receipts from the notify service, each recorded once."""

from __future__ import annotations

from datetime import datetime

from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Stamp


class NotificationRules:
    """`Case`'s rules for receipts; the facts are recorded by `Case`'s `@event` methods."""

    def was_told(self, notification_id: str) -> bool:
        return any(message["notification_id"] == notification_id for message in self.messages)

    def record_filer_notified(
        self, stamp: Stamp, notification_id: str, channel: str, template: str,
        message_id: str, sent_at: datetime, text: str,
    ) -> None:
        """A notification reached the filer; recorded once, in whatever state the case is."""
        if self.was_told(notification_id):
            raise CaseRuleError("receipt_recorded", "this notification was recorded already",
                                notification_id=notification_id)
        self._filer_notified(stamp=stamp, notification_id=notification_id, channel=channel,
                             template=template, message_id=message_id, sent_at=sent_at,
                             text=text)

    def record_filer_unreachable(self, stamp: Stamp, notification_id: str, reason: str) -> None:
        """Every channel failed: intake staff must call the filer."""
        if notification_id in self.failed_notifications:
            raise CaseRuleError("receipt_recorded", "this failure was recorded already",
                                notification_id=notification_id)
        self._filer_unreachable(stamp=stamp, notification_id=notification_id, reason=reason)
