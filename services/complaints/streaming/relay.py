"""The relay: the case store's notification log, batch by batch, onto `huiyin.case-events`.

A batch is published (every message acknowledged) before its position is recorded, in the
relay's own tracking table in the case store. A crash between the two publishes the batch
again on restart, with the same event ids, which consumers drop: at least once, never
skipped. One case's events keep their order: they share a key, so a partition; batches go
one after another; and a failed batch is retried whole before anything after it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError, PersistenceError, Tracking

from complaints.adapters.positions import PositionRecorder, open_position_recorder
from complaints.application.service import Complaints
from complaints.bootstrap import build_services
from complaints.following import BATCH_SIZE, Backoff, Batch, read_batch
from complaints.streaming.mapping import CaseEventMapper
from complaints.streaming.outages import Outage, supervise, what_failed
from shared.contract.envelope import encode_envelope
from shared.contract.topics import CASE_EVENTS
from shared.settings import Settings
from shared.stream.base import Outgoing, Publisher, StreamUnavailableError
from shared.stream.factory import describe, open_publisher, prepare_topics

log = logging.getLogger(__name__)

TRACKING_TABLE = "relay_tracking"
POLL_SECONDS = 0.5
PROGRESS_LOG_SECONDS = 60.0


@dataclass(frozen=True)
class Prepared:
    """A batch read from the log and the messages it becomes (none for staff events alone)."""

    batch: Batch
    messages: list[Outgoing]


class Relay:
    """Reads the log after its recorded position, publishes, and only then moves the position."""

    def __init__(
        self,
        app: Complaints,
        positions: PositionRecorder,
        publisher: Publisher,
        *,
        secret_key: str,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.app = app
        self.positions = positions
        self.publisher = publisher
        self.batch_size = batch_size
        self.mapper = CaseEventMapper(app, secret_key)

    def position(self) -> int:
        """The last position published and recorded (0: none yet)."""
        return self.positions.max_tracking_id(self.app.name) or 0

    def prepare(self) -> Prepared:
        """The next batch after the recorded position, mapped and encoded."""
        batch = read_batch(self.app.recorder, self.position(), self.batch_size)
        envelopes = self.mapper.envelopes(batch.notifications)
        messages = [Outgoing(str(e.case_id), encode_envelope(e)) for e in envelopes]
        return Prepared(batch, messages)

    def deliver(self, prepared: Prepared) -> int:
        """Publish the batch, then record its position; the number of events published.

        Raises StreamUnavailableError, with the position unchanged, if the broker did not
        acknowledge every message.
        """
        if not prepared.batch.notifications:
            return 0
        self.publisher.publish(CASE_EVENTS, prepared.messages)
        tracking = Tracking(self.app.name, prepared.batch.last)
        try:
            self.positions.advance(tracking, after=prepared.batch.after)
        except IntegrityError:
            # Another relay recorded a position meanwhile: ours published duplicates, which
            # consumers drop; carry on from wherever the position is now.
            log.warning("relay: the position moved past %d meanwhile; going on from %d",
                        prepared.batch.after, self.position())
        return len(prepared.messages)

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Publish every pending batch (until `stop` is set); the number of events published."""
        published = 0
        while stop is None or not stop.is_set():
            prepared = self.prepare()
            if not prepared.batch.notifications:
                break
            published += self.deliver(prepared)
        return published


def relay_once(settings: Settings) -> int:
    """Publish everything pending now; the number of events published."""
    with open_relay(settings) as relay:
        prepare_topics(settings)
        return relay.catch_up()


def run_relay(
    settings: Settings, *, stop: threading.Event, poll_interval: float = POLL_SECONDS
) -> None:
    """Relay until `stop` is set, riding out broker and store outages with backoff."""
    log.info("relay: publishing the case events to %s", describe(settings))

    def relay_until_stopped(outage: Outage, backoff: Backoff) -> None:
        with open_relay(settings) as relay:
            _follow(relay, settings, stop, poll_interval, outage, backoff)

    supervise("relay", settings, stop, log, relay_until_stopped)


def _follow(
    relay: Relay,
    settings: Settings,
    stop: threading.Event,
    poll_interval: float,
    outage: Outage,
    backoff: Backoff,
) -> None:
    """Batch after batch; the same batch again after a failure; a poll when the log is idle."""
    topics_ready = False
    prepared: Prepared | None = None
    published = 0
    next_progress = time.monotonic() + PROGRESS_LOG_SECONDS
    while not stop.is_set():
        try:
            if not topics_ready:
                prepare_topics(settings)
                topics_ready = True
            prepared = prepared or relay.prepare()
            published += relay.deliver(prepared)
        except (PersistenceError, StreamUnavailableError) as error:
            # The same batch again after the wait: nothing skipped, nothing reordered.
            delay = backoff.next()
            outage.failed(what_failed(error, settings), error, delay)
            stop.wait(delay)
            continue
        outage.recovered()
        backoff.reset()
        idle = len(prepared.batch.notifications) < relay.batch_size
        prepared = None
        if time.monotonic() >= next_progress:
            log.info("relay: %d events published; at position %d", published, relay.position())
            next_progress = time.monotonic() + PROGRESS_LOG_SECONDS
        if idle:
            stop.wait(poll_interval)


@contextmanager
def open_relay(settings: Settings) -> Iterator[Relay]:
    """A relay on the settings' store and stream, closed afterwards."""
    services = build_services(settings)
    try:
        positions = open_relay_positions(services.complaints, create=settings.create_tables)
        publisher = open_publisher(settings, client_id="huiyin-relay")
        try:
            yield Relay(services.complaints, positions, publisher,
                        secret_key=settings.secret_key)
        finally:
            publisher.close()
    finally:
        services.close()


def open_relay_positions(app: Complaints, *, create: bool) -> PositionRecorder:
    """The relay's tracking table, in the case store beside the events."""
    recorder = open_position_recorder(app.recorder.datastore, TRACKING_TABLE)
    if create:
        recorder.create_table()
    return recorder
