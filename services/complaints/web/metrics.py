"""Prometheus metrics: requests and latencies per endpoint, cases by state, read-model lag."""

# Under gunicorn each worker is a process of its own; with PROMETHEUS_MULTIPROC_DIR set,
# prometheus-client keeps every worker's counts in files there and a scrape adds them up
# (deploy/gunicorn.conf.py sets the directory and marks dead workers).

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from complaints.readmodels.case_index import CaseIndex

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("endpoint", "method", "status")


class ReadSideCollector:
    """Asked at each scrape: cases by state and how far the read model is behind."""

    def __init__(self, case_index: CaseIndex) -> None:
        self.case_index = case_index

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self.case_index.status_counts()
            lag = self.case_index.lag()
        except Exception:
            # A scrape must not fail with the read side; its absence is itself the signal.
            log.warning("read side unavailable for metrics", exc_info=True)
            return
        cases = GaugeMetricFamily(
            "huiyin_cases", "Cases by state, from the read model.", labels=["status"]
        )
        for status, count in sorted(counts.items()):
            cases.add_metric([status], count)
        yield cases
        yield GaugeMetricFamily(
            "huiyin_read_model_behind_events",
            "Events in the store not yet reflected in the read model.",
            value=lag.behind,
        )
        yield GaugeMetricFamily(
            "huiyin_read_model_tracked_position",
            "The last event position the read model reflects.",
            value=lag.tracked,
        )


class Metrics:
    def __init__(self, case_index: CaseIndex, multiprocess_dir: str | None) -> None:
        self._multiprocess_dir = multiprocess_dir
        # In multi-process mode the values live in files, not in a registry of this process.
        self._registry = None if multiprocess_dir else CollectorRegistry()
        self.requests = Counter(
            "huiyin_http_requests",
            "HTTP requests answered.",
            LABELS,
            registry=self._registry,
        )
        self.latency = Histogram(
            "huiyin_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self._registry,
        )
        self._read_side = ReadSideCollector(case_index)
        if self._registry is not None:
            self._registry.register(self._read_side)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        labels = (endpoint, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        registry = self._registry
        if registry is None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self._multiprocess_dir)
            registry.register(self._read_side)
        return generate_latest(registry), CONTENT_TYPE_LATEST
