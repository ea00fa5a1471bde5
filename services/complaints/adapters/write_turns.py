"""Whose turn it is to write a SQLite file, among every thread of every process on the machine.

SQLite lets one writer in at a time and makes the others retry: its busy handler sleeps
1, 2, 5, 10 … up to 100 ms between tries, so under load a writer often sleeps on past the
moment the file was free, and two gunicorn workers filing at once spent most of their time
asleep. Waiting in the kernel instead, on an exclusive `flock` of a file beside the database,
wakes the next writer the moment the last one is done. (The lock libraries, `filelock` and
`fasteners`, poll with sleeps as well.) Each thread opens the file once for itself: `flock`
belongs to an open file, so threads sharing one descriptor would not exclude each other.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriteTurns:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-writer")
        self._mine = threading.local()

    @contextmanager
    def turn(self) -> Iterator[None]:
        descriptor = getattr(self._mine, "descriptor", None)
        if descriptor is None:
            # Kept open for the thread's life: opening a file costs more than the lock.
            descriptor = self._mine.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
