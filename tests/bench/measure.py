"""Timing samples and the one table the benchmarks print."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    label: str
    count: int
    seconds: float
    latencies: list[float]
    # CPU seconds the serving side spent on the calls (see `timed_calls`), if measured.
    cpu_seconds: float | None = None

    @property
    def throughput(self) -> float:
        return self.count / self.seconds

    @property
    def cpu_per_call(self) -> float | None:
        return None if self.cpu_seconds is None else self.cpu_seconds / self.count

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_calls(label: str, call: Callable[[int], object], count: int,
                concurrency: int = 1, cpu: Callable[[], float] | None = None) -> Sample:
    """Run call(0..count-1) on `concurrency` threads, timing each call and the whole; with
    `cpu` (a clock of CPU seconds, such as `servers_cpu`), what the calls cost on it."""

    def one(index: int) -> float:
        started = time.perf_counter()
        call(index)
        return time.perf_counter() - started

    cpu_before = cpu() if cpu else 0.0
    started = time.perf_counter()
    if concurrency == 1:
        latencies = [one(index) for index in range(count)]
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            latencies = list(pool.map(one, range(count)))
    seconds = time.perf_counter() - started
    return Sample(label, count, seconds, latencies, cpu() - cpu_before if cpu else None)


def servers_cpu() -> float:
    """CPU seconds (user and system) spent so far by every live process started under this
    one: the servers a benchmark runs (gunicorn's master and workers, PostgreSQL), without
    the benchmark's own threads that make the calls. Read from /proc."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # After the command's name (in parentheses): state, ppid, … utime, stime.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = int(fields[11]) + int(fields[12])
    total = 0
    frontier = list(children.get(os.getpid(), []))
    while frontier:
        pid = frontier.pop()
        total += ticks[pid]
        frontier.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def own_and_servers_cpu() -> float:
    """CPU seconds of this process (every thread) and of the servers under it: what filing in
    process costs, the application being this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + servers_cpu()


def table(rows: Iterable[list[str]], header: list[str]) -> str:
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)
