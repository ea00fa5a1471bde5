"""The stream the settings name: Kafka if KAFKA_BOOTSTRAP_SERVERS is set, else the embedded log."""

from __future__ import annotations

from collections.abc import Iterable

from shared.contract.topics import TOPICS
from shared.settings import CommonSettings
from shared.stream.base import Publisher, Subscription
from shared.stream.embedded import EmbeddedLog, EmbeddedPublisher, EmbeddedSubscription
from shared.stream.kafka import KafkaPublisher, KafkaSubscription, ensure_topics
from shared.stream.keys import CaseKeyReader, EmbeddedCaseKeys, KafkaCaseKeys


def open_publisher(settings: CommonSettings, client_id: str = "huiyin") -> Publisher:
    if settings.uses_kafka:
        return KafkaPublisher(settings.kafka_bootstrap_servers, client_id)
    return EmbeddedPublisher(settings.stream_path)


def open_subscription(settings: CommonSettings, group: str, topics: Iterable[str]) -> Subscription:
    if settings.uses_kafka:
        return KafkaSubscription(settings.kafka_bootstrap_servers, group, topics, group)
    return EmbeddedSubscription(settings.stream_path, group, topics)


def open_case_keys(settings: CommonSettings, client_id: str = "huiyin") -> CaseKeyReader:
    """A reader of the case keys channel (`huiyin.case-keys`)."""
    if settings.uses_kafka:
        return KafkaCaseKeys(settings.kafka_bootstrap_servers, client_id)
    return EmbeddedCaseKeys(settings.stream_path)


def prepare_topics(settings: CommonSettings) -> list[str]:
    """Create the topics (Kafka) or the log file (embedded); the names of topics created."""
    if settings.uses_kafka:
        return ensure_topics(settings.kafka_bootstrap_servers, TOPICS)
    EmbeddedLog(settings.stream_path).close()
    return []


def describe(settings: CommonSettings) -> str:
    """Where the stream is, for log lines."""
    if settings.uses_kafka:
        return f"Kafka at {settings.kafka_bootstrap_servers}"
    return f"the embedded stream at {settings.stream_path}"
