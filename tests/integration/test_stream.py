"""The stream interface behaves the same on a real Kafka broker and on the embedded log."""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kafka.admin import ConfigResource, ConfigResourceType

from shared.contract.topics import TOPICS, TopicSpec
from shared.stream.base import Message, Outgoing, Publisher, StreamUnavailableError, Subscription
from shared.stream.embedded import EmbeddedPublisher, EmbeddedSubscription
from shared.stream.kafka import KafkaPublisher, KafkaSubscription, ensure_topics
from tests.fixtures.processes import BIN, clean_environment
from tests.fixtures.stores import TEST_KEK, TEST_SECRET

WAIT_SECONDS = 60


@dataclass
class Stream:
    """One kind of stream, and everything a test opens on it (closed afterwards)."""

    kind: str
    make_topic: Callable[[int], str]
    make_publisher: Callable[[], Publisher]
    make_subscription: Callable[[str, list[str]], Subscription]
    opened: list = field(default_factory=list)

    def topic(self, partitions: int = 3) -> str:
        return self.make_topic(partitions)

    def publisher(self) -> Publisher:
        self.opened.append(publisher := self.make_publisher())
        return publisher

    def subscription(self, group: str, topics: list[str]) -> Subscription:
        self.opened.append(subscription := self.make_subscription(group, topics))
        return subscription


@pytest.fixture(params=["kafka", "embedded"])
def stream(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stream]:
    if request.param == "kafka":
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        kafka_topic = request.getfixturevalue("kafka_topic")
        chosen = Stream(
            "kafka",
            lambda partitions: kafka_topic(partitions=partitions),
            lambda: KafkaPublisher(bootstrap),
            lambda group, topics: KafkaSubscription(bootstrap, group, topics),
        )
    else:
        path = tmp_path / "stream.sqlite"
        chosen = Stream(
            "embedded",
            lambda partitions: f"topic-{uuid.uuid4().hex[:8]}",
            lambda: EmbeddedPublisher(path),
            lambda group, topics: EmbeddedSubscription(path, group, topics),
        )
    yield chosen
    for resource in reversed(chosen.opened):
        resource.close()


def group() -> str:
    return f"group-{uuid.uuid4().hex[:10]}"


def read(subscription: Subscription, count: int) -> list[Message]:
    """Poll until `count` messages arrived (or fail after WAIT_SECONDS); never more is asked."""
    messages: list[Message] = []
    deadline = time.monotonic() + WAIT_SECONDS
    while len(messages) < count:
        assert time.monotonic() < deadline, f"{len(messages)} of {count} messages arrived"
        messages += subscription.poll(0.5)
    return messages


def read_until_quiet(subscription: Subscription) -> list[Message]:
    """Everything there is: polls until one comes back empty (the group is joined first)."""
    messages: list[Message] = []
    while batch := subscription.poll(1.0):
        messages += batch
    return messages


def by_key(messages: list[Message]) -> dict[str, list[bytes]]:
    values: dict[str, list[bytes]] = defaultdict(list)
    for message in messages:
        values[message.key].append(message.value)
    return values


def numbered(count: int, keys: int = 7) -> list[Outgoing]:
    return [Outgoing(f"case-{n % keys}", f"{n}".encode()) for n in range(count)]


def test_one_keys_messages_arrive_in_the_order_they_were_published(stream):
    topic = stream.topic(partitions=3)
    publisher = stream.publisher()
    sent = numbered(300)
    for start in range(0, 300, 100):
        publisher.publish(topic, sent[start:start + 100])
    received = read(stream.subscription(group(), [topic]), 300)
    assert by_key(received) == by_key([Message(topic, 0, 0, m.key, m.value) for m in sent])
    assert len({(m.partition, m.offset) for m in received}) == 300


def test_a_new_group_starts_at_the_earliest_message(stream):
    topic = stream.topic()
    stream.publisher().publish(topic, numbered(20))
    first = read(stream.subscription(group(), [topic]), 20)
    second = read(stream.subscription(group(), [topic]), 20)
    assert sorted(m.value for m in first) == sorted(m.value for m in second)


def test_a_group_resumes_after_what_it_committed_and_nothing_else(stream):
    topic = stream.topic(partitions=3)
    stream.publisher().publish(topic, numbered(60))
    name = group()
    reader = stream.subscription(name, [topic])
    received = read(reader, 60)
    per_partition: dict[int, list[Message]] = defaultdict(list)
    for message in received:
        per_partition[message.partition].append(message)
    done = [m for ms in per_partition.values() for m in ms[: len(ms) // 2]]
    reader.commit(done)
    reader.close()

    again = read_until_quiet(stream.subscription(name, [topic]))

    assert sorted(m.value for m in again) == sorted(
        m.value for m in received if m not in done
    )


def test_what_was_not_committed_is_delivered_again(stream):
    topic = stream.topic()
    stream.publisher().publish(topic, numbered(10))
    name = group()
    reader = stream.subscription(name, [topic])
    assert len(read(reader, 10)) == 10
    reader.close()
    assert len(read_until_quiet(stream.subscription(name, [topic]))) == 10


def test_a_subscription_follows_several_topics(stream):
    orders, receipts = stream.topic(partitions=1), stream.topic(partitions=1)
    publisher = stream.publisher()
    publisher.publish(orders, numbered(5))
    publisher.publish(receipts, numbered(3))
    received = read(stream.subscription(group(), [orders, receipts]), 8)
    assert sorted(m.topic for m in received) == sorted([orders] * 5 + [receipts] * 3)


def _publish_from_another_process(path: str, topic: str, writer: int) -> None:
    publisher = EmbeddedPublisher(Path(path))
    for batch in range(20):
        publisher.publish(topic, [Outgoing(f"writer-{writer}", f"{writer}:{batch}:{n}".encode())
                                  for n in range(10)])
    publisher.close()


def test_the_embedded_log_takes_batches_from_several_processes_at_once(tmp_path):
    path, topic = tmp_path / "stream.sqlite", "busy"
    EmbeddedPublisher(path).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_publish_from_another_process, args=(str(path), topic, w))
               for w in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(WAIT_SECONDS)
        assert writer.exitcode == 0
    reader = EmbeddedSubscription(path, "readers", [topic])
    received = read(reader, 800)
    reader.close()
    assert [m.offset for m in received] == list(range(800))
    for writer, values in by_key(received).items():
        w = writer.removeprefix("writer-")
        assert values == [f"{w}:{b}:{n}".encode() for b in range(20) for n in range(10)]


def test_topics_are_created_with_their_partitions_and_retention_once(kafka_bootstrap, kafka_admin):
    specs = [TopicSpec(f"test-prepared-{uuid.uuid4().hex[:8]}", 4, 3_600_000),
             TopicSpec(f"test-prepared-{uuid.uuid4().hex[:8]}", 1, 7_200_000)]
    try:
        assert ensure_topics(kafka_bootstrap, specs) == [spec.name for spec in specs]
        assert ensure_topics(kafka_bootstrap, specs) == []
        described = {t["name"]: len(t["partitions"]) for t in kafka_admin.describe_topics(
            [spec.name for spec in specs])}
        assert described == {spec.name: spec.partitions for spec in specs}
        for spec in specs:
            configs = kafka_admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, spec.name)])["topic"][spec.name]
            assert configs["retention.ms"]["value"] == str(spec.retention_ms)
    finally:
        kafka_admin.delete_topics([spec.name for spec in specs])


def test_an_unreachable_broker_is_reported_as_unavailable(unused_port):
    publisher = KafkaPublisher(f"127.0.0.1:{unused_port}")
    publisher.config["bootstrap_timeout_ms"] = 1000
    with pytest.raises(StreamUnavailableError):
        publisher.publish("anything", numbered(1))
    publisher.close()
    subscription = KafkaSubscription(f"127.0.0.1:{unused_port}", group(), ["anything"])
    subscription.config["bootstrap_timeout_ms"] = 1000
    with pytest.raises(StreamUnavailableError):
        subscription.poll(0.5)
    subscription.close()


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_stream_prepare_creates_the_contracts_topics(kafka_bootstrap, kafka_admin, tmp_path):
    env = {**clean_environment(), "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
           "HUIYIN_DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    done = subprocess.run([str(BIN / "huiyin"), "stream", "prepare"], env=env, text=True,
                          capture_output=True, timeout=WAIT_SECONDS, check=False)
    assert done.returncode == 0, done.stderr
    assert f"Kafka at {kafka_bootstrap} is ready" in done.stdout
    described = kafka_admin.describe_topics([spec.name for spec in TOPICS])
    assert {t["name"]: len(t["partitions"]) for t in described} == {
        spec.name: spec.partitions for spec in TOPICS}


def test_stream_prepare_without_kafka_makes_the_embedded_log(tmp_path):
    env = {**clean_environment(), "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
           "HUIYIN_DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": ""}
    done = subprocess.run([str(BIN / "huiyin"), "stream", "prepare"], env=env, text=True,
                          capture_output=True, timeout=WAIT_SECONDS, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "stream.sqlite").exists()


def test_a_second_consumer_of_a_group_on_the_embedded_log_reads_nothing_until_the_first_is_gone(
    tmp_path,
):
    path, topic = tmp_path / "stream.sqlite", "one-reader"
    EmbeddedPublisher(path).publish(topic, numbered(10))
    first = EmbeddedSubscription(path, "senders", [topic])
    received = read(first, 10)
    first.commit(received[:4])
    second = EmbeddedSubscription(path, "senders", [topic])
    other_group = EmbeddedSubscription(path, "archivists", [topic])

    assert second.poll(0.3) == []
    assert len(read(other_group, 10)) == 10
    first.close()
    # The first is gone: the second takes over where the group's commits say, no earlier.
    taken_over = read_until_quiet(second)
    second.close()
    other_group.close()
    assert [m.offset for m in taken_over] == list(range(4, 10))


def test_a_consumer_of_the_embedded_log_killed_mid_batch_leaves_its_group_to_the_next(tmp_path):
    path, topic = tmp_path / "stream.sqlite", "crashing"
    EmbeddedPublisher(path).publish(topic, numbered(10))
    context = multiprocessing.get_context("spawn")
    holding = context.Event()
    crashed = context.Process(target=_consume_and_hang, args=(str(path), topic, holding))
    crashed.start()
    assert holding.wait(WAIT_SECONDS)
    standby = EmbeddedSubscription(path, "senders", [topic])
    assert standby.poll(0.3) == []
    crashed.kill()
    crashed.join(WAIT_SECONDS)
    taken_over = read_until_quiet(standby)
    standby.close()
    assert [m.offset for m in taken_over] == list(range(3, 10))


def _consume_and_hang(path: str, topic: str, holding) -> None:
    subscription = EmbeddedSubscription(Path(path), "senders", [topic])
    messages = read(subscription, 10)
    subscription.commit(messages[:3])
    holding.set()
    time.sleep(WAIT_SECONDS * 2)
