"""Projections following the notification log exactly once: what every read model shares.

A read model's projection moves it batch by batch (`TrackedProjection`); the projections
process (`complaints.processes`) moves every read model one batch in turn (`advance`) for as
long as it runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, Batch, read_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lag:
    """How far a read model has read the event store's notification log.

    `tracked` is the last position the read model has processed, `head` the last one
    recorded. `behind` counts positions, not case events: PostgreSQL positions have gaps (a
    rolled-back insert uses up its id) and staff-account events share the log, so it is an
    upper bound on the case events not yet in the read model. 0 means up to date.
    """

    tracked: int
    head: int

    @property
    def behind(self) -> int:
        return max(0, self.head - self.tracked)


@dataclass(frozen=True)
class Part:
    """One of `of` parts of a read model's aggregates, by their ids, that follows the log on
    its own, with a position of its own (`position_name`): a catch-up far behind gives each
    part a process, and the read model's position moves once all have reached the same."""

    number: int  # 0 … of - 1
    of: int

    def holds(self, aggregate_id: UUID) -> bool:
        return aggregate_id.int % self.of == self.number

    def position_name(self, whole: str) -> str:
        return f"{whole} part {self.number + 1} of {self.of}"


def parts(whole: str, of: int) -> tuple[list[Part], list[str]]:
    """The `of` parts of a read model whose position is named `whole`, and their positions'
    names."""
    each = [Part(number, of) for number in range(of)]
    return each, [part.position_name(whole) for part in each]


class TrackedProjection:
    """Follows the notification log batch by batch into a read model, exactly once.

    A batch's rows and its tracking record commit together, and only if the recorded
    position is still where the batch was read from: a replayed batch, or one read before a
    rebuild emptied the read model, is refused by the store and skipped. So each
    notification counts once, and the read model only moves forward. Subclasses say what a
    batch changes (`changes`); the recorder stores it (`apply`).
    """

    label = "projection"

    def __init__(self, app: Complaints, recorder: Any, batch_size: int = BATCH_SIZE) -> None:
        self.app = app
        self.recorder = recorder
        self.batch_size = batch_size
        # The name the position is recorded under.
        self.position_name = app.name

    def changes(self, batch: Batch) -> Sequence[Any]:
        raise NotImplementedError

    def pending(self, until: int | None = None) -> Batch:
        """The next batch of notifications after the position the read model has recorded
        (none after `until`, if given)."""
        batch = read_batch(self.app.recorder, self._tracked(), self.batch_size)
        if until is not None and batch.notifications and batch.last > until:
            batch = Batch(batch.after, [notification for notification in batch.notifications
                                        if notification.id <= until])
        return batch

    def process(self, batch: Batch) -> int:
        """Apply one batch; the number of notifications it moved past (0 if refused)."""
        if not batch.notifications:
            return 0
        rows = self.changes(batch)
        tracking = Tracking(self.position_name, batch.notifications[-1].id)
        try:
            self.apply(rows, tracking, after=batch.after)
        except IntegrityError:
            tracked = self._tracked()
            if tracked == batch.after:
                raise  # the position did not move: the store refused the rows themselves
            log.info("%s: now at position %d, not %d; batch skipped",
                     self.label, tracked, batch.after)
            return 0
        return len(batch.notifications)

    def apply(self, rows: Sequence[Any], tracking: Tracking, *, after: int) -> None:
        """Store a batch's rows with its position (the recorder's `apply`)."""
        self.recorder.apply(rows, tracking, after=after)

    def catch_up(self, stop: threading.Event | None = None, until: int | None = None) -> int:
        """Process every pending batch (until `stop` is set; up to position `until`, if
        given); the number of notifications."""
        processed = 0
        while stop is None or not stop.is_set():
            batch = self.pending(until)
            if not batch.notifications:
                break
            processed += self.process(batch)
        return processed

    def _tracked(self) -> int:
        return self.recorder.max_tracking_id(self.position_name) or 0


class Projection(Protocol):
    def pending(self) -> Batch: ...

    def process(self, batch: Batch) -> int: ...

    def catch_up(self, stop: threading.Event | None = None) -> int: ...


@dataclass(frozen=True)
class Follower:
    """One read model following the log: its projection, its lag, how to empty it, and how
    to write most of it at once (its indexes made at the end)."""

    name: str
    projection: Projection
    lag: Callable[[], Lag]
    recreate_tables: Callable[[], None]
    indexes_deferred: Callable[[], AbstractContextManager[None]] = nullcontext


def advance(followers: Sequence[Follower]) -> bool:
    """One pass: each read model moves by its next batch; whether any had a batch to move by."""
    pending = False
    for follower in followers:
        batch = follower.projection.pending()
        processed = follower.projection.process(batch)
        pending = pending or bool(batch.notifications)
        if processed:
            log.debug("%s: processed %d notifications", follower.name, processed)
    return pending


def report_lag(followers: Sequence[Follower]) -> None:
    for follower in followers:
        lag = follower.lag()
        log.info(
            "%s lag: tracked=%d head=%d behind=%d",
            follower.name,
            lag.tracked,
            lag.head,
            lag.behind,
        )


def catch_up(followers: Sequence[Follower], *, together: bool = False) -> int:
    """Process everything pending once; the most notifications any read model moved past.

    `together`, each read model catches up in a thread of its own, for a store that takes
    writers at once: they share nothing but the log they read, and while one waits for its
    database the other folds its next batch (a query frees the GIL), so a catch-up takes
    about as long as its slowest read model rather than the sum of them.
    """
    if not together or len(followers) < 2:
        return max((follower.projection.catch_up() for follower in followers), default=0)
    with ThreadPoolExecutor(len(followers), thread_name_prefix="catch-up") as pool:
        return max(pool.map(lambda follower: follower.projection.catch_up(), followers))


def rebuild(followers: Sequence[Follower],
            catch_up: Callable[[Sequence[Follower]], int] = catch_up) -> int:
    """Drop each read model and its tracking, create them empty, and catch up from the start
    (by `catch_up`: one after the other unless told otherwise).

    The number of notifications processed (every read model reads the same log).
    """
    for follower in followers:
        follower.recreate_tables()
    return catch_up(followers)
