"""The PostgreSQL event store, plus case reference numbers and idempotency keys beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from complaints.adapters.intake_records import IdempotencyClaim


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
        **kwargs: Any,
    ) -> None:
        if idempotency is not None:
            curs.execute(
                SQL("INSERT INTO {} (key, case_id, digest) VALUES (%s, %s, %s)").format(self._keys),
                (idempotency.key, idempotency.case_id, idempotency.digest),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def next_reference_number(self, year: int) -> int:
        statement = SQL(
            "INSERT INTO {0} AS c (year, last) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = c.last + 1 RETURNING last"
        ).format(self._counters)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (year,))
            row = curs.fetchone()
        return int(row["last"])

    def find_idempotency_claim(self, key: str) -> IdempotencyClaim | None:
        statement = SQL("SELECT key, case_id, digest FROM {} WHERE key = %s").format(self._keys)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (key,))
            row = curs.fetchone()
        return (
            IdempotencyClaim.from_row((row["key"], row["case_id"], row["digest"])) if row else None
        )
