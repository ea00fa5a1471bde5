"""The PostgreSQL event store, plus reference numbers, idempotency keys and case keys beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from complaints.adapters.positions import CREATE_LOCK
from complaints.application.intake_records import IdempotencyClaim
from shared.sealing import WrappedKey


class CasePostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self._counters = SQL("{}.huiyin_reference_counters").format(schema)
        self._keys = SQL("{}.huiyin_idempotency_keys").format(schema)
        self._case_keys = SQL("{}.huiyin_case_keys").format(schema)
        # A filing's events, its Idempotency-Key's claim and the key its values are sealed
        # with go in one statement (`_statement_with`): a statement more in the insert's
        # pipeline costs the client about as much as sealing the values, and a claim taken
        # meanwhile fails this statement itself, never one queued behind it (psycopg would
        # then keep a statement it prepared in the aborted pipeline as prepared).
        self._claims_rows = SQL(
            "inserted_claims AS (INSERT INTO {} (key, case_id, digest) "
            "SELECT * FROM unnest(%s::text[], %s::uuid[], %s::text[]))"
        ).format(self._keys)
        self._key_rows = SQL(
            "inserted_keys AS (INSERT INTO {} (case_id, kek_id, wrapped) VALUES (%s, %s, %s))"
        ).format(self._case_keys)
        self._keys_rows = SQL(
            "inserted_keys AS (INSERT INTO {} (case_id, kek_id, wrapped) "
            "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bytea[]))"
        ).format(self._case_keys)
        self._statements: dict[tuple[bool, int], Composed] = {}
        self._claims_copy = SQL("COPY {} (key, case_id, digest) FROM STDIN (FORMAT BINARY)").format(
            self._keys
        )
        self._keys_copy = SQL(
            "COPY {} (case_id, kek_id, wrapped) FROM STDIN (FORMAT BINARY)"
        ).format(self._case_keys)
        self._events_copy = SQL(
            "COPY {}.{} (originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(schema, Identifier(self.events_table_name))
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} (year integer PRIMARY KEY, last bigint NOT NULL)"
                ).format(self._counters),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    "key text PRIMARY KEY, case_id uuid NOT NULL, digest text NOT NULL)"
                ).format(self._keys),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    "case_id uuid PRIMARY KEY, kek_id text NOT NULL, wrapped bytea NOT NULL)"
                ).format(self._case_keys),
                # A filing's sealed values (base64, with a nonce and a tag each) take its
                # event past PostgreSQL's 2 kB, where a row's state would be compressed
                # (in vain: ciphertext) and moved out of line; a row stays whole in its page
                # up to 8 kB.
                SQL("ALTER TABLE {}.{} SET (toast_tuple_target = 8160)").format(
                    schema, Identifier(self.events_table_name)
                ),
            ]
        )

    def create_table(self) -> None:
        """The library's, one creator at a time (the read models' creators take the same
        turn). Servers started together on one database would otherwise race: two making one
        type collide in `pg_type`, or one's function waits on another whose table lock it
        holds, and PostgreSQL ends one of them as a deadlock."""
        with self.datastore.get_connection() as turn:
            turn.execute(SQL("SELECT pg_advisory_lock(%s)"), (CREATE_LOCK,))
            try:
                super().create_table()
            finally:
                turn.execute(SQL("SELECT pg_advisory_unlock(%s)"), (CREATE_LOCK,))

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        erased_keys: Sequence[UUID] = (),
        **kwargs: Any,
    ) -> None:
        """Before the events: the keys they destroy (the claims and the keys the events are
        sealed with go in with them, `_insert_stored_events`)."""
        if erased_keys:
            curs.execute(
                SQL("DELETE FROM {} WHERE case_id = ANY(%s)").format(self._case_keys),
                (list(erased_keys),),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        idempotency: IdempotencyClaim | None = None,
        claims: Sequence[IdempotencyClaim] = (),
        data_keys: Sequence[WrappedKey] = (),
        **kwargs: Any,
    ) -> None:
        """The events, as the library inserts them (after its lock and notification), with
        the claim of a filing or the many claims of an import batch, and the new case keys,
        in the same statement; its RETURNING is the events' ids."""
        every = [*claims, *([idempotency] if idempotency is not None else [])]
        if not data_keys and not every:
            super()._insert_stored_events(curs, stored_events, **kwargs)
            return
        self._lock_table(curs)
        self._notify_channel(curs)
        events = [
            self.construct_pg_stored_event(
                event.originator_id, event.originator_version, event.topic, event.state
            )
            for event in stored_events
        ]
        params: list[Any] = []
        if every:
            params += [
                [claim.key for claim in every],
                [claim.case_id for claim in every],
                [claim.digest for claim in every],
            ]
        if len(data_keys) == 1:  # a filing's: plain parameters, which cost less than arrays
            (key,) = data_keys
            params += [key.case_id, key.kek_id, key.wrapped]
        elif data_keys:
            params += [
                [key.case_id for key in data_keys],
                [key.kek_id for key in data_keys],
                [key.wrapped for key in data_keys],
            ]
        statement = self._statement_with(bool(every), min(len(data_keys), 2))
        curs.execute(statement, (*params, events), prepare=True)

    def _statement_with(self, claims: bool, keys: int) -> Composed:
        """The insert of the events after the claims (if any) and no key, one or many."""
        shape = (claims, keys)
        if shape not in self._statements:
            rows = [
                *([self._claims_rows] if claims else []),
                *([self._key_rows if keys == 1 else self._keys_rows] if keys else []),
            ]
            self._statements[shape] = (
                SQL("WITH ") + SQL(", ").join(rows) + SQL(" ") + self.insert_events_statement
            )
        return self._statements[shape]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_new_cases(
        self,
        stored_events: Sequence[StoredEvent],
        claims: Sequence[IdempotencyClaim],
        data_keys: Sequence[WrappedKey],
    ) -> None:
        """Many new cases (an import batch, a group commit's filings): their claims, their
        keys and their events, in one transaction, after the library's lock and
        notification, each table by binary COPY.

        An import batch has hundreds of cases, a group commit up to a hundred: COPY costs the
        client and the server a fraction of the library's insert from an array of composite
        values, which the client writes out as escaped text and the server parses back
        (filings grouped by 16 clients: ~1,300 → ~2,000 a second). A claim taken meanwhile
        fails the COPY of the claims, before any event is written, and the whole transaction
        with it. Nothing needs the events' notification ids: none are returned.
        """
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            self._notify_channel(curs)
            _copy(curs, self._claims_copy, ("text", "uuid", "text"),
                  [(claim.key, claim.case_id, claim.digest) for claim in claims])
            _copy(curs, self._keys_copy, ("uuid", "text", "bytea"),
                  [(key.case_id, key.kek_id, key.wrapped) for key in data_keys])
            _copy(curs, self._events_copy,
                  (self.datastore.originator_id_type, "int8", "text", "bytea"),
                  [(event.originator_id, event.originator_version, event.topic, event.state)
                   for event in stored_events])

    def select_case_keys(self, case_ids: Sequence[UUID]) -> dict[UUID, WrappedKey]:
        if not case_ids:
            return {}
        statement = SQL("SELECT case_id, kek_id, wrapped FROM {} WHERE case_id = ANY(%s)").format(
            self._case_keys
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (list(case_ids),))
            rows = curs.fetchall()
        return {
            row["case_id"]: WrappedKey(row["case_id"], row["kek_id"], bytes(row["wrapped"]))
            for row in rows
        }

    def select_keys_not_under(
        self, kek_id: str, limit: int, after: UUID | None = None
    ) -> list[WrappedKey]:
        statement = SQL(
            "SELECT case_id, kek_id, wrapped FROM {} WHERE case_id > %s AND kek_id != %s "
            "ORDER BY case_id LIMIT %s"
        ).format(self._case_keys)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (after or UUID(int=0), kek_id, limit))
            rows = curs.fetchall()
        return [WrappedKey(row["case_id"], row["kek_id"], bytes(row["wrapped"])) for row in rows]

    def count_keys_by_kek(self) -> dict[str, int]:
        statement = SQL("SELECT kek_id, COUNT(*) AS keys FROM {} GROUP BY kek_id").format(
            self._case_keys
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement)
            rows = curs.fetchall()
        return {row["kek_id"]: int(row["keys"]) for row in rows}

    def replace_wrapped_keys(self, keys: Sequence[tuple[WrappedKey, WrappedKey]]) -> int:
        statement = SQL(
            "UPDATE {} SET kek_id = %s, wrapped = %s "
            "WHERE case_id = %s AND kek_id = %s AND wrapped = %s"
        ).format(self._case_keys)
        replaced = 0
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            for old, new in keys:
                # Only where the old wrapping is still there: an erasure since wins.
                curs.execute(statement, (new.kek_id, new.wrapped, old.case_id, old.kek_id,
                                         old.wrapped))
                replaced += curs.rowcount
        return replaced

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


def _copy(
    curs: Cursor[DictRow], statement: Composed, types: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return  # filings without an Idempotency-Key claim nothing: no round trip for it
    with curs.copy(statement) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
