"""The receipts process: notify's reports on `huiyin.receipts` become the case's history.

Each receipt is recorded once (Case.FilerNotified, or FilerUnreachable when every channel
failed) and committed only after the write: a receipt delivered twice, or again after a
crash, finds itself recorded and changes nothing. A receipt that can never be recorded (no
such case here, or one that breaks the contract) is logged and committed, not retried forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from eventsourcing.persistence import PersistenceError

from complaints.application.service import CaseNotFoundError, Complaints, VersionConflictError
from complaints.bootstrap import build_services
from complaints.domain.errors import DomainError
from complaints.following import Backoff
from complaints.streaming.outages import Outage, supervise
from shared.contract.codec import ContractError
from shared.contract.receipts import Receipt, decode_receipt
from shared.contract.topics import RECEIPTS, RECEIPTS_GROUP
from shared.settings import Settings
from shared.stream.base import Message, StreamUnavailableError, Subscription
from shared.stream.factory import describe, open_subscription

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def record_receipts(app: Complaints, messages: Sequence[Message]) -> int:
    """Record the receipts in `messages`; the number new to their cases.

    A store outage or a concurrent write raises, with nothing to undo: the caller retries
    the same messages and those already recorded are recognised.
    """
    recorded = 0
    for message in messages:
        try:
            receipt = decode_receipt(message.value)
        except ContractError as error:
            log.error("receipts: skipped %s[%d]@%d, which breaks the contract: %s",
                      message.topic, message.partition, message.offset, error)
            continue
        try:
            recorded += _record(app, receipt)
        except VersionConflictError:
            raise
        except CaseNotFoundError:
            log.warning("receipts: skipped receipt %s for case %s, which this store does not hold",
                        receipt.receipt_id, receipt.case_id)
        except DomainError as error:
            log.error("receipts: skipped receipt %s for case %s: %s",
                      receipt.receipt_id, receipt.case_id, error)
    return recorded


def _record(app: Complaints, receipt: Receipt) -> int:
    return int(app.record_receipt(
        receipt.case_id, receipt.receipt_id, delivered=receipt.delivered,
        channel=receipt.channel, template=receipt.template, message_id=receipt.message_id,
        sent_at=receipt.sent_at, text=receipt.text, reason=receipt.reason,
    ))


def receive_once(settings: Settings) -> int:
    """Record every receipt waiting now; the number of receipt messages handled."""
    handled = 0
    with open_receipts(settings) as (app, subscription):
        while messages := subscription.poll(POLL_SECONDS):
            recorded = record_receipts(app, messages)
            subscription.commit(messages)
            handled += len(messages)
            log.info("receipts: %d handled, %d new", len(messages), recorded)
    return handled


def run_receipts(settings: Settings, *, stop: threading.Event) -> None:
    """Record receipts until `stop` is set, riding out broker and store outages."""
    log.info("receipts: reading %s from %s", RECEIPTS, describe(settings))

    def receive_until_stopped(outage: Outage, backoff: Backoff) -> None:
        with open_receipts(settings) as (app, subscription):
            _consume(app, subscription, settings, stop, outage, backoff)

    supervise("receipts", settings, stop, log, receive_until_stopped)


def _consume(
    app: Complaints,
    subscription: Subscription,
    settings: Settings,
    stop: threading.Event,
    outage: Outage,
    backoff: Backoff,
) -> None:
    while not stop.is_set():
        try:
            messages = subscription.poll(POLL_SECONDS)
        except StreamUnavailableError as error:
            delay = backoff.next()
            outage.failed(describe(settings), error, delay)
            stop.wait(delay)
            continue
        if not messages:
            continue
        if not _record_until_done(app, messages, stop, outage, backoff):
            return  # stopped: nothing committed, so the next start reads them again
        try:
            subscription.commit(messages)
        except StreamUnavailableError as error:
            # Recorded already: delivered again later, they are recognised and skipped.
            delay = backoff.next()
            outage.failed(describe(settings), error, delay)
            stop.wait(delay)
            continue
        outage.recovered()
        backoff.reset()


def _record_until_done(
    app: Complaints,
    messages: Sequence[Message],
    stop: threading.Event,
    outage: Outage,
    backoff: Backoff,
) -> bool:
    """Record the same messages until it works (True) or `stop` is set (False)."""
    while not stop.is_set():
        try:
            recorded = record_receipts(app, messages)
        except (PersistenceError, VersionConflictError) as error:
            delay = backoff.next()
            outage.failed("the event store", error, delay)
            stop.wait(delay)
            continue
        log.debug("receipts: %d handled, %d new", len(messages), recorded)
        return True
    return False


@contextmanager
def open_receipts(settings: Settings) -> Iterator[tuple[Complaints, Subscription]]:
    """The application and the subscription to the receipts topic, closed afterwards."""
    services = build_services(settings)
    try:
        subscription = open_subscription(settings, RECEIPTS_GROUP, [RECEIPTS])
        try:
            yield services.complaints, subscription
        finally:
            subscription.close()
    finally:
        services.close()
