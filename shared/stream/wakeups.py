"""Waking a follower as soon as what it follows changed, instead of after a fixed sleep.

A follower (the relay on the event store, a consumer on the embedded log) reads what is
new, and when there is nothing waits: `wait(timeout)` returns True as soon as something may
have been written since the previous wake-up (or since the waiter was made), False after
`timeout` seconds (or once `stop` is set). A wake-up is a hint, never the data: it may be
spurious (the follower reads nothing and waits again), and a missed one is made good by the
timeout, which stays the follower's poll interval. So the guarantees stay the follower's:
it reads from its recorded position, whatever woke it.

- PostgreSQL: LISTEN on the event store's channel. The eventsourcing library's recorder
  sends `NOTIFY <events table>` in every transaction that inserts events, and PostgreSQL
  delivers it on commit, to every listener, from any process.
- SQLite: `PRAGMA data_version` on a connection of the waiter's own. SQLite changes that
  number whenever another connection, in any process, commits to the file; reading it
  touches only the shared memory index of the write-ahead log, so checking it every few
  milliseconds costs microseconds. No writer needs to cooperate (gunicorn workers, the CLI
  and the importer all write the store), nothing is left behind by a crashed writer, and it
  is SQLite's documented way to see another connection's commits.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

# How often a SQLite waiter looks at the file's change counter while it waits.
SQLITE_CHECK_SECONDS = 0.005
# How long a PostgreSQL waiter blocks in one go, so that `stop` is seen this soon.
LISTEN_SLICE_SECONDS = 0.1


class Wakeup(Protocol):
    def wait(self, timeout: float) -> bool:
        """True once something may have been written since the last wake-up; False after
        `timeout` seconds, or when stopped."""

    def close(self) -> None: ...


class Sleep:
    """No wake-ups: the follower's poll interval alone."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()

    def wait(self, timeout: float) -> bool:
        self.stop.wait(timeout)
        return False

    def close(self) -> None:
        pass


class SQLiteChanges:
    """Wakes when another connection commits to the SQLite file (`PRAGMA data_version`).

    Given a connection, it watches through that one (whose own commits do not count);
    given a path, it opens its own.
    """

    def __init__(
        self,
        source: Path | str | sqlite3.Connection,
        stop: threading.Event | None = None,
        check_seconds: float = SQLITE_CHECK_SECONDS,
    ) -> None:
        if isinstance(source, sqlite3.Connection):
            self.connection, self._owned = source, False
        else:
            self.connection = sqlite3.connect(source, isolation_level=None,
                                              check_same_thread=False)
            self._owned = True
        self.stop = stop or threading.Event()
        self.check_seconds = check_seconds
        self.seen = self._version()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            version = self._version()
            if version != self.seen:
                self.seen = version
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.stop.wait(min(self.check_seconds, remaining)):
                return False

    def _version(self) -> int | None:
        try:
            return self.connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as error:
            # Cannot tell: say "changed", so the follower reads and meets the error itself.
            log.debug("cannot read the SQLite change counter: %s", error)
            return None

    def close(self) -> None:
        if self._owned:
            self.connection.close()


class PostgresNotifications:
    """Wakes on a NOTIFY on `channel` (LISTEN on a connection of its own).

    Notifications that queued up while the follower was reading are taken together: one
    wake-up for all of them. If the connection is lost it wakes the follower (which reads
    what was committed meanwhile, or meets the outage itself) and listens again; while it
    cannot, each wait is the follower's poll interval.
    """

    def __init__(self, url: str, channel: str, stop: threading.Event | None = None) -> None:
        self.url = url
        self.channel = channel
        self.stop = stop or threading.Event()
        self.connection: psycopg.Connection | None = None
        self._listen()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if self.connection is None and not self._listen():
            self.stop.wait(timeout)
            return True  # not listening: poll
        assert self.connection is not None
        try:
            while not self.stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                slice_seconds = min(remaining, LISTEN_SLICE_SECONDS)
                if list(self.connection.notifies(timeout=slice_seconds, stop_after=1)):
                    # The others queued meanwhile: this one wake-up covers them.
                    list(self.connection.notifies(timeout=0))
                    return True
        except psycopg.Error as error:
            # Listening again at once; woken, the follower reads what came meanwhile.
            log.debug("lost the LISTEN connection: %s", error)
            self.close()
            self._listen()
            return True
        return False

    def _listen(self) -> bool:
        try:
            connection = psycopg.connect(self.url, autocommit=True)
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except psycopg.Error as error:
            log.debug("cannot LISTEN on %s: %s", self.channel, error)
            return False
        self.connection = connection
        return True

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()
