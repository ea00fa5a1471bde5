"""The SQLite event store, plus case reference numbers and idempotency keys beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from complaints.application.intake_records import IdempotencyClaim

# Well below SQLite's limit on the parameters of one statement.
_KEYS_PER_QUERY = 500


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
        claims: Sequence[IdempotencyClaim] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """The events, with the claim of a filing or the many claims of an import batch."""
        every = [*claims, *([idempotency] if idempotency is not None else [])]
        if every:
            c.executemany(
                "INSERT INTO huiyin_idempotency_keys (key, case_id, digest) VALUES (?, ?, ?)",
                [(claim.key, str(claim.case_id), claim.digest) for claim in every],
            )
        return super()._insert_events(c, stored_events, **kwargs)

    def next_reference_number(self, year: int) -> int:
        return self.reserve_reference_numbers(year, 1)[0]

    def reserve_reference_numbers(self, year: int, count: int) -> range:
        if count < 1:
            raise ValueError("reserve at least one reference number")
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO huiyin_reference_counters (year, last) VALUES (?, ?) "
                "ON CONFLICT (year) DO UPDATE SET last = last + excluded.last RETURNING last",
                (year, count),
            )
            last = int(c.fetchone()[0])
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
