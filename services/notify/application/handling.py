"""Handling one case event: plan its notices, send each once, report receipts and dead letters.

Handling is a function of the envelope and the notify store: handled again (a redelivery),
it sends nothing that was sent or given up, and publishes the same receipts and dead letters
again (receipts are recorded once per notification id downstream). The one duplicate that can
escape is a message sent by a process that died before recording it sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from notify.application.delivery import Dispatch, RetryPolicy, Sender, deliver
from notify.application.directory import Directory
from notify.application.messages import MessageRenderer, RenderedMessage, redacted
from notify.application.notifications import NotificationConflictError, Notifications
from notify.application.outbox import Outbox
from notify.domain.notification import Notification, notification_id_for
from notify.domain.policy import Channel, Notice, fallback_for, plan_notices
from shared.contract.dead_letters import DeadLetter
from shared.contract.envelope import Envelope, encode_envelope
from shared.contract.receipts import Receipt

log = logging.getLogger(__name__)


@dataclass
class _Progress:
    """What one envelope's handling has done so far."""

    handled: set[UUID] = field(default_factory=set)
    reached_filer: bool = False
    unreachable: list[Receipt] = field(default_factory=list)


class EventHandler:
    def __init__(
        self,
        notifications: Notifications,
        renderer: MessageRenderer,
        senders: Mapping[Channel, Sender],
        retry: RetryPolicy,
        directory: Directory,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.notifications = notifications
        self.renderer = renderer
        self.senders = senders
        self.retry = retry
        self.directory = directory
        self.clock = clock

    def handle(self, envelope: Envelope, outbox: Outbox) -> None:
        """Every notice the event calls for; all are rendered before any is sent.

        The case is flagged (a receipt with delivered=false) only when no channel beyond
        the inbox reached the filer: a failed webhook beside a delivered email is no reason
        to call them.
        """
        notices = plan_notices(
            envelope.event_type, str(envelope.case_id), envelope.data, self.directory
        )
        prepared = [(notice, self.renderer.render(notice, envelope.data)) for notice in notices]
        progress = _Progress()
        for notice, message in prepared:
            self._notify(envelope, notice, message, outbox, progress)
        if not progress.reached_filer:
            for receipt in progress.unreachable:
                outbox.add_receipt(receipt)

    def _notify(
        self,
        envelope: Envelope,
        notice: Notice,
        message: RenderedMessage,
        outbox: Outbox,
        progress: _Progress,
    ) -> None:
        notification_id = notification_id_for(envelope.event_id, notice.recipient,
                                              notice.channel.value)
        if notification_id in progress.handled:
            return  # a fallback already reached it in this handling
        progress.handled.add(notification_id)
        notification = self.notifications.open_notification(
            envelope.event_id, envelope.case_id, notice
        )
        try:
            fallback = self._settle(envelope, notice, notification, message, outbox, progress)
        except NotificationConflictError as error:
            log.warning("%s; left to the worker that changed it", error)
            return
        if fallback is not None:
            self._notify(envelope, fallback, message, outbox, progress)

    def _settle(
        self,
        envelope: Envelope,
        notice: Notice,
        notification: Notification,
        message: RenderedMessage,
        outbox: Outbox,
        progress: _Progress,
    ) -> Notice | None:
        """Deliver unless done; report the outcome; the fallback to take next, if any."""
        if not notification.done:
            dispatch = self._dispatch(envelope, notice, notification, message)
            deliver(self.notifications, notification, self.senders[notice.channel], dispatch,
                    self.retry, self.clock)
        if notification.status == "sent":
            if notice.filer_facing:
                outbox.add_receipt(self._receipt(envelope, notice, notification))
                progress.reached_filer |= notice.channel is not Channel.INBOX
            return None
        outbox.add_dead_letter(self._dead_letter(envelope, notice, notification))
        fallback = fallback_for(notice, envelope.data["case"])
        if fallback is None:
            if notice.filer_facing:
                progress.unreachable.append(self._unreachable(envelope, notice, notification))
            return None
        if not notification.fallback_channel:
            self.notifications.record_fallback(notification, fallback.channel.value)
        return fallback

    def _dispatch(
        self, envelope: Envelope, notice: Notice, notification: Notification,
        message: RenderedMessage,
    ) -> Dispatch:
        return Dispatch(
            notification_id=notification.id,
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            case_id=envelope.case_id,
            reference=envelope.data["case"]["reference"],
            template=notice.template,
            language=notice.language,
            address=notice.address,
            message=message,
        )

    def _receipt(
        self, envelope: Envelope, notice: Notice, notification: Notification
    ) -> Receipt:
        shown = self.renderer.render(notice, envelope.data, redact_secrets=True)
        return Receipt(
            receipt_id=str(notification.id),
            case_id=envelope.case_id,
            event_id=envelope.event_id,
            delivered=True,
            channel=notice.channel.value,
            template=notice.template,
            message_id=notification.message_id,
            sent_at=notification.sent_at,
            text=shown.text_for(notice.channel),
        )

    def _unreachable(
        self, envelope: Envelope, notice: Notice, notification: Notification
    ) -> Receipt:
        """Every way to reach the filer failed: the complaints service flags the case."""
        return Receipt(
            receipt_id=str(notification.id),
            case_id=envelope.case_id,
            event_id=envelope.event_id,
            delivered=False,
            channel=notice.channel.value,
            template=notice.template,
            message_id="",
            sent_at=notification.failed_at,
            reason=(
                f"{notice.channel.value} to the filer failed after {notification.attempts} "
                f"tries ({notification.last_error}); no other channel is left: please call"
            ),
        )

    def _dead_letter(
        self, envelope: Envelope, notice: Notice, notification: Notification
    ) -> DeadLetter:
        return DeadLetter(
            notification_id=str(notification.id),
            event_id=envelope.event_id,
            case_id=envelope.case_id,
            channel=notice.channel.value,
            recipient=notice.recipient,
            attempts=max(notification.attempts, 1),
            last_error=notification.last_error,
            failed_at=notification.failed_at,
            envelope=envelope_without_secrets(envelope),
        )


def envelope_without_secrets(envelope: Envelope) -> dict:
    """The envelope as its JSON object, the access code redacted: dead letters are read by staff."""
    return json.loads(encode_envelope(replace(envelope, data=redacted(envelope.data))))
