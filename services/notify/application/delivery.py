"""Sending one notification through its channel, retrying with exponential backoff."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from notify.application.messages import RenderedMessage
from notify.application.notifications import Notifications
from notify.domain.notification import Notification

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """One try to deliver failed; the message says why. The try may be repeated."""


class DeliveryInterruptedError(Exception):
    """The process is stopping: the notification stays pending and is tried again later."""


@dataclass(frozen=True)
class Dispatch:
    """Everything a channel needs to deliver one message, and nothing it must keep."""

    notification_id: UUID
    event_id: UUID
    event_type: str
    case_id: UUID
    reference: str
    template: str
    language: str
    address: str
    message: RenderedMessage

    def webhook_payload(self) -> dict[str, Any]:
        return {
            "notification_id": str(self.notification_id),
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "case_id": str(self.case_id),
            "reference": self.reference,
            "template": self.template,
            "language": self.language,
            "subject": self.message.subject,
            "text": self.message.body,
        }


class Sender(Protocol):
    def send(self, dispatch: Dispatch) -> str:
        """Deliver `dispatch`; the channel's message id. Raises DeliveryError on failure."""


def no_wait(seconds: float) -> bool:
    """A backoff that does not sleep, for tests; never interrupted."""
    return False


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff_seconds: float
    # Waits `seconds`; True if the process is stopping (threading.Event.wait fits).
    wait: Callable[[float], bool] = no_wait

    def delay_after(self, attempt: int) -> float:
        """Exponential: base, 2 × base, 4 × base, … after the 1st, 2nd, 3rd failed try."""
        return self.backoff_seconds * 2 ** (attempt - 1)


def deliver(
    notifications: Notifications,
    notification: Notification,
    sender: Sender,
    dispatch: Dispatch,
    retry: RetryPolicy,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> bool:
    """Try until sent or out of attempts, recording every outcome; True if sent.

    Attempts already recorded (by a process that stopped mid-way) count towards the limit.
    """
    while notification.attempts < retry.attempts:
        try:
            message_id = sender.send(dispatch)
        except DeliveryError as error:
            notifications.record_attempt_failed(notification, str(error))
            log.warning(
                "notification %s: try %d of %d on %s failed: %s",
                notification.id, notification.attempts, retry.attempts, notification.channel,
                error, extra={"notification_id": str(notification.id)},
            )
            if notification.attempts < retry.attempts and retry.wait(
                retry.delay_after(notification.attempts)
            ):
                raise DeliveryInterruptedError(str(notification.id)) from None
            continue
        notifications.record_sent(notification, message_id, clock())
        return True
    notifications.record_failed(notification, clock())
    return False
