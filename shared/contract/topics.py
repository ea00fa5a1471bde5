"""Topic names and how each is created: partitions and retention are explicit."""

from __future__ import annotations

from dataclasses import dataclass

CASE_EVENTS = "huiyin.case-events"
RECEIPTS = "huiyin.receipts"
NOTIFY_DEAD_LETTER = "huiyin.notify-dead-letter"

NOTIFY_GROUP = "notify"
RECEIPTS_GROUP = "complaints-receipts"

_WEEK_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int


TOPICS = (
    # Keyed by case id, so one case's events stay in order on one partition.
    TopicSpec(CASE_EVENTS, partitions=6, retention_ms=4 * _WEEK_MS),
    TopicSpec(RECEIPTS, partitions=3, retention_ms=4 * _WEEK_MS),
    # Dead letters wait for a person: kept longer.
    TopicSpec(NOTIFY_DEAD_LETTER, partitions=1, retention_ms=13 * _WEEK_MS),
)
