"""The case keys channel (`huiyin.case-keys`): publishing each case's wrapped key or its
tombstone, and reading the keys as they stand now.

A reader knows a case's key as the channel holds it at the time it asks: on Kafka it reads
the compacted topic to the end offsets (no consumer group: every partition, from the
beginning, then onwards) and, when a case's key is not among what it read, catches up to the
end once more before answering that the case has none; the relay publishes a key before the
first event that needs it, so a key not found then was erased, or never existed. The
embedded log keeps the channel as a table, always current.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from shared.contract.case_keys import decode_case_key, encode_case_key
from shared.contract.codec import ContractError
from shared.contract.topics import CASE_KEYS
from shared.sealing import WrappedKey
from shared.stream.base import Outgoing, Publisher, StreamUnavailableError
from shared.stream.embedded import EmbeddedLog
from shared.stream.kafka import client_config

log = logging.getLogger(__name__)

# How long catching up with the keys topic may take before the broker counts as unavailable.
CATCH_UP_SECONDS = 30.0


def case_key_messages(keys: Iterable[WrappedKey]) -> list[Outgoing]:
    return [Outgoing(str(key.case_id), encode_case_key(key)) for key in keys]


def tombstones(case_ids: Iterable[UUID]) -> list[Outgoing]:
    return [Outgoing(str(case_id), None) for case_id in case_ids]


def publish_case_keys(publisher: Publisher, keys: Iterable[WrappedKey]) -> int:
    """Publish each case's wrapped key (acknowledged); how many. Publishing a key again, or
    after its case's KEK rotated, only replaces the value the channel holds for the case."""
    messages = case_key_messages(keys)
    publisher.publish(CASE_KEYS, messages)
    return len(messages)


def publish_erased(publisher: Publisher, case_ids: Iterable[UUID]) -> None:
    """Tombstone the keys of cases whose personal data was erased."""
    publisher.publish(CASE_KEYS, tombstones(case_ids))


class CaseKeyReader(Protocol):
    def wrapped(self, case_id: UUID) -> WrappedKey | None:
        """The case's wrapped key as the channel holds it now; None if it holds none."""

    def refresh(self) -> None:
        """Read what was published since (for a key found but stale, e.g. rewrapped)."""

    def read_ahead(self, case_ids: Iterable[UUID]) -> None:
        """Read on once if any of these cases' keys is not held: a batch's new cases cost
        one catch-up, not one each."""

    def forget(self, case_id: UUID) -> None:
        """Drop what is held in memory about the case (its erasure was seen)."""

    def close(self) -> None: ...


def _decoded(case_id: UUID, raw: bytes | None) -> WrappedKey | None:
    if raw is None:
        return None
    try:
        return decode_case_key(case_id, raw)
    except ContractError as error:
        log.error("case %s's key on %s breaks the contract: %s", case_id, CASE_KEYS, error)
        return None


class EmbeddedCaseKeys:
    """The keys table of the embedded log, read directly: always as it stands."""

    def __init__(self, path: Path) -> None:
        self.log = EmbeddedLog(path)

    def wrapped(self, case_id: UUID) -> WrappedKey | None:
        return _decoded(case_id, self.log.keyed(CASE_KEYS, str(case_id)))

    def refresh(self) -> None:
        pass  # nothing held

    def read_ahead(self, case_ids: Iterable[UUID]) -> None:
        pass  # always current

    def forget(self, case_id: UUID) -> None:
        pass

    def close(self) -> None:
        self.log.close()


class KafkaCaseKeys:
    """The compacted keys topic, read to the end into memory (the wrapped keys only: they
    open nothing without the KEK), and caught up again when a key is asked for but missing."""

    def __init__(self, bootstrap: str, client_id: str = "huiyin", topic: str = CASE_KEYS) -> None:
        self.topic = topic
        self.config = {
            **client_config(bootstrap, client_id),
            "group_id": None,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
        }
        self._consumer: KafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []
        self.keys: dict[str, bytes] = {}
        self.catch_ups = 0  # how often it read to the end, to see what the memory saves

    def wrapped(self, case_id: UUID) -> WrappedKey | None:
        key = str(case_id)
        if key not in self.keys:
            self._read_on({key})
        return _decoded(case_id, self.keys.get(key))

    def read_ahead(self, case_ids: Iterable[UUID]) -> None:
        self._read_on({str(case_id) for case_id in case_ids})

    def _read_on(self, wanted: set[str]) -> None:
        """Hold `wanted`'s keys, as far as the channel has them: first from what the consumer
        has fetched meanwhile (it keeps fetching on: a key the relay published a moment ago
        is usually there), and only if one is still missing by catching up to the end."""
        if wanted <= self.keys.keys():
            return
        if self._consumer is not None:
            self.take_arrived()
        if not wanted <= self.keys.keys():
            self.refresh()

    def refresh(self) -> None:
        """Read every partition up to its end offset as it is now."""
        with self._reading() as consumer:
            ends = consumer.end_offsets(self._partitions)
            deadline = time.monotonic() + CATCH_UP_SECONDS
            while any(consumer.position(tp) < end for tp, end in ends.items()):
                if time.monotonic() > deadline:
                    raise StreamUnavailableError(
                        f"could not read {self.topic} to its end in {CATCH_UP_SECONDS:.0f}s")
                self._apply_polled(consumer.poll(timeout_ms=500))
        self.catch_ups += 1

    def take_arrived(self) -> None:
        """Apply the records the consumer fetched since, without asking the broker anything."""
        with self._reading() as consumer:
            while polled := consumer.poll(timeout_ms=0):
                self._apply_polled(polled)

    @contextmanager
    def _reading(self) -> Iterator[KafkaConsumer]:
        try:
            yield self._connected()
        except KafkaError as error:
            self.close()
            raise StreamUnavailableError(f"cannot read {self.topic} from Kafka: {error}") from None

    def _apply_polled(self, polled: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        for records in polled.values():
            for record in records:
                self._apply((record.key or b"").decode(), record.value)

    def forget(self, case_id: UUID) -> None:
        self.keys.pop(str(case_id), None)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
            self.keys.clear()  # read again from the beginning by the next consumer

    def _apply(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.keys.pop(key, None)
        else:
            self.keys[key] = value

    def _connected(self) -> KafkaConsumer:
        if self._consumer is None:
            consumer = KafkaConsumer(**self.config)
            try:
                numbers = consumer.partitions_for_topic(self.topic)
                if not numbers:
                    raise StreamUnavailableError(
                        f"{self.topic} does not exist on Kafka (run `huiyin stream prepare`)")
                self._partitions = [TopicPartition(self.topic, n) for n in sorted(numbers)]
                consumer.assign(self._partitions)
                consumer.seek_to_beginning(*self._partitions)
            except BaseException:
                consumer.close(autocommit=False)
                raise
            self.keys.clear()
            self._consumer = consumer
        return self._consumer
