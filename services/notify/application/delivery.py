"""What a channel is given to deliver, how a try fails, and when a failed try is repeated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from notify.application.messages import RenderedMessage


class DeliveryError(Exception):
    """One try to deliver failed. `reason` is a code from shared.contract.delivery_failures,
    the only thing recorded or reported; `detail` (the network's own words) goes to the log.
    A `permanent` failure is not tried again."""

    def __init__(self, reason: str, detail: str = "", *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.permanent = permanent


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


@dataclass(frozen=True)
class Timeouts:
    """How long one try may wait to connect (each address), and for each read."""

    connect: float
    read: float


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff_seconds: float

    def delay_after(self, attempt: int) -> float:
        """Exponential: base, 2 × base, 4 × base, … after the 1st, 2nd, 3rd failed try."""
        return self.backoff_seconds * 2 ** (attempt - 1)

    def retry_at(self, attempt: int, now: datetime) -> datetime | None:
        """When to try again after failed try number `attempt`; None when it was the last."""
        if attempt >= self.attempts:
            return None
        return now + timedelta(seconds=self.delay_after(attempt))
