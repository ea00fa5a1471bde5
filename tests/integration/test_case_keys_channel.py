"""The case keys channel on Kafka and in the embedded log: a reader knows each case's key as
it stands, finds a key published after it last read, and none once it is tombstoned."""

from __future__ import annotations

import base64
import dataclasses
import sqlite3
import time
from collections.abc import Iterator
from uuid import uuid4

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from shared.contract.topics import CASE_KEYS, CASE_KEYS_CONFIGS, TOPICS
from shared.sealing import KeyEncryptionKey, KeyRing
from shared.settings import CommonSettings
from shared.stream.factory import open_case_keys, open_publisher, prepare_topics
from shared.stream.keys import publish_case_keys, publish_erased
from tests.fixtures.stores import TEST_KEK, TEST_SECRET

WAIT_SECONDS = 30


@pytest.fixture(params=["embedded", "kafka"])
def channel(request: pytest.FixtureRequest, tmp_path) -> Iterator[CommonSettings]:
    settings = CommonSettings.from_env({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "HUIYIN_DATA_DIR": str(tmp_path)})
    if request.param == "kafka":
        broker = request.getfixturevalue("kafka_broker")  # fresh topics of its own
        settings = dataclasses.replace(settings, kafka_bootstrap_servers=broker.bootstrap)
    prepare_topics(settings)
    yield settings


def test_a_reader_finds_keys_published_after_it_read_and_none_after_a_tombstone(channel):
    ring = channel.key_ring
    publisher = open_publisher(channel)
    reader = open_case_keys(channel)
    try:
        _, first = ring.new_key(uuid4())
        publish_case_keys(publisher, [first])
        assert reader.wrapped(first.case_id) == first

        # Published after the reader read to the end: found by catching up once more.
        second_key, second = ring.new_key(uuid4())
        publish_case_keys(publisher, [second])
        assert reader.wrapped(second.case_id) == second
        assert ring.unwrap(reader.wrapped(second.case_id)).open(
            second_key.seal("Анна")) == "Анна"

        # Rewrapped (key rotation) and published again: the reader reads the new wrapping.
        rotated = KeyRing(KeyEncryptionKey.parse(KeyEncryptionKey.generate_text()), [ring.current])
        rewrapped = rotated.rewrap(first)
        publish_case_keys(publisher, [rewrapped, rewrapped])  # again: changes nothing
        reader.refresh()
        assert reader.wrapped(first.case_id) == rewrapped

        publish_erased(publisher, [first.case_id])
        reader.forget(first.case_id)
        assert reader.wrapped(first.case_id) is None
        assert reader.wrapped(second.case_id) == second
        assert reader.wrapped(uuid4()) is None  # never had one
    finally:
        reader.close()
        publisher.close()

    fresh = open_case_keys(channel)  # reads the channel from its beginning
    try:
        assert fresh.wrapped(first.case_id) is None
        assert fresh.wrapped(second.case_id) == second
    finally:
        fresh.close()


def test_the_keys_topic_is_created_compacted_with_its_bounds(kafka_broker):
    settings = CommonSettings.from_env({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap})
    assert CASE_KEYS in prepare_topics(settings)
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        # A new topic's settings reach the broker's answers a moment after it is created.
        deadline = time.monotonic() + WAIT_SECONDS
        while not (configs := admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, CASE_KEYS)])["topic"][CASE_KEYS]):
            assert time.monotonic() < deadline, "the topic's settings never showed"
            time.sleep(0.2)
    finally:
        admin.close()
    assert {name: configs[name]["value"] for name in CASE_KEYS_CONFIGS} == dict(CASE_KEYS_CONFIGS)
    assert [spec.name for spec in TOPICS if spec.compacted] == [CASE_KEYS]


def test_an_embedded_tombstone_deletes_the_row_and_its_bytes(tmp_path):
    settings = CommonSettings.from_env({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "HUIYIN_DATA_DIR": str(tmp_path)})
    publisher = open_publisher(settings)
    keys = [settings.key_ring.new_key(uuid4())[1] for _ in range(50)]
    publish_case_keys(publisher, keys)
    erased = keys[7]
    publish_erased(publisher, [erased.case_id])
    publisher.close()

    files = [path for path in tmp_path.glob("stream.sqlite*") if path.is_file()]
    stored = b"".join(path.read_bytes() for path in files)
    assert base64.b64encode(keys[8].wrapped) in stored
    assert base64.b64encode(erased.wrapped) not in stored
    with sqlite3.connect(settings.stream_path) as db:
        rows = db.execute("SELECT key FROM stream_keyed WHERE topic = ?", (CASE_KEYS,)).fetchall()
    assert len(rows) == 49 and (str(erased.case_id),) not in rows


def test_a_kafka_reader_takes_a_key_its_consumer_fetched_meanwhile_without_catching_up(
        kafka_broker, tmp_path):
    # Each event of a new case needs its key, which the relay published a moment before. A
    # reader that asked the broker for the end offsets every time paid a round trip on every
    # batch notify took; its consumer keeps fetching, so the key is usually there already.
    settings = dataclasses.replace(
        CommonSettings.from_env({"HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
                                 "HUIYIN_DATA_DIR": str(tmp_path)}),
        kafka_bootstrap_servers=kafka_broker.bootstrap)
    prepare_topics(settings)
    ring = settings.key_ring
    publisher = open_publisher(settings)
    reader = open_case_keys(settings)
    try:
        reader.refresh()  # read to the end once: the consumer now follows the topic
        caught_up = reader.catch_ups
        _, key = ring.new_key(uuid4())
        publish_case_keys(publisher, [key])

        deadline = time.monotonic() + WAIT_SECONDS
        while str(key.case_id) not in reader.keys and time.monotonic() < deadline:
            reader.take_arrived()
            time.sleep(0.05)
        assert reader.wrapped(key.case_id) == key
        reader.read_ahead([key.case_id])
        assert reader.catch_ups == caught_up

        # A key the channel does not have is still looked for at the end, once.
        assert reader.wrapped(uuid4()) is None
        assert reader.catch_ups == caught_up + 1
    finally:
        reader.close()
        publisher.close()
