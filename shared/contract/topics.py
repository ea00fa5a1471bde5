"""Topic names and how each is created: partitions, retention and compaction are explicit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CASE_EVENTS = "huiyin.case-events"
RECEIPTS = "huiyin.receipts"
NOTIFY_DEAD_LETTER = "huiyin.notify-dead-letter"
# Each case's data key, wrapped by the KEK, keyed by case id; a tombstone (null value) when
# the case's personal data is erased (shared.contract.case_keys).
CASE_KEYS = "huiyin.case-keys"

NOTIFY_GROUP = "notify"
RECEIPTS_GROUP = "complaints-receipts"

_HOUR_MS = 3600 * 1000
_WEEK_MS = 7 * 24 * _HOUR_MS


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int = -1  # kept for ever: a compacted topic keeps each key's last value
    configs: Mapping[str, str] = field(default_factory=dict)

    @property
    def compacted(self) -> bool:
        """Only each key's last value counts; a null value (a tombstone) deletes the key."""
        return self.configs.get("cleanup.policy") == "compact"

    def topic_configs(self) -> dict[str, str]:
        """What the topic is created with on a broker."""
        retention = {} if self.compacted else {"retention.ms": str(self.retention_ms)}
        return {**retention, **self.configs}


# How long an erased case's wrapped key may stay on a broker's disk after its tombstone:
# the active segment is rolled (and so becomes compactable) once its first record is older
# than max.compaction.lag.ms (Kafka rolls a compacted log at min(segment.ms, that lag),
# on the next write), and the cleaner compacts a log at that lag even when little of it is
# dirty. The tombstone itself, which holds nothing, is kept delete.retention.ms, so that a
# reader that was behind still sees the key go.
CASE_KEYS_CONFIGS: Mapping[str, str] = {
    "cleanup.policy": "compact",
    "segment.ms": str(6 * _HOUR_MS),
    "max.compaction.lag.ms": str(24 * _HOUR_MS),
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": str(24 * _HOUR_MS),
}

TOPICS = (
    # Keyed by case id, so one case's events stay in order on one partition.
    TopicSpec(CASE_EVENTS, partitions=6, retention_ms=4 * _WEEK_MS),
    TopicSpec(RECEIPTS, partitions=3, retention_ms=4 * _WEEK_MS),
    # Dead letters wait for a person: kept longer.
    TopicSpec(NOTIFY_DEAD_LETTER, partitions=1, retention_ms=13 * _WEEK_MS),
    # Keyed by case id and compacted: what a reader reads to the end is each case's key now.
    TopicSpec(CASE_KEYS, partitions=3, configs=CASE_KEYS_CONFIGS),
)
COMPACTED = frozenset(spec.name for spec in TOPICS if spec.compacted)
