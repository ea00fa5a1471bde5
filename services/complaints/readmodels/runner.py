"""The projection runner: keeps the case index current by polling the notification log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.persistence import PersistenceError

from complaints.bootstrap import build_services
from complaints.following import Backoff
from complaints.readmodels.case_index import open_case_index
from complaints.readmodels.projection import CaseIndexProjection
from complaints.readmodels.search_text import warm_segmenter
from shared.settings import Settings

log = logging.getLogger(__name__)

LAG_LOG_SECONDS = 60.0


def catch_up(settings: Settings) -> int:
    """Process everything pending once; the number of notifications processed."""
    with _projection(settings) as projection:
        return projection.catch_up()


def rebuild(settings: Settings) -> int:
    """Drop the index and its tracking, create them empty, and catch up from the start."""
    with _projection(settings) as projection:
        projection.index.recorder.recreate_tables()
        return projection.catch_up()


def run_projections(
    settings: Settings, *, stop: threading.Event, poll_interval: float = 0.5
) -> None:
    """Keep the case index current until `stop` is set, riding out database outages.

    It polls on both stores. SQLite has no subscription; on PostgreSQL the library's
    ProjectionRunner would listen instead, but it builds the application from an env alone
    (ours needs its routing and secret key) and commits one event per transaction. A poll
    reads one indexed range (`position > tracked`), so a poll every half second costs next
    to nothing, a whole batch commits with one tracking record, and one loop serves both
    stores. Polling skips no position: the PostgreSQL recorder locks the events table while
    it inserts, so positions become visible in order.
    """
    backoff = Backoff(poll_interval)
    while not stop.is_set():
        try:
            with _projection(settings) as projection:
                _follow(projection, stop, poll_interval)
        except PersistenceError as error:
            delay = backoff.next()
            log.warning("case_index: cannot open the store (%s); retrying in %.1fs", error, delay)
            stop.wait(delay)


def _follow(projection: CaseIndexProjection, stop: threading.Event, poll_interval: float) -> None:
    """Batch after batch while there are any, a poll every `poll_interval` when there are not."""
    backoff = Backoff(poll_interval)
    next_lag_report = 0.0
    while not stop.is_set():
        try:
            batch = projection.pending()
            processed = projection.process(batch)
            if time.monotonic() >= next_lag_report:
                lag = projection.index.lag()
                log.info(
                    "case_index lag: tracked=%d head=%d behind=%d",
                    lag.tracked,
                    lag.head,
                    lag.behind,
                )
                next_lag_report = time.monotonic() + LAG_LOG_SECONDS
        except PersistenceError as error:
            delay = backoff.next()
            log.warning("case_index: store error (%s); retrying in %.1fs", error, delay)
            stop.wait(delay)
            continue
        backoff.reset()
        if processed:
            log.debug("case_index: processed %d notifications", processed)
        if not batch.notifications:
            stop.wait(poll_interval)


@contextmanager
def _projection(settings: Settings) -> Iterator[CaseIndexProjection]:
    services = build_services(settings)
    try:
        index = open_case_index(settings)
        try:
            warm_segmenter()
            yield CaseIndexProjection(services.complaints, index)
        finally:
            index.close()
    finally:
        services.close()
