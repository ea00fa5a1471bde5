"""The PostgreSQL event store, plus case reference numbers and idempotency keys beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from complaints.application.intake_records import IdempotencyClaim


class CasePostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self._counters = SQL("{}.huiyin_reference_counters").format(schema)
        self._keys = SQL("{}.huiyin_idempotency_keys").format(schema)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} (year integer PRIMARY KEY, last bigint NOT NULL)"
                ).format(self._counters),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    "key text PRIMARY KEY, case_id uuid NOT NULL, digest text NOT NULL)"
                ).format(self._keys),
            ]
        )

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        idempotency: IdempotencyClaim | None = None,
        claims: Sequence[IdempotencyClaim] = (),
        **kwargs: Any,
    ) -> None:
        """The events, with the claim of a filing or the many claims of an import batch."""
        every = [*claims, *([idempotency] if idempotency is not None else [])]
        if every:
            curs.executemany(
                SQL("INSERT INTO {} (key, case_id, digest) VALUES (%s, %s, %s)").format(self._keys),
                [(claim.key, claim.case_id, claim.digest) for claim in every],
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def next_reference_number(self, year: int) -> int:
        return self.reserve_reference_numbers(year, 1)[0]

    def reserve_reference_numbers(self, year: int, count: int) -> range:
        if count < 1:
            raise ValueError("reserve at least one reference number")
        statement = SQL(
            "INSERT INTO {0} AS c (year, last) VALUES (%s, %s) "
            "ON CONFLICT (year) DO UPDATE SET last = c.last + excluded.last RETURNING last"
        ).format(self._counters)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (year, count))
            row = curs.fetchone()
        last = int(row["last"])
        return range(last - count + 1, last + 1)

    def find_idempotency_claim(self, key: str) -> IdempotencyClaim | None:
        statement = SQL("SELECT key, case_id, digest FROM {} WHERE key = %s").format(self._keys)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (key,))
            row = curs.fetchone()
        return (
            IdempotencyClaim.from_row((row["key"], row["case_id"], row["digest"])) if row else None
        )

    def find_idempotency_claims(self, keys: Sequence[str]) -> dict[str, IdempotencyClaim]:
        if not keys:
            return {}
        statement = SQL("SELECT key, case_id, digest FROM {} WHERE key = ANY(%s)").format(
            self._keys
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (list(keys),))
            rows = curs.fetchall()
        return {
            row["key"]: IdempotencyClaim.from_row((row["key"], row["case_id"], row["digest"]))
            for row in rows
        }
