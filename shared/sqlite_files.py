"""SQLite files that several processes open at once: their first opening, one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock


@contextmanager
def one_opener_at_a_time(path: Path, timeout: float) -> Iterator[None]:
    """Hold while a connection sets the file at `path` up (WAL mode, its tables).

    Switching a file to WAL mode takes its exclusive lock, and SQLite answers "database is
    locked" at once rather than wait for it (waiting could deadlock, so the busy timeout does
    not apply): two processes opening a new file together (two web workers at their first
    start, the notify service beside the relay) saw one of them fail, about one start in 25
    in a test of four threads. A file lock beside it makes openers take turns; once the file
    is in WAL mode, switching again changes nothing, and the tables exist.
    """
    with FileLock(path.with_name(path.name + ".opening.lock"), timeout=timeout,
                  poll_interval=0.01):
        yield
