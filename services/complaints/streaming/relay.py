"""The relay: the case store's notification log, batch by batch, onto `huiyin.case-events`.

A batch is published (every message acknowledged) before its position is recorded, in the
relay's own tracking table in the case store. A crash between the two publishes the batch
again on restart, with the same event ids, which consumers drop: at least once, never
skipped. One case's events keep their order: they share a key, so a partition; batches go
one after another; and a failed batch is retried whole before anything after it. The relay
process, which repeats that batch after batch, is in `complaints.processes`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError, Tracking

from complaints.adapters.positions import PositionRecorder, open_position_recorder
from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, Batch, read_batch
from complaints.streaming.mapping import CaseEventMapper
from shared.contract.envelope import encode_envelope
from shared.contract.topics import CASE_EVENTS
from shared.stream.base import Outgoing, Publisher

log = logging.getLogger(__name__)

TRACKING_TABLE = "relay_tracking"


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


def open_relay_positions(app: Complaints, *, create: bool) -> PositionRecorder:
    """The relay's tracking table, in the case store beside the events."""
    recorder = open_position_recorder(app.recorder.datastore, TRACKING_TABLE)
    if create:
        recorder.create_table()
    return recorder
