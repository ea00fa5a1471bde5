"""The stream without a broker: an append-only log in one SQLite file, for `make run`.

One partition per topic (partition 0); offsets count from 0 in each topic, as in Kafka.
Several processes may publish and consume at once (WAL, a busy timeout, and appends in
`BEGIN IMMEDIATE` transactions, which take the file's write lock before reading the tail).
A group's committed offset is the next one to read. Each group has one consumer at a time
(Kafka would split the partitions; here there is one): a subscription holds an exclusive OS
file lock per group (filelock, fcntl.flock) for as long as it is open, and another one of the
same group, in any process, stands by, its polls answering nothing, until the lock is free;
then it reads on from the group's committed offsets. The OS drops the lock of a process that
dies, even by SIGKILL, so a standby takes over from a crashed one.
Messages are kept; the file grows with the log, as is fine for a developer's machine.

A compacted topic (`shared.contract.topics.COMPACTED`, the case keys) is a keyed table
instead: publishing replaces a key's value, and a tombstone (a null value) deletes its row.
The file is written with `secure_delete`, so SQLite overwrites a deleted row's bytes with
zeros, and a tombstone is followed by a truncating checkpoint, so the page images that held
it leave the write-ahead log as well.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from filelock import FileLock, Timeout

from shared.contract.topics import COMPACTED
from shared.sqlite_files import one_opener_at_a_time
from shared.stream.base import Message, Outgoing, StreamUnavailableError
from shared.stream.wakeups import SQLiteChanges

BUSY_TIMEOUT_SECONDS = 30.0

log = logging.getLogger(__name__)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS stream_messages ("
    "topic TEXT NOT NULL, message_offset INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
    "appended_at REAL NOT NULL, PRIMARY KEY (topic, message_offset)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS stream_offsets ("
    "group_id TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL, "
    "PRIMARY KEY (group_id, topic)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS stream_keyed ("
    "topic TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
    "PRIMARY KEY (topic, key)) WITHOUT ROWID",
)


class EmbeddedLog:
    """The SQLite file holding every topic's messages and every group's committed offsets."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are begun explicitly, and only where needed.
            self.connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            self.connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            self.connection.execute("PRAGMA secure_delete=ON")
            with one_opener_at_a_time(self.path, BUSY_TIMEOUT_SECONDS):
                self.connection.execute("PRAGMA journal_mode=WAL")
                with self.transaction():
                    for statement in _SCHEMA:
                        self.connection.execute(statement)
        except (OSError, sqlite3.Error, Timeout) as error:
            raise StreamUnavailableError(
                f"cannot open the stream at {self.path}: {error}"
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the file's lock from its start; rolled back on error."""
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise StreamUnavailableError(f"the stream at {self.path} failed: {error}") from None

    def read(self, topic: str, start: int, limit: int) -> list[Message]:
        try:
            rows = self.connection.execute(
                "SELECT message_offset, key, value FROM stream_messages "
                "WHERE topic = ? AND message_offset >= ? ORDER BY message_offset LIMIT ?",
                (topic, start, limit),
            ).fetchall()
        except sqlite3.Error as error:
            raise StreamUnavailableError(f"cannot read the stream: {error}") from None
        return [Message(topic, 0, offset, key, bytes(value)) for offset, key, value in rows]

    def keyed(self, topic: str, key: str) -> bytes | None:
        """The value of `key` in the compacted `topic`; None if it has none (or was deleted)."""
        try:
            row = self.connection.execute(
                "SELECT value FROM stream_keyed WHERE topic = ? AND key = ?", (topic, key)
            ).fetchone()
        except sqlite3.Error as error:
            raise StreamUnavailableError(f"cannot read the stream: {error}") from None
        return bytes(row[0]) if row else None

    def keyed_items(self, topic: str) -> dict[str, bytes]:
        """Every key of the compacted `topic` and its value."""
        try:
            rows = self.connection.execute(
                "SELECT key, value FROM stream_keyed WHERE topic = ?", (topic,)
            ).fetchall()
        except sqlite3.Error as error:
            raise StreamUnavailableError(f"cannot read the stream: {error}") from None
        return {key: bytes(value) for key, value in rows}

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it, if no reader holds it now."""
        try:
            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as error:
            log.debug("the stream's checkpoint did not run: %s", error)

    def committed(self, group: str, topic: str) -> int:
        try:
            row = self.connection.execute(
                "SELECT next_offset FROM stream_offsets WHERE group_id = ? AND topic = ?",
                (group, topic),
            ).fetchone()
        except sqlite3.Error as error:
            raise StreamUnavailableError(f"cannot read the stream: {error}") from None
        return row[0] if row else 0

    def close(self) -> None:
        self.connection.close()


class Sent:
    """A batch already acknowledged."""

    done = True

    def wait(self) -> None:
        return None


class EmbeddedPublisher:
    """Appends batches to the embedded log; a batch is acknowledged when its transaction commits."""

    def __init__(self, path: Path) -> None:
        self.log = EmbeddedLog(path)

    def connect(self) -> None:
        return None  # the log's file is open already

    def send(self, topic: str, messages: Sequence[Outgoing]) -> Sent:
        """Appended at once: the answer has nothing left to wait for."""
        self.publish(topic, messages)
        return Sent()

    def publish(self, topic: str, messages: Sequence[Outgoing]) -> None:
        if not messages:
            return
        if topic in COMPACTED:
            self._publish_keyed(topic, messages)
            return
        if any(message.value is None for message in messages):
            raise ValueError(f"{topic} is not compacted: a message without a value means nothing")
        now = time.time()
        with self.log.transaction() as db:
            (tail,) = db.execute(
                "SELECT COALESCE(MAX(message_offset) + 1, 0) FROM stream_messages WHERE topic = ?",
                (topic,),
            ).fetchone()
            db.executemany(
                "INSERT INTO stream_messages VALUES (?, ?, ?, ?, ?)",
                [
                    (topic, tail + n, message.key, message.value, now)
                    for n, message in enumerate(messages)
                ],
            )

    def _publish_keyed(self, topic: str, messages: Sequence[Outgoing]) -> None:
        """Each key's value replaced, in order; a tombstone deletes the key's row."""
        with self.log.transaction() as db:
            for message in messages:
                if message.value is None:
                    db.execute("DELETE FROM stream_keyed WHERE topic = ? AND key = ?",
                               (topic, message.key))
                else:
                    db.execute(
                        "INSERT INTO stream_keyed VALUES (?, ?, ?) ON CONFLICT (topic, key) "
                        "DO UPDATE SET value = excluded.value",
                        (topic, message.key, message.value),
                    )
        if any(message.value is None for message in messages):
            self.log.checkpoint()

    def close(self) -> None:
        self.log.close()


class EmbeddedSubscription:
    """Reads the topics from the group's committed offsets on; commits move them on.

    Only while it holds its group's lock: until then (another consumer of the group is
    running) it stands by, and every poll tries to take the lock again.
    """

    def __init__(self, path: Path, group: str, topics: Iterable[str]) -> None:
        self.log = EmbeddedLog(path)
        self.group = group
        self.topics = list(topics)
        self.lock = FileLock(group_lock_path(self.log.path, group), thread_local=False,
                             fallback_to_soft=False)
        self.positions: dict[str, int] = {}
        self.standing_by = False
        # Made before the first read: a message appended after that read wakes the poll.
        self.changes = SQLiteChanges(self.log.connection)
        self._take_over()

    @property
    def active(self) -> bool:
        return self.lock.is_locked

    def poll(self, timeout: float, max_records: int = 500) -> list[Message]:
        """What is there now, or the first messages to arrive within `timeout` seconds.

        While there is nothing, it reads again as soon as another connection commits to the
        file (`shared.stream.wakeups.SQLiteChanges`), and once more at the end of `timeout`.
        Nothing while another consumer of the group holds it.
        """
        deadline = time.monotonic() + timeout
        while True:
            messages: list[Message] = []
            if self.active or self._take_over():
                for topic, position in self.positions.items():
                    if len(messages) < max_records:
                        messages += self.log.read(topic, position, max_records - len(messages))
            if messages:
                for message in messages:
                    self.positions[message.topic] = message.offset + 1
                return messages
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self.changes.wait(remaining)

    def commit(self, messages: Sequence[Message]) -> None:
        highest: dict[str, int] = {}
        for message in messages:
            highest[message.topic] = max(highest.get(message.topic, -1), message.offset)
        if not highest:
            return
        if not self.active:
            raise RuntimeError(f"group {self.group} is not held here: it polled nothing to commit")
        with self.log.transaction() as db:
            db.executemany(
                "INSERT INTO stream_offsets VALUES (?, ?, ?) ON CONFLICT (group_id, topic) "
                "DO UPDATE SET next_offset = excluded.next_offset",
                [(self.group, topic, offset + 1) for topic, offset in highest.items()],
            )

    def close(self) -> None:
        if self.active:
            self.lock.release()
        self.log.close()

    def _take_over(self) -> bool:
        """Take the group's lock if it is free, and read on from its committed offsets."""
        try:
            self.lock.acquire(blocking=False)
        except Timeout:
            if not self.standing_by:
                log.warning("the embedded stream's group %s is read by another process; "
                            "this one (pid %d) stands by until it stops", self.group, os.getpid())
                self.standing_by = True
            return False
        except OSError as error:
            raise StreamUnavailableError(
                f"cannot lock group {self.group} of the stream at {self.log.path}: {error}"
            ) from None
        self.positions = {topic: self.log.committed(self.group, topic) for topic in self.topics}
        log.info("this process (pid %d) now reads group %s of the embedded stream",
                 os.getpid(), self.group)
        self.standing_by = False
        return True


def group_lock_path(stream_path: Path, group: str) -> Path:
    """The file a group's consumer locks, beside the log: `stream.sqlite.locks/<group>.lock`."""
    directory = stream_path.with_name(stream_path.name + ".locks")
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{quote(group, safe='')}.lock"
