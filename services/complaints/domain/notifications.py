"""What the filer was told: receipts from the notify service, each recorded once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from complaints.domain import notices
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Stamp


class NotificationRules:
    """`Case`'s rules for receipts; the facts are recorded by `Case`'s `@event` methods."""

    def was_told(self, notification_id: str) -> bool:
        return notification_id in notices.notification_ids(self.messages)

    def record_filer_notified(
        self, stamp: Stamp, notification_id: str, template: str, text: str,
        channels: Sequence[Mapping[str, Any]],
    ) -> None:
        """A notice reached the filer on `channels` (each: channel, notification_id,
        message_id, sent_at); recorded once, in whatever state the case is.

        A notice some of whose channels were recorded on their own (notify reported each
        channel before it reported notices) joins their message; one with no channel new
        is refused."""
        known = notices.notification_ids(self.messages)
        if notification_id in known or all(
                channel["notification_id"] in known for channel in channels):
            raise CaseRuleError("receipt_recorded", "this notification was recorded already",
                                notification_id=notification_id)
        first = channels[0]
        self._filer_notified(stamp=stamp, notification_id=notification_id,
                             channel=first["channel"], template=template,
                             message_id=first["message_id"], sent_at=first["sent_at"],
                             text=text, channels=[dict(channel) for channel in channels])

    def record_filer_unreachable(self, stamp: Stamp, notification_id: str, reason: str) -> None:
        """Every channel failed: intake staff must call the filer."""
        if notification_id in self.failed_notifications:
            raise CaseRuleError("receipt_recorded", "this failure was recorded already",
                                notification_id=notification_id)
        self._filer_unreachable(stamp=stamp, notification_id=notification_id, reason=reason)
