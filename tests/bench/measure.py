"""Timing samples and the one table the benchmarks print."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    label: str
    count: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_calls(label: str, call: Callable[[int], object], count: int,
                concurrency: int = 1) -> Sample:
    """Run call(0..count-1) on `concurrency` threads, timing each call and the whole."""

    def one(index: int) -> float:
        started = time.perf_counter()
        call(index)
        return time.perf_counter() - started

    started = time.perf_counter()
    if concurrency == 1:
        latencies = [one(index) for index in range(count)]
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            latencies = list(pool.map(one, range(count)))
    return Sample(label, count, time.perf_counter() - started, latencies)


def table(rows: Iterable[list[str]], header: list[str]) -> str:
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)
