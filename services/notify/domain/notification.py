"""The Notification aggregate: one message for one event, recipient and channel, and its fate.

It holds no address, no access code and no rendered text: only what was asked, each failed
try (as a reason code) with when the next one is due, and how it ended, so the notify store
keeps nothing a filer would want erased.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

NOTIFICATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://huiyin.example/notifications")
MAX_ERROR_LENGTH = 500


class NotificationStateError(Exception):
    """A command that does not fit the notification's state (e.g. sending it twice)."""


def notification_id_for(event_id: UUID, recipient: str, channel: str) -> UUID:
    """One notification per (event, recipient, channel): handling it again finds the same one."""
    return uuid5(NOTIFICATION_NAMESPACE, f"{event_id}/{recipient}/{channel}")


def notice_id_for(event_id: UUID, recipient: str) -> UUID:
    """One notice per (event, recipient), whichever channels carry it: an event's policy
    gives a recipient one template, sent on each of their channels."""
    return uuid5(NOTIFICATION_NAMESPACE, f"{event_id}/{recipient}/notice")


class Notification(Aggregate):
    @staticmethod
    def create_id(event_id: UUID, recipient: str, channel: str) -> UUID:
        return notification_id_for(event_id, recipient, channel)

    @event("Requested")
    def __init__(
        self,
        event_id: UUID,
        case_id: UUID,
        recipient: str,
        channel: str,
        template: str,
        language: str,
    ) -> None:
        self.event_id = event_id
        self.case_id = case_id
        self.recipient = recipient
        self.channel = channel
        self.template = template
        self.language = language
        self.attempts = 0
        self.last_error = ""
        self.retry_at: datetime | None = None
        self.message_id = ""
        self.sent_at: datetime | None = None
        self.failed_at: datetime | None = None
        self.fallback_channel = ""

    @property
    def status(self) -> str:
        if self.sent_at is not None:
            return "sent"
        return "failed" if self.failed_at is not None else "requested"

    @property
    def done(self) -> bool:
        return self.status != "requested"

    def record_attempt_failed(self, error: str, retry_at: datetime | None = None) -> None:
        """A try failed for `error` (a reason code); the next is due at `retry_at`, if any."""
        self._require_pending("record a failed attempt")
        self._attempt_failed(attempt=self.attempts + 1, error=error[:MAX_ERROR_LENGTH],
                             retry_at=retry_at)

    @event("AttemptFailed")
    def _attempt_failed(self, attempt: int, error: str, retry_at: datetime | None = None) -> None:
        # retry_at's default reads the AttemptFailed events stored before it was recorded.
        self.attempts = attempt
        self.last_error = error
        self.retry_at = retry_at

    def record_sent(self, message_id: str, at: datetime) -> None:
        self._require_pending("record it sent")
        self._sent(message_id=message_id, at=at)

    @event("Sent")
    def _sent(self, message_id: str, at: datetime) -> None:
        self.message_id = message_id
        self.sent_at = at

    def record_failed(self, at: datetime) -> None:
        self._require_pending("record it failed")
        self._failed(attempts=self.attempts, last_error=self.last_error, at=at)

    @event("Failed")
    def _failed(self, attempts: int, last_error: str, at: datetime) -> None:
        self.failed_at = at

    def record_withheld(self, reason: str, at: datetime) -> None:
        """Not sent, nor tried again, for `reason` (a code): the filer's personal data was
        erased, their address with it."""
        self._require_pending("withhold it")
        self._withheld(reason=reason[:MAX_ERROR_LENGTH], at=at)

    @event("Withheld")
    def _withheld(self, reason: str, at: datetime) -> None:
        self.last_error = reason
        self.retry_at = None
        self.failed_at = at

    def record_fallback(self, to_channel: str) -> None:
        if self.status != "failed" or self.fallback_channel:
            raise NotificationStateError(
                f"a fallback follows a failure, once; this notification is {self.status}"
            )
        self._fallback_taken(to_channel=to_channel)

    @event("FallbackTaken")
    def _fallback_taken(self, to_channel: str) -> None:
        self.fallback_channel = to_channel

    def _require_pending(self, command: str) -> None:
        if self.done:
            raise NotificationStateError(f"cannot {command}: the notification is {self.status}")
