"""The stream on a Kafka broker, through kafka-python: acknowledged batches, manual commits."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.producer.future import FutureRecordMetadata
from kafka.structs import OffsetAndMetadata

from shared.contract.topics import TopicSpec
from shared.stream.base import Message, Outgoing, StreamUnavailableError

log = logging.getLogger(__name__)

# Bounded waits, so an unreachable broker is reported in seconds and the caller backs off;
# kafka-python's defaults block for a minute and expire records after two.
CONNECT_TIMEOUT_MS = 10_000
REQUEST_TIMEOUT_MS = 10_000
DELIVERY_TIMEOUT_MS = 30_000
RECONNECT_BACKOFF_MAX_MS = 2_000
JOIN_SECONDS = 15.0
# How long the group waits on a consumer that stopped heartbeating before it hands that
# consumer's partitions on. kafka-python 3's default is 45 s: a notify killed and started
# again by its supervisor would send nothing for that long. Brokers accept 6 s and more by
# default (group.min.session.timeout.ms); a clean close leaves the group at once either way.
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 3_000


def quiet_client_logs() -> None:
    """Keep kafka-python's own lines out of the log but for the worst.

    While a broker is away it logs every reconnect attempt, several lines a second; our
    processes say once that the stream is unavailable and once that it is back instead.
    """
    logging.getLogger("kafka").setLevel(logging.CRITICAL)


def client_config(bootstrap: str, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": bootstrap.split(","),
        "client_id": client_id,
        "bootstrap_timeout_ms": CONNECT_TIMEOUT_MS,
        "request_timeout_ms": REQUEST_TIMEOUT_MS,
        "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,
    }


class KafkaPublisher:
    """An idempotent producer (acks=all, at most 5 requests in flight: order holds on retry),
    each batch flushed as soon as it is handed over, and compressed.

    The producer is made on first use and made again after a failure: kafka-python keeps
    expiring records of a producer whose broker went away even after it is back.
    """

    def __init__(self, bootstrap: str, client_id: str = "huiyin") -> None:
        self.config = {
            **client_config(bootstrap, client_id),
            "enable_idempotence": True,
            "acks": "all",
            "max_in_flight_requests_per_connection": 5,
            "max_block_ms": CONNECT_TIMEOUT_MS,
            "delivery_timeout_ms": DELIVERY_TIMEOUT_MS,
            "linger_ms": 5,
            # JSON shrinks about five times; kafka-python checksums every batch in pure Python
            # (CRC-32C) byte by byte, so a compressed batch costs far less CPU to send and to
            # read. gzip is zlib, in the standard library, and every Kafka client reads it.
            "compression_type": "gzip",
            # A relay batch (500 envelopes) in a few requests rather than dozens.
            "batch_size": 256 * 1024,
        }
        self._producer: KafkaProducer | None = None

    def connect(self) -> None:
        try:
            self._connected()
        except KafkaError as error:
            raise self._failed(error) from None

    def publish(self, topic: str, messages: Sequence[Outgoing]) -> None:
        """Send in order, keyed; return once the broker acknowledged every message."""
        self.send(topic, messages).wait()

    def send(self, topic: str, messages: Sequence[Outgoing]) -> KafkaSending:
        """Hand the messages to the producer, in order, keyed; wait on the answer."""
        if not messages:
            return KafkaSending(self, None, [])
        try:
            producer = self._connected()
            futures = [
                producer.send(topic, key=message.key.encode(), value=message.value)
                for message in messages
            ]
        except KafkaError as error:
            raise self._failed(error) from None
        return KafkaSending(self, producer, futures)

    def _failed(self, error: KafkaError) -> StreamUnavailableError:
        self._discard()
        return StreamUnavailableError(f"Kafka did not acknowledge the batch: {error}")

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None

    def _connected(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(**self.config)
        return self._producer

    def _discard(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=0)
            except KafkaError:
                log.debug("closing a failed producer failed", exc_info=True)
            self._producer = None


class KafkaSending:
    """Messages handed to the producer; `wait` flushes them and waits for every answer."""

    def __init__(
        self,
        publisher: KafkaPublisher,
        producer: KafkaProducer | None,
        futures: list[FutureRecordMetadata],
    ) -> None:
        self.publisher = publisher
        self.producer = producer
        self.futures = futures

    @property
    def done(self) -> bool:
        return all(future.is_done for future in self.futures)

    def wait(self) -> None:
        if self.producer is None:
            return
        # The producer expires what it cannot deliver in time; the margin lets it say so.
        deadline = time.monotonic() + DELIVERY_TIMEOUT_MS / 1000 + 5
        try:
            if not self.done:
                # Sent now, not after linger_ms: the caller waits for the acknowledgements.
                self.producer.flush(timeout=deadline - time.monotonic())
            for future in self.futures:
                future.get(timeout=max(deadline - time.monotonic(), 0.1))
        except KafkaError as error:
            raise self.publisher._failed(error) from None


class KafkaSubscription:
    """A consumer in group `group`: no auto-commit, and a new group starts at the earliest."""

    def __init__(
        self, bootstrap: str, group: str, topics: Iterable[str], client_id: str = "huiyin"
    ) -> None:
        self.topics = list(topics)
        self.config = {
            **client_config(bootstrap, client_id),
            "group_id": group,
            "session_timeout_ms": SESSION_TIMEOUT_MS,
            "heartbeat_interval_ms": HEARTBEAT_INTERVAL_MS,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
        }
        self._consumer: KafkaConsumer | None = None
        self._joined = False

    def poll(self, timeout: float, max_records: int = 500) -> list[Message]:
        """The next records, in order within each partition (waits for the group's assignment)."""
        try:
            consumer = self._connected()
            records = consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
            if not records and not self._joined:
                records = self._after_joining(consumer, timeout, max_records)
            self._joined = True
        except KafkaError as error:
            raise StreamUnavailableError(f"cannot read from Kafka: {error}") from None
        return [
            Message(r.topic, r.partition, r.offset, (r.key or b"").decode(), r.value)
            for partition in sorted(records, key=lambda tp: (tp.topic, tp.partition))
            for r in records[partition]
        ]

    @staticmethod
    def _after_joining(consumer: KafkaConsumer, timeout: float, max_records: int) -> dict:
        """The first records once the group has assigned partitions (a bounded wait).

        Until the consumer joined, an empty answer says nothing about what is there; a
        broker that delays the first rebalance makes joining take seconds.
        """
        deadline = time.monotonic() + JOIN_SECONDS
        while not consumer.assignment() and time.monotonic() < deadline:
            records = consumer.poll(timeout_ms=200, max_records=max_records)
            if records:
                return records
        return consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)

    def commit(self, messages: Sequence[Message]) -> None:
        """Commit, per partition, the offset after the highest message given."""
        highest: dict[TopicPartition, int] = {}
        for message in messages:
            partition = TopicPartition(message.topic, message.partition)
            highest[partition] = max(highest.get(partition, -1), message.offset)
        if not highest:
            return
        offsets = {tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in highest.items()}
        try:
            self._connected().commit(offsets)
        except KafkaError as error:
            raise StreamUnavailableError(f"Kafka did not take the commit: {error}") from None

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
            self._joined = False

    def _connected(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = KafkaConsumer(*self.topics, **self.config)
        return self._consumer


_PARTITION_CHECKS = 100  # 0.1 s apart


def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet, with their partitions, retention and compaction."""
    created = []
    try:
        admin = KafkaAdminClient(**client_config(bootstrap, "huiyin-admin"))
    except KafkaError as error:
        raise StreamUnavailableError(f"cannot reach Kafka at {bootstrap}: {error}") from None
    try:
        existing = set(admin.list_topics())
        for spec in specs:
            if spec.name in existing:
                continue
            topic = NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=-1,  # the broker's default.replication.factor
                topic_configs=spec.topic_configs(),
            )
            try:
                admin.create_topics([topic])
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass  # created by another process meanwhile
        _await_partitions(admin, {spec.name: spec.partitions for spec in specs
                                  if spec.name in created})
    except KafkaError as error:
        raise StreamUnavailableError(f"cannot create topics on Kafka: {error}") from None
    finally:
        admin.close()
    return created


def _await_partitions(admin: KafkaAdminClient, expected: dict[str, int]) -> None:
    """Return once the broker describes each new topic with all its partitions: it answers
    a creation before their leaders are elected, and a topic described then has none."""
    for _ in range(_PARTITION_CHECKS):
        if not expected:
            return
        described = {topic["name"]: len(topic["partitions"])
                     for topic in admin.describe_topics(list(expected))}
        expected = {name: count for name, count in expected.items()
                    if described.get(name, 0) < count}
        if expected:
            time.sleep(0.1)
    if expected:
        raise StreamUnavailableError(f"Kafka created {', '.join(expected)} but gave them no "
                                     f"partition leaders")
