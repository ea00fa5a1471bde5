"""The development/test Kafka broker (deploy/kafka/broker.sh) works end to end with
kafka-python: idempotent keyed producing, consumer-group reading with manual commits,
per-key ordering.

Needs the plugin tests.fixtures.kafka (registered in the root conftest.py, or run with
``python -m pytest -p tests.fixtures.kafka tests/integration/test_kafka_broker.py``).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

N_MESSAGES = 100
N_KEYS = 7
PARTITIONS = 3


def test_keyed_messages_keep_per_key_order_through_a_consumer_group(kafka_bootstrap, kafka_topic):
    topic = kafka_topic(partitions=PARTITIONS)

    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        client_id="huiyin-smoke-producer",
        enable_idempotence=True,
        acks="all",
    )
    try:
        futures = [
            producer.send(
                topic,
                key=f"case-{i % N_KEYS}".encode(),
                value=f"{i % N_KEYS}:{i // N_KEYS}".encode(),
            )
            for i in range(N_MESSAGES)
        ]
        producer.flush(timeout=30)
        sent = [f.get(timeout=30) for f in futures]
    finally:
        producer.close(timeout=10)
    assert {m.partition for m in sent} <= set(range(PARTITIONS))
    assert len({m.partition for m in sent}) > 1, "keys should spread over the partitions"

    group = f"huiyin-smoke-{uuid.uuid4().hex[:8]}"
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        client_id="huiyin-smoke-consumer",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    received = []
    try:
        deadline = time.monotonic() + 60
        while len(received) < N_MESSAGES and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000).values():
                received.extend(records)
            consumer.commit()  # manual commit, after the batch is "processed"
        assert len(received) == N_MESSAGES, f"got {len(received)} of {N_MESSAGES} messages"

        # Committed offsets of the group reach the end of every partition.
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        end = consumer.end_offsets(tps)
        assert {tp: consumer.committed(tp) for tp in tps} == end
        assert sum(end.values()) == N_MESSAGES
    finally:
        consumer.close()

    # Exactly once each (idempotent producer, no duplicates), each key on one partition,
    # and within a key the messages arrive in the order they were sent.
    assert sorted(r.value for r in received) == sorted(
        f"{i % N_KEYS}:{i // N_KEYS}".encode() for i in range(N_MESSAGES)
    )
    by_key = defaultdict(list)
    partitions_of_key = defaultdict(set)
    for r in received:
        by_key[r.key].append(int(r.value.split(b":")[1]))
        partitions_of_key[r.key].add(r.partition)
    assert len(by_key) == N_KEYS
    for key, seqs in by_key.items():
        assert seqs == sorted(seqs) == list(range(len(seqs))), key
        assert len(partitions_of_key[key]) == 1, key
