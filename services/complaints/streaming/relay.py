"""The relay: the case store's notification log, batch by batch, onto `huiyin.case-events`.

A batch is published (every message acknowledged) before its position is recorded, in the
relay's own tracking table in the case store. A crash between the two publishes the batch
again on restart, with the same event ids, which consumers drop: at least once, never
skipped. One case's events keep their order: they share a key, so a partition; batches go
one after another; and a failed batch is retried whole before anything after it. The relay
process, which repeats that batch after batch, is in `complaints.processes`.

While the broker acknowledges a full batch, the relay reads and encodes the next one (most
of a batch's time is its own CPU, not the network's) and sends that one's keys; its events
are sent only after this batch is acknowledged and recorded, and only if the position it
starts from is the one then recorded.

The case keys channel goes with it (`huiyin.case-keys`, `shared.stream.keys`): before a
batch's events, the wrapped key of each case whose events carry a sealed value and whose key
this relay has not published yet (or published wrapped otherwise), and a tombstone for each
case the batch erases. A key already erased from the store is not published.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from complaints.adapters.positions import PositionRecorder, open_position_recorder
from complaints.application.service import Complaints
from complaints.following import BATCH_SIZE, Batch, read_batch
from complaints.settings import Settings
from complaints.streaming.mapping import CaseEventMapper
from shared.contract import case_events as wire
from shared.contract.envelope import carries_token, encode_envelope
from shared.contract.topics import CASE_EVENTS, CASE_KEYS
from shared.sealing import WrappedKey
from shared.stream.base import Outgoing, Publisher, Sending, StreamUnavailableError
from shared.stream.keys import case_key_messages, tombstones
from shared.stream.wakeups import PostgresNotifications, SQLiteChanges, Wakeup

log = logging.getLogger(__name__)

TRACKING_TABLE = "relay_tracking"
# The cases whose key this relay remembers publishing: least recently used forgotten first
# (then published again when needed, which changes nothing on the channel).
PUBLISHED_KEYS_SIZE = 10_000


@dataclass(frozen=True)
class Prepared:
    """A batch read from the log and the messages it becomes (none for staff events alone)."""

    batch: Batch
    messages: list[Outgoing]
    keys: list[WrappedKey] = field(default_factory=list)  # to publish before the messages
    erased: list[UUID] = field(default_factory=list)  # keys to tombstone before them


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
        self.published_keys: OrderedDict[UUID, WrappedKey] = OrderedDict()
        self._ahead: Prepared | None = None  # read while the previous batch was acknowledged
        self._keys_sent_ahead: tuple[Prepared, Sending] | None = None  # and its keys sent

    def position(self) -> int:
        """The last position published and recorded (0: none yet)."""
        return self.positions.max_tracking_id(self.app.name) or 0

    def prepare(self) -> Prepared:
        """The next batch after the recorded position, mapped and encoded."""
        position = self.position()
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.batch.after == position:
            return ahead
        return self._prepare_after(position)

    def _prepare_after(self, position: int) -> Prepared:
        batch = read_batch(self.app.recorder, position, self.batch_size)
        envelopes = self.mapper.envelopes(batch.notifications)
        messages = [Outgoing(str(e.case_id), encode_envelope(e)) for e in envelopes]
        erased = list(dict.fromkeys(
            e.case_id for e in envelopes if e.event_type == wire.PERSONAL_DATA_ERASED))
        sealed = dict.fromkeys(e.case_id for e in envelopes if carries_token(e))
        keys = self._keys_to_publish([case_id for case_id in sealed if case_id not in erased])
        return Prepared(batch, messages, keys, erased)

    def _keys_to_publish(self, case_ids: list[UUID]) -> list[WrappedKey]:
        """The current wrapped keys of these cases that differ from what was published."""
        if not case_ids:
            return []
        current = self.app.recorder.select_case_keys(case_ids)
        return [key for case_id, key in current.items()
                if self.published_keys.get(case_id) != key]

    def _remember(self, keys: Iterable[WrappedKey], erased: Iterable[UUID]) -> None:
        for key in keys:
            self.published_keys.pop(key.case_id, None)
            self.published_keys[key.case_id] = key
        for case_id in erased:
            self.published_keys.pop(case_id, None)
        while len(self.published_keys) > PUBLISHED_KEYS_SIZE:
            self.published_keys.popitem(last=False)

    def deliver(self, prepared: Prepared) -> int:
        """Publish the batch, then record its position; the number of events published.

        Raises StreamUnavailableError, with the position unchanged, if the broker did not
        acknowledge every message.
        """
        if not prepared.batch.notifications:
            return 0
        self._publish_keys(prepared)
        sending = self.publisher.send(CASE_EVENTS, prepared.messages)
        try:
            if len(prepared.batch.notifications) == self.batch_size:  # more may be waiting
                self._read_ahead(prepared.batch.last)
            sending.wait()
        except StreamUnavailableError:
            self._ahead = self._keys_sent_ahead = None  # this batch goes again first
            raise
        tracking = Tracking(self.app.name, prepared.batch.last)
        try:
            self.positions.advance(tracking, after=prepared.batch.after)
        except IntegrityError:
            # Another relay recorded a position meanwhile: ours published duplicates, which
            # consumers drop; carry on from wherever the position is now.
            log.warning("relay: the position moved past %d meanwhile; going on from %d",
                        prepared.batch.after, self.position())
        return len(prepared.messages)

    def _publish_keys(self, prepared: Prepared) -> None:
        """The batch's keys and tombstones, acknowledged before any of its events is sent: a
        consumer that reads an event finds its key already published, and one that reads an
        event of an erased case finds its key already gone. Keys sent ahead are waited for."""
        keys = prepared.keys
        sent_ahead, self._keys_sent_ahead = self._keys_sent_ahead, None
        if sent_ahead is not None and sent_ahead[0] is prepared:
            try:
                sent_ahead[1].wait()
            except StreamUnavailableError:
                pass  # sent again now
            else:
                keys = []
        self.publisher.publish(CASE_KEYS, case_key_messages(keys) + tombstones(prepared.erased))
        self._remember(prepared.keys, prepared.erased)

    def _read_ahead(self, position: int) -> None:
        """Prepare the batch after `position`, and send its keys beside this batch's events (a
        key published early changes nothing). A batch that cannot be prepared now is left to
        `prepare`, which reads it again once this one is recorded and meets the error itself."""
        try:
            ahead = self._prepare_after(position)
        except Exception:
            log.debug("relay: the next batch could not be prepared ahead", exc_info=True)
            return
        self._ahead = ahead
        if ahead.keys:
            keys = self.publisher.send(CASE_KEYS, case_key_messages(ahead.keys))
            self._keys_sent_ahead = (ahead, keys)

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


def store_wakeup(app: Complaints, settings: Settings, stop: threading.Event) -> Wakeup:
    """What wakes the relay when events are committed to the case store, by any process:
    the library's NOTIFY on PostgreSQL (LISTEN), the file's change counter on SQLite."""
    if settings.database_url:
        return PostgresNotifications(settings.database_url, app.recorder.channel_name, stop)
    return SQLiteChanges(settings.sqlite_path, stop)
