"""How far a follower of the notification log has got, in a tracking table of its own.

The case index and the relay both follow the log. Each keeps its position in its own table
(the library's shared `tracking` table has one row per upstream application, so two
followers of Complaints would overwrite each other), and moves it by compare and set: from
the position a batch was read at, to the batch's last one, or not at all. A replayed or
stale batch is refused with IntegrityError, so each position counts once. A read model's
tables are made, dropped and remade with its position (`complaints.readmodels.recorders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Identifier

# Any fixed number: creators of tables take turns, so concurrent starts cannot collide.
CREATE_LOCK = 0x48_55_49_59_49_4E


class PositionRecorder(Protocol):
    """What a follower asks of its tracking table, on either store."""

    def create_table(self) -> None: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...

    def advance(self, tracking: Tracking, *, after: int) -> None: ...


class PositionSQLiteRecorder(SQLiteTrackingRecorder):
    """A follower's position in a table of its own in the SQLite event store's file."""

    def __init__(self, datastore: SQLiteDatastore, *, table: str, **kwargs: Any) -> None:
        self.tracking_table = table  # before the library's __init__, which reads the statements
        super().__init__(datastore, **kwargs)
        # The library's own insert_tracking() and max_tracking_id() then use this table too.
        self.insert_tracking_statement = (
            f"INSERT INTO {table} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?"
        )
        self._start = f"INSERT INTO {table} VALUES (:application_name, :notification_id)"
        self._advance = (
            f"UPDATE {table} SET notification_id = :notification_id "
            "WHERE application_name = :application_name AND notification_id = :after "
            "AND notification_id < :notification_id RETURNING notification_id"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tracking_table} ("
            "application_name TEXT PRIMARY KEY, notification_id INTEGER) WITHOUT ROWID"
        ]

    def create_table(self) -> None:
        # Not the library's: it migrates and seeds the shared `tracking` table.
        self.execute_in_transaction(self.construct_create_table_statements())

    def execute_in_transaction(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in statements:
                c.execute(statement)

    def advance(self, tracking: Tracking, *, after: int) -> None:
        """Move the position from `after` (0: none yet) to `tracking`'s, or refuse."""
        with self.datastore.transaction(commit=True) as c:
            self.advance_in(c, tracking, after=after)

    def advance_in(self, c: SQLiteCursor, tracking: Tracking, *, after: int) -> None:
        """The same inside the caller's transaction, so its own writes commit with it."""
        if after:
            c.execute(self._advance, {**asdict(tracking), "after": after})
            if c.fetchone() is None:
                raise IntegrityError(f"{self.tracking_table} is not at position {after}")
        else:
            c.execute(self._start, asdict(tracking))


class PositionPostgresRecorder(PostgresTrackingRecorder):
    """A follower's position in a table of its own in the PostgreSQL event store's database."""

    def __init__(self, datastore: PostgresDatastore, *, table: str, **kwargs: Any) -> None:
        super().__init__(datastore, tracking_table_name=table, **kwargs)
        tracking = Identifier(datastore.schema, table).as_string()
        self._start = SQL(
            f"INSERT INTO {tracking} VALUES (%(application_name)s, %(notification_id)s)"
        )
        self._advance = SQL(
            f"UPDATE {tracking} SET notification_id = %(notification_id)s "
            "WHERE application_name = %(application_name)s AND notification_id = %(after)s "
            "AND notification_id < %(notification_id)s RETURNING notification_id"
        )

    def create_table(self) -> None:
        self.execute_in_transaction(self.sql_create_statements)

    def execute_in_transaction(
        self, statements: Sequence[Composable], *, shared: bool = False
    ) -> None:
        """`statements` in one transaction, one creator at a time; `shared`, beside others
        shared (each making what no other makes at once) but still never beside a creator."""
        lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL(f"SELECT {lock}(%s)"), (CREATE_LOCK,))
            for statement in statements:
                curs.execute(statement, prepare=False)

    def advance(self, tracking: Tracking, *, after: int) -> None:
        """Move the position from `after` (0: none yet) to `tracking`'s, or refuse."""
        with self.datastore.transaction(commit=True) as curs:
            self.advance_in(curs, tracking, after=after)

    def advance_in(self, curs: Cursor[DictRow], tracking: Tracking, *, after: int) -> None:
        """The same inside the caller's transaction, so its own writes commit with it."""
        if after:
            curs.execute(self._advance, {**asdict(tracking), "after": after})
            if curs.fetchone() is None:
                raise IntegrityError(f"{self.tracking_table_name} is not at position {after}")
        else:
            curs.execute(self._start, asdict(tracking))


def open_position_recorder(
    datastore: SQLiteDatastore | PostgresDatastore, table: str
) -> PositionSQLiteRecorder | PositionPostgresRecorder:
    """The tracking table `table` in the store that `datastore` connects to."""
    if isinstance(datastore, PostgresDatastore):
        return PositionPostgresRecorder(datastore, table=table)
    return PositionSQLiteRecorder(datastore, table=table)
