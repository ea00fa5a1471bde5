"""The SQLite event store, plus case reference numbers, idempotency keys and case keys beside it."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from complaints.adapters.write_turns import WriteTurns
from complaints.application.intake_records import IdempotencyClaim
from shared.sealing import WrappedKey

_INSERT_KEY = "INSERT INTO huiyin_case_keys (case_id, kek_id, wrapped) VALUES (?, ?, ?)"
# Well below SQLite's limit on the parameters of one statement.
_KEYS_PER_QUERY = 500


class CaseSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, *args: Any, **kwargs: Any) -> None:
        super().__init__(datastore, *args, **kwargs)
        pool = datastore.pool
        # Filings and commands take turns in the kernel rather than in SQLite's busy sleeps.
        self._turns = None if pool.is_sqlite_memory_mode else WriteTurns(Path(pool.db_name))

    def _turn(self) -> AbstractContextManager[None]:
        return self._turns.turn() if self._turns is not None else nullcontext()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._turn():
            return super().insert_events(stored_events, **kwargs)

    def insert_new_cases(
        self,
        stored_events: Sequence[StoredEvent],
        claims: Sequence[IdempotencyClaim],
        data_keys: Sequence[WrappedKey],
    ) -> None:
        """Many new cases (an import batch, a group commit's filings): their claims, their
        keys and their events, in one transaction."""
        self.insert_events(stored_events, claims=claims, data_keys=data_keys)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS huiyin_reference_counters ("
            "year INTEGER PRIMARY KEY, last INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS huiyin_idempotency_keys ("
            "key TEXT PRIMARY KEY, case_id TEXT NOT NULL, digest TEXT NOT NULL)",
            # One b-tree, keyed by case: every filing writes a row, rotation reads them in
            # case order, and nothing looks a key up by its KEK.
            "CREATE TABLE IF NOT EXISTS huiyin_case_keys ("
            "case_id TEXT PRIMARY KEY, kek_id TEXT NOT NULL, wrapped BLOB NOT NULL"
            ") WITHOUT ROWID",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        idempotency: IdempotencyClaim | None = None,
        claims: Sequence[IdempotencyClaim] = (),
        data_keys: Sequence[WrappedKey] = (),
        erased_keys: Sequence[UUID] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """The events, with the claim of a filing or the many claims of an import batch, the
        keys their personal values are sealed with, and the keys they destroy."""
        every = [*claims, *([idempotency] if idempotency is not None else [])]
        if every:
            c.executemany(
                "INSERT INTO huiyin_idempotency_keys (key, case_id, digest) VALUES (?, ?, ?)",
                [(claim.key, str(claim.case_id), claim.digest) for claim in every],
            )
        if len(data_keys) == 1:  # a filing's: one statement, not a batch of one
            (key,) = data_keys
            c.execute(_INSERT_KEY, (str(key.case_id), key.kek_id, key.wrapped))
        elif data_keys:
            c.executemany(
                _INSERT_KEY, [(str(key.case_id), key.kek_id, key.wrapped) for key in data_keys]
            )
        if erased_keys:
            # Overwrite the freed pages with zeros, so the key's bytes leave the file too.
            c.execute("PRAGMA secure_delete = ON")
            c.executemany(
                "DELETE FROM huiyin_case_keys WHERE case_id = ?",
                [(str(case_id),) for case_id in erased_keys],
            )
        return super()._insert_events(c, stored_events, **kwargs)

    def select_case_keys(self, case_ids: Sequence[UUID]) -> dict[UUID, WrappedKey]:
        found: dict[UUID, WrappedKey] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(case_ids), _KEYS_PER_QUERY):
                chunk = [str(case_id) for case_id in case_ids[start : start + _KEYS_PER_QUERY]]
                c.execute(
                    "SELECT case_id, kek_id, wrapped FROM huiyin_case_keys "
                    f"WHERE case_id IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk),
                )
                for row in c.fetchall():
                    key = WrappedKey(UUID(row[0]), row[1], bytes(row[2]))
                    found[key.case_id] = key
        return found

    def select_keys_not_under(
        self, kek_id: str, limit: int, after: UUID | None = None
    ) -> list[WrappedKey]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT case_id, kek_id, wrapped FROM huiyin_case_keys "
                "WHERE case_id > ? AND kek_id != ? ORDER BY case_id LIMIT ?",
                (str(after) if after is not None else "", kek_id, limit),
            )
            return [WrappedKey(UUID(row[0]), row[1], bytes(row[2])) for row in c.fetchall()]

    def count_keys_by_kek(self) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT kek_id, COUNT(*) FROM huiyin_case_keys GROUP BY kek_id")
            return {row[0]: int(row[1]) for row in c.fetchall()}

    def replace_wrapped_keys(self, keys: Sequence[tuple[WrappedKey, WrappedKey]]) -> int:
        replaced = 0
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            for old, new in keys:
                # Only where the old wrapping is still there: an erasure since wins.
                c.execute(
                    "UPDATE huiyin_case_keys SET kek_id = ?, wrapped = ? "
                    "WHERE case_id = ? AND kek_id = ? AND wrapped = ?",
                    (new.kek_id, new.wrapped, str(old.case_id), old.kek_id, old.wrapped),
                )
                replaced += c.sqlite_cursor.rowcount
        return replaced

    def next_reference_number(self, year: int) -> int:
        return self.reserve_reference_numbers(year, 1)[0]

    def reserve_reference_numbers(self, year: int, count: int) -> range:
        if count < 1:
            raise ValueError("reserve at least one reference number")
        # Committed without waiting for the disk: the write-ahead log is written in order, so
        # the flush of the first case that bears one of these numbers flushes them too, and
        # a number lost in a power cut before that was never shown to anyone.
        with self._turn(), self.datastore.get_connection(commit=True) as connection:
            pragma = connection.cursor()
            pragma.execute("PRAGMA synchronous")
            synchronous = int(pragma.fetchone()[0])
            pragma.execute("PRAGMA synchronous = NORMAL")
            try:
                with connection.transaction(commit=True) as c:
                    c.execute(
                        "INSERT INTO huiyin_reference_counters (year, last) VALUES (?, ?) "
                        "ON CONFLICT (year) DO UPDATE SET last = last + excluded.last "
                        "RETURNING last",
                        (year, count),
                    )
                    last = int(c.fetchone()[0])
            finally:
                pragma.execute(f"PRAGMA synchronous = {synchronous}")
        return range(last - count + 1, last + 1)

    def find_idempotency_claim(self, key: str) -> IdempotencyClaim | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT key, case_id, digest FROM huiyin_idempotency_keys WHERE key = ?", (key,)
            )
            row = c.fetchone()
        return IdempotencyClaim.from_row(row) if row else None

    def find_idempotency_claims(self, keys: Sequence[str]) -> dict[str, IdempotencyClaim]:
        found: dict[str, IdempotencyClaim] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(keys), _KEYS_PER_QUERY):
                chunk = keys[start : start + _KEYS_PER_QUERY]
                c.execute(
                    "SELECT key, case_id, digest FROM huiyin_idempotency_keys "
                    f"WHERE key IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk),
                )
                found.update((row[0], IdempotencyClaim.from_row(row)) for row in c.fetchall())
        return found
