"""Who is signed in and how often sign-ins failed, kept where every worker of a deployment sees
them: a SQLite file of its own in the data directory (embedded: several workers, one machine)
or two tables in the PostgreSQL database (distributed: several machines).

Two kinds of row, both with an expiry in Unix seconds: sign-in sessions (a page session is
honoured only while its row is here, so signing out ends it at once) and rate-limit counters
(the `limits` library's fixed windows, see `complaints.adapters.rate_limits`). Expired rows are
swept by whichever process writes after a minute has passed.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from complaints.adapters.positions import CREATE_LOCK
from complaints.adapters.write_turns import WriteTurns
from shared.sqlite_files import one_opener_at_a_time

SQLITE_FILE = "access.sqlite"
_SWEEP_EVERY = 60.0
_SESSIONS = "huiyin_signed_in_sessions"
_COUNTERS = "huiyin_rate_counters"


class AccessStore:
    """The statements, in the `?`-placeholder form; each backend runs them its own way."""

    placeholder = "?"
    errors: type[Exception] | tuple[type[Exception], ...] = Exception

    def __init__(self) -> None:
        self._swept = 0.0

    # -- what each backend provides --------------------------------------------------------

    def run(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- sessions ----------------------------------------------------------------------------

    def start_session(self, actor_id: str, lifetime_seconds: float) -> str:
        """A new session's id, to keep in the signed cookie; only its hash is stored."""
        session_id = secrets.token_urlsafe(32)
        self._sweep()
        self.run(
            f"INSERT INTO {_SESSIONS} (id_hash, actor_id, expires_at) VALUES (?, ?, ?)",
            (_hashed(session_id), actor_id, time.time() + lifetime_seconds),
        )
        return session_id

    def session_alive(self, session_id: str, actor_id: str) -> bool:
        rows = self.run(
            f"SELECT 1 FROM {_SESSIONS} WHERE id_hash = ? AND actor_id = ? AND expires_at > ?",
            (_hashed(session_id), actor_id, time.time()),
        )
        return bool(rows)

    def end_session(self, session_id: str) -> None:
        self.run(f"DELETE FROM {_SESSIONS} WHERE id_hash = ?", (_hashed(session_id),))

    # -- rate-limit counters -----------------------------------------------------------------

    def incr(self, key: str, expiry: float, amount: int) -> int:
        """Add `amount` to the window of `key`, starting a new window if it had expired."""
        now = time.time()
        self._sweep(now)
        rows = self.run(
            f"INSERT INTO {_COUNTERS} AS c (key, count, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN c.expires_at <= ? THEN excluded.count "
            "ELSE c.count + excluded.count END, "
            "expires_at = CASE WHEN c.expires_at <= ? THEN excluded.expires_at "
            "ELSE c.expires_at END "
            "RETURNING count",
            (key, amount, now + expiry, now, now),
        )
        return int(rows[0][0])

    def count(self, key: str) -> int:
        rows = self.run(
            f"SELECT count FROM {_COUNTERS} WHERE key = ? AND expires_at > ?", (key, time.time())
        )
        return int(rows[0][0]) if rows else 0

    def expiry(self, key: str) -> float:
        rows = self.run(
            f"SELECT expires_at FROM {_COUNTERS} WHERE key = ? AND expires_at > ?",
            (key, time.time()),
        )
        return float(rows[0][0]) if rows else time.time()

    def clear(self, key: str) -> None:
        self.run(f"DELETE FROM {_COUNTERS} WHERE key = ?", (key,))

    def clear_all_counters(self) -> int:
        return len(self.run(f"DELETE FROM {_COUNTERS} RETURNING key"))

    def reachable(self) -> bool:
        try:
            self.run("SELECT 1")
        except self.errors:
            return False
        return True

    def _sweep(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if now - self._swept < _SWEEP_EVERY:
            return
        self._swept = now
        self.run(f"DELETE FROM {_SESSIONS} WHERE expires_at <= ?", (now,))
        self.run(f"DELETE FROM {_COUNTERS} WHERE expires_at <= ?", (now,))


class SQLiteAccessStore(AccessStore):
    """A file of its own beside the event store's, so a flood of sign-ins never holds the
    event store's write lock."""

    errors = sqlite3.Error

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._local = threading.local()
        # Every worker's thread writes counters here on each sign-in and filing: in turns.
        self._turns = WriteTurns(path)
        with one_opener_at_a_time(path, timeout=10):
            self.run("PRAGMA journal_mode=WAL")
            for statement in _create_statements("REAL", ""):
                self.run(statement)

    def run(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        if statement.startswith(("SELECT", "PRAGMA")):
            return connection.execute(statement, params).fetchall()
        with self._turns.turn():
            return connection.execute(statement, params).fetchall()

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


class PostgresAccessStore(AccessStore):
    """Two tables in the deployment's database, UNLOGGED: nothing here is worth a WAL write,
    and a crash that empties them signs people out and forgets a few failed sign-ins."""

    errors = psycopg.Error

    def __init__(self, url: str, *, create: bool) -> None:
        super().__init__()
        self._pool = ConnectionPool(
            url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True,
            name="huiyin-access",
        )
        if create:
            with self._pool.connection() as connection, connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK,))
                for statement in _create_statements("DOUBLE PRECISION", "UNLOGGED"):
                    connection.execute(statement)

    def run(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._pool.connection() as connection:
            cursor = connection.execute(statement.replace("?", "%s"), params, prepare=True)
            return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        self._pool.close()


def open_access_store(database_url: str, data_dir: Path, *, create: bool) -> AccessStore:
    """PostgreSQL when the deployment has a database URL, else a SQLite file in `data_dir`."""
    if database_url:
        return PostgresAccessStore(database_url, create=create)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SQLiteAccessStore(data_dir / SQLITE_FILE)


def _create_statements(real: str, unlogged: str) -> list[str]:
    return [
        f"CREATE {unlogged} TABLE IF NOT EXISTS {_SESSIONS} ("
        f"id_hash TEXT PRIMARY KEY, actor_id TEXT NOT NULL, expires_at {real} NOT NULL)",
        f"CREATE {unlogged} TABLE IF NOT EXISTS {_COUNTERS} ("
        f"key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at {real} NOT NULL)",
    ]


def _hashed(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
