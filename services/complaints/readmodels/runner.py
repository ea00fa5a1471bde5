"""The projection runner: keeps the read models current by polling the notification log.

Two read models follow the log, each with its own tracking table: the case index (queues
and search) and the scorecards' case facts. Each is moved batch by batch in turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.persistence import PersistenceError

from complaints.bootstrap import build_services
from complaints.following import Backoff, Batch
from complaints.readmodels.case_index import CaseIndexProjection, open_case_index
from complaints.readmodels.case_index.search_text import warm_segmenter
from complaints.readmodels.projection import Lag
from complaints.readmodels.scorecards import ScorecardProjection, open_scorecards
from shared.settings import Settings

log = logging.getLogger(__name__)

LAG_LOG_SECONDS = 60.0


class Projection(Protocol):
    def pending(self) -> Batch: ...

    def process(self, batch: Batch) -> int: ...

    def catch_up(self, stop: threading.Event | None = None) -> int: ...


@dataclass(frozen=True)
class Follower:
    """One read model the runner keeps current: its projection, its lag, how to empty it."""

    name: str
    projection: Projection
    lag: Callable[[], Lag]
    recreate_tables: Callable[[], None]


def catch_up(settings: Settings) -> int:
    """Process everything pending once; the most notifications any read model moved past."""
    with _followers(settings) as followers:
        return max(follower.projection.catch_up() for follower in followers)


def rebuild(settings: Settings) -> int:
    """Drop each read model and its tracking, create them empty, and catch up from the start.

    The number of notifications processed (every read model reads the same log).
    """
    with _followers(settings) as followers:
        for follower in followers:
            follower.recreate_tables()
        return max(follower.projection.catch_up() for follower in followers)


def run_projections(
    settings: Settings, *, stop: threading.Event, poll_interval: float = 0.5
) -> None:
    """Keep the read models current until `stop` is set, riding out database outages.

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
            with _followers(settings) as followers:
                _follow(followers, stop, poll_interval)
        except PersistenceError as error:
            delay = backoff.next()
            log.warning("projections: cannot open the store (%s); retrying in %.1fs", error, delay)
            stop.wait(delay)


def _follow(followers: Sequence[Follower], stop: threading.Event, poll_interval: float) -> None:
    """Batch after batch while there are any, a poll every `poll_interval` when there are not."""
    backoff = Backoff(poll_interval)
    next_lag_report = 0.0
    while not stop.is_set():
        pending = False
        try:
            for follower in followers:
                batch = follower.projection.pending()
                processed = follower.projection.process(batch)
                pending = pending or bool(batch.notifications)
                if processed:
                    log.debug("%s: processed %d notifications", follower.name, processed)
            if time.monotonic() >= next_lag_report:
                for follower in followers:
                    lag = follower.lag()
                    log.info(
                        "%s lag: tracked=%d head=%d behind=%d",
                        follower.name,
                        lag.tracked,
                        lag.head,
                        lag.behind,
                    )
                next_lag_report = time.monotonic() + LAG_LOG_SECONDS
        except PersistenceError as error:
            delay = backoff.next()
            log.warning("projections: store error (%s); retrying in %.1fs", error, delay)
            stop.wait(delay)
            continue
        backoff.reset()
        if not pending:
            stop.wait(poll_interval)


@contextmanager
def _followers(settings: Settings) -> Iterator[list[Follower]]:
    services = build_services(settings)
    try:
        index = open_case_index(settings)
        try:
            warm_segmenter()
            app = services.complaints
            scorecards = open_scorecards(app, create=settings.create_tables)
            yield [
                Follower(
                    "case_index",
                    CaseIndexProjection(app, index),
                    index.lag,
                    index.recorder.recreate_tables,
                ),
                Follower(
                    "scorecards",
                    ScorecardProjection(app, scorecards),
                    scorecards.lag,
                    scorecards.recorder.recreate_tables,
                ),
            ]
        finally:
            index.close()
    finally:
        services.close()
