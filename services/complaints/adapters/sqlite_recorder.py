"""The SQLite event store, plus case reference numbers and idempotency keys beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from complaints.adapters.intake_records import IdempotencyClaim


class CaseSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS huiyin_reference_counters ("
            "year INTEGER PRIMARY KEY, last INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS huiyin_idempotency_keys ("
            "key TEXT PRIMARY KEY, case_id TEXT NOT NULL, digest TEXT NOT NULL)",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        idempotency: IdempotencyClaim | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if idempotency is not None:
            c.execute(
                "INSERT INTO huiyin_idempotency_keys (key, case_id, digest) VALUES (?, ?, ?)",
                (idempotency.key, str(idempotency.case_id), idempotency.digest),
            )
        return super()._insert_events(c, stored_events, **kwargs)

    def next_reference_number(self, year: int) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO huiyin_reference_counters (year, last) VALUES (?, 1) "
                "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
                (year,),
            )
            return int(c.fetchone()[0])

    def find_idempotency_claim(self, key: str) -> IdempotencyClaim | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT key, case_id, digest FROM huiyin_idempotency_keys WHERE key = ?", (key,)
            )
            row = c.fetchone()
        return IdempotencyClaim.from_row(row) if row else None
