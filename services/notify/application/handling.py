"""Handling one case event: plan its notices, send each once, report receipts and dead letters.

Handling is a state machine the dispatcher drives: `start` plans an event's notices and says
which tries to make; `settle` records how a try went and says what follows (a retry when it
is due, a fallback's first try, or nothing). The handler never sends and never waits itself.

Handling is a function of the envelope and the notify store: handled again (a redelivery),
it sends nothing that was sent or given up, resumes a pending notification at its recorded
try and due time, and publishes the same receipts and dead letters again (receipts are
recorded once per notification id downstream). The one duplicate that can escape is a
message sent by a process that died before recording it sent.

The event's personal values are sealed; they are opened with the case's key for the
messages and nowhere else (`notify.application.sealed`), and a receipt's text, which names
the filer, goes back sealed with that key. The filer's notice is reported once, when the
event's handling is finished, naming every channel it reached (`notify.application.receipts`).
Once the case's personal data is erased (the event says so, or its key is gone) nothing is
sent to the filer: each notice to them is recorded withheld, and a try still waiting when the
erasure arrives is dropped the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from notify.application.delivery import DeliveryError, Dispatch, RetryPolicy, Sender
from notify.application.directory import Directory
from notify.application.messages import MessageRenderer, RenderedMessage, redacted
from notify.application.notifications import NotificationConflictError, Notifications
from notify.application.outbox import Outbox
from notify.application.receipts import notice_receipt, unreachable_receipt
from notify.application.sealed import CaseKeyring, erased, opened
from notify.domain.notification import Notification, notification_id_for
from notify.domain.policy import Channel, Notice, fallback_for, plan_notices
from shared.contract.dead_letters import DeadLetter
from shared.contract.delivery_failures import PERSONAL_DATA_ERASED
from shared.contract.envelope import Envelope, carries_token, encode_envelope
from shared.contract.event_types import PERSONAL_DATA_ERASED as ERASURE_EVENT
from shared.contract.receipts import Receipt
from shared.sealing import DataKey
from shared.stream.base import Message

log = logging.getLogger(__name__)

# Senders working at once per channel; 0 sends on the dispatcher's own thread (nothing to wait
# for). Email has a few, each with its SMTP connection kept open and its share of the cases
# (one case's emails in order); webhooks are the filers' servers.
DEFAULT_WORKERS: Mapping[Channel, int] = {
    Channel.EMAIL: 4, Channel.SMS: 2, Channel.WEBHOOK: 8, Channel.INBOX: 0,
}


@dataclass
class EventJob:
    """One envelope's notices, from planning until each is sent or given up."""

    envelope: Envelope
    # The event's data with its sealed values opened, and the key that opened them: in
    # memory only, for as long as the event's notices are being sent.
    data: dict = field(default_factory=dict)
    key: DataKey | None = None
    handled: set[UUID] = field(default_factory=set)
    outstanding: int = 0  # notifications neither sent nor given up yet
    reached_filer: bool = False
    told: list[tuple[Notice, Notification]] = field(default_factory=list)  # sent to the filer
    unreachable: list[Receipt] = field(default_factory=list)
    reported: bool = False

    @property
    def finished(self) -> bool:
        return self.outstanding == 0


@dataclass(frozen=True)
class Plan:
    """An event's job and its notices, each with its rendered message, before recording."""

    job: EventJob
    prepared: list[tuple[Notice, RenderedMessage]]


@dataclass(frozen=True)
class Attempt:
    """A notification's next try: what to send through which channel, and when it is due."""

    job: EventJob
    notice: Notice
    notification: Notification
    dispatch: Dispatch
    message: RenderedMessage
    due: datetime

    @property
    def channel(self) -> Channel:
        return self.notice.channel


class EventHandler:
    def __init__(
        self,
        notifications: Notifications,
        renderer: MessageRenderer,
        senders: Mapping[Channel, Sender],
        retry: RetryPolicy,
        directory: Directory,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: Mapping[Channel, int] = DEFAULT_WORKERS,
        keys: CaseKeyring | None = None,
    ) -> None:
        self.notifications = notifications
        self.renderer = renderer
        self.senders = senders
        self.retry = retry
        self.directory = directory
        self.clock = clock
        self.workers = workers
        self.keys = keys

    def start(self, envelope: Envelope, outbox: Outbox) -> tuple[EventJob, list[Attempt]]:
        """Every notice the event calls for, all rendered before any is tried; the tries."""
        plan = self.plan(envelope)
        return plan.job, self.begin(plan, outbox, self.record([plan]))

    def plan(self, envelope: Envelope) -> Plan:
        """The event's notices, each rendered; nothing recorded yet but the withheld ones.

        A notice to a filer whose personal data is erased is recorded withheld, not tried."""
        key = self._key(envelope)
        job = EventJob(envelope, opened(envelope, key), key)
        withholding = erased(envelope, key)
        # Planned on the sealed values when erased: a token still says which channels were
        # chosen, so a notification already begun for one of them is found and withheld.
        notices = plan_notices(envelope.event_type, str(envelope.case_id),
                               envelope.data if withholding else job.data, self.directory)
        for notice in notices:
            if withholding and notice.filer_facing:
                self._withhold_new(job, notice)
        prepared = [(notice, self.renderer.render(notice, job.data)) for notice in notices
                    if not (withholding and notice.filer_facing)]
        return Plan(job, prepared)

    def record(self, plans: Sequence[Plan]) -> dict[UUID, Notification]:
        """The notifications the plans call for, those new recorded together (one commit for
        all of them), by id."""
        return self.notifications.open_notifications([
            (plan.job.envelope.event_id, plan.job.envelope.case_id, notice)
            for plan in plans for notice, _ in plan.prepared
        ])

    def begin(
        self, plan: Plan, outbox: Outbox, recorded: Mapping[UUID, Notification]
    ) -> list[Attempt]:
        """The planned event's tries, each notification taken on from where it stands."""
        attempts = [attempt for notice, message in plan.prepared
                    for attempt in self._open(plan.job, notice, message, outbox, recorded)]
        self._report_if_finished(plan.job, outbox)
        return attempts

    def read_keys_ahead(self, messages: Sequence[Message]) -> None:
        """The case keys of a poll's messages read in one catch-up, before any is planned
        (on Kafka, a case key not held costs a round trip to the broker). Only a hint: a
        message that cannot be read here is left to planning, which says what is wrong."""
        if self.keys is None or len(messages) < 2:
            return
        case_ids = []
        for message in messages:
            try:
                case_ids.append(UUID(message.key))
            except ValueError:
                continue
        self.keys.read_ahead(case_ids)

    def _key(self, envelope: Envelope) -> DataKey | None:
        """The case's key if its event carries sealed values; forgotten on erasure."""
        if self.keys is None:
            return None
        if envelope.event_type == ERASURE_EVENT:
            self.keys.forget(envelope.case_id)
            return None
        return self.keys.data_key(envelope.case_id) if carries_token(envelope) else None

    def _withhold_new(self, job: EventJob, notice: Notice) -> None:
        notification_id = notification_id_for(job.envelope.event_id, notice.recipient,
                                              notice.channel.value)
        if notification_id in job.handled:
            return
        job.handled.add(notification_id)
        notification = self.notifications.open_notification(
            job.envelope.event_id, job.envelope.case_id, notice)
        if not notification.done:
            try:
                self.notifications.record_withheld(notification, PERSONAL_DATA_ERASED,
                                                   self.clock())
            except NotificationConflictError as error:
                log.warning("%s; left to the worker that changed it", error)

    def withhold(self, attempt: Attempt, outbox: Outbox) -> None:
        """Drop a try still waiting when the case's personal data was erased: recorded
        withheld, never sent; its opened values go with it."""
        try:
            self.notifications.record_withheld(attempt.notification, PERSONAL_DATA_ERASED,
                                               self.clock())
        except NotificationConflictError as error:
            log.warning("%s; left to the worker that changed it", error)
        attempt.job.outstanding -= 1
        self._report_if_finished(attempt.job, outbox)

    def record_sent(self, attempt: Attempt, message_id: str) -> None:
        """Record a try that delivered, at once and on the thread that sent it: a crash
        between sending and this is the one way a message is sent twice."""
        self.notifications.record_sent(attempt.notification, message_id, self.clock())

    def settle(
        self, attempt: Attempt, outcome: str | Exception, outbox: Outbox
    ) -> list[Attempt]:
        """Go on from a try: sent (its message id, already recorded), failed (a DeliveryError,
        recorded here), or lost to another worker; the tries that follow."""
        job, notification = attempt.job, attempt.notification
        try:
            if isinstance(outcome, DeliveryError):
                retry = self._failed_try(notification, outcome)
                if retry is not None:
                    return [replace(attempt, due=retry)]
            elif isinstance(outcome, Exception):
                raise outcome
            following = self._settled(job, attempt.notice, notification, attempt.message, outbox)
        except NotificationConflictError as error:
            log.warning("%s; left to the worker that changed it", error)
            following = []
        job.outstanding -= 1
        self._report_if_finished(job, outbox)
        return following

    def _failed_try(self, notification: Notification, error: DeliveryError) -> datetime | None:
        """Record a failed try; when the next is due, or None when it was the last."""
        now = self.clock()
        retry_at = None if error.permanent else self.retry.retry_at(notification.attempts + 1,
                                                                    now)
        self.notifications.record_attempt_failed(notification, error.reason, retry_at)
        log.warning(
            "notification %s: try %d of %d on %s failed: %s (%s)", notification.id,
            notification.attempts, self.retry.attempts, notification.channel, error.reason,
            error.detail, extra={"notification_id": str(notification.id)},
        )
        if retry_at is None:
            self.notifications.record_failed(notification, now)
        return retry_at

    def _open(
        self, job: EventJob, notice: Notice, message: RenderedMessage, outbox: Outbox,
        recorded: Mapping[UUID, Notification] | None = None,
    ) -> list[Attempt]:
        """The notification for `notice` (among those `recorded` already, or opened now): its
        next try, or, when it is done, what follows."""
        notification_id = notification_id_for(job.envelope.event_id, notice.recipient,
                                              notice.channel.value)
        if notification_id in job.handled:
            return []  # a fallback already reached it in this handling
        job.handled.add(notification_id)
        notification = (recorded or {}).get(notification_id) or (
            self.notifications.open_notification(job.envelope.event_id, job.envelope.case_id,
                                                 notice))
        job.outstanding += 1
        try:
            if not notification.done and notification.attempts >= self.retry.attempts:
                # A process stopped between recording the last try and giving up.
                self.notifications.record_failed(notification, self.clock())
            if not notification.done:
                dispatch = self._dispatch(job.envelope, notice, notification, message)
                due = notification.retry_at or self.clock()
                return [Attempt(job, notice, notification, dispatch, message, due)]
            following = self._settled(job, notice, notification, message, outbox)
        except NotificationConflictError as error:
            log.warning("%s; left to the worker that changed it", error)
            following = []
        job.outstanding -= 1
        return following

    def _settled(
        self,
        job: EventJob,
        notice: Notice,
        notification: Notification,
        message: RenderedMessage,
        outbox: Outbox,
    ) -> list[Attempt]:
        """Report a notification that is done; the fallback's try, if one is to be taken."""
        envelope = job.envelope
        if notification.status == "sent":
            if notice.filer_facing:
                job.told.append((notice, notification))
                job.reached_filer |= notice.channel is not Channel.INBOX
            return []
        outbox.add_dead_letter(self._dead_letter(envelope, notice, notification))
        fallback = fallback_for(notice, job.data["case"])
        if fallback is None:
            if notice.filer_facing:
                job.unreachable.append(unreachable_receipt(envelope, notice, notification))
            return []
        if not notification.fallback_channel:
            self.notifications.record_fallback(notification, fallback.channel.value)
        return self._open(job, fallback, message, outbox)

    def _report_if_finished(self, job: EventJob, outbox: Outbox) -> None:
        """Once the event is handled: the filer's notice, once, with every channel it reached.

        The case is flagged (a receipt with delivered=false) only when no channel beyond
        the inbox reached the filer: a failed webhook beside a delivered email is no reason
        to call them."""
        if job.finished and not job.reported:
            job.reported = True
            if job.told:
                outbox.add_receipt(notice_receipt(job.envelope, job.told,
                                                  lambda notice: self._shown(job, notice),
                                                  job.key))
            if not job.reached_filer:
                for receipt in job.unreachable:
                    outbox.add_receipt(receipt)

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

    def _shown(self, job: EventJob, notice: Notice) -> str:
        """What the filer read on the notice's channel, the access code redacted."""
        return self.renderer.render(notice, job.data, redact_secrets=True).text_for(
            notice.channel)

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
