"""The notify process: follows `huiyin.case-events` as group `notify` until told to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from notify.application.consumer import OUTAGES, drain, follow
from notify.bootstrap import CLIENT_ID, NotifyService, build_service
from notify.settings import NotifySettings
from shared.backoff import Backoff
from shared.contract.topics import CASE_EVENTS, NOTIFY_GROUP
from shared.stream.base import Publisher, Subscription
from shared.stream.factory import describe, open_publisher, open_subscription

log = logging.getLogger(__name__)


def run_notify(settings: NotifySettings, *, stop: threading.Event) -> None:
    """Handle case events until `stop` is set, riding out stream and store outages.

    After an outage everything is opened afresh, so reading resumes at the last commit:
    what was handled but not committed is handled again, idempotently, and nothing skipped.
    """
    backoff = Backoff()
    log.info("notify: following %s as group %s on %s", CASE_EVENTS, NOTIFY_GROUP,
             describe(settings.shared))
    while not stop.is_set():
        try:
            with _opened(settings) as (service, publisher, subscription):
                follow(subscription, service.handler, publisher, stop, polled=backoff.reset)
        except OUTAGES as error:
            delay = backoff.next()
            log.warning("notify: %s; trying again in %.1fs", error, delay)
            stop.wait(delay)
    log.info("notify: stopped")


def notify_once(settings: NotifySettings, *, wait_seconds: float = 5.0) -> int:
    """Handle every pending case event once, then return how many were handled."""
    with _opened(settings) as (service, publisher, subscription):
        return drain(subscription, service.handler, publisher, wait_seconds)


@contextmanager
def _opened(settings: NotifySettings) -> Iterator[tuple[NotifyService, Publisher, Subscription]]:
    """The store, the publisher and the subscription, closed again in reverse order."""
    with ExitStack() as resources:
        service = build_service(settings)
        resources.callback(service.close)
        publisher = open_publisher(settings.shared, CLIENT_ID)
        resources.callback(publisher.close)
        subscription = open_subscription(settings.shared, NOTIFY_GROUP, [CASE_EVENTS])
        resources.callback(subscription.close)
        yield service, publisher, subscription

