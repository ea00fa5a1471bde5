"""How far a follower of the notification log has got, in a tracking table of its own.

The case index and the relay both follow the log. Each keeps its position in its own table
(the library's shared `tracking` table has one row per upstream application, so two
followers of Complaints would overwrite each other), and moves it by compare and set: from
the position a batch was read at, to the batch's last one, or not at all. A replayed or
stale batch is refused with IntegrityError, so each position counts once. A read model's
tables are made, dropped and remade with its position (`complaints.readmodels.recorders`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    def reached(self, whole: str, parts: Sequence[str] = ()) -> int: ...

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

    def reached(self, whole: str, parts: Sequence[str] = ()) -> int:
        """How far the follower `whole` has processed the log (0: nowhere yet); see the
        PostgreSQL recorder's."""
        names = [whole, *parts]
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT application_name, notification_id FROM {self.tracking_table} "
                f"WHERE application_name IN ({', '.join('?' * len(names))})", names)
            found = {row["application_name"]: row["notification_id"] for row in c.fetchall()}
        return reached(found, whole, parts)

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
        # From none (or 0: a part started from the beginning, see `start_parts`).
        self._start = SQL(
            f"INSERT INTO {tracking} AS t VALUES (%(application_name)s, %(notification_id)s) "
            "ON CONFLICT (application_name) DO UPDATE "
            "SET notification_id = excluded.notification_id WHERE t.notification_id = 0 "
            "RETURNING notification_id"
        )
        self._advance = SQL(
            f"UPDATE {tracking} SET notification_id = %(notification_id)s "
            "WHERE application_name = %(application_name)s AND notification_id = %(after)s "
            "AND notification_id < %(notification_id)s RETURNING notification_id"
        )
        self._select_position = SQL(
            f"SELECT notification_id FROM {tracking} "
            "WHERE application_name = %(application_name)s FOR UPDATE"
        )
        self._lift = SQL(
            f"INSERT INTO {tracking} AS t VALUES (%(application_name)s, %(notification_id)s) "
            "ON CONFLICT (application_name) DO UPDATE "
            "SET notification_id = GREATEST(t.notification_id, excluded.notification_id)"
        )
        self._forget = SQL(f"DELETE FROM {tracking} WHERE application_name = ANY(%(names)s)")
        self._positions = SQL(
            f"SELECT application_name, notification_id FROM {tracking} "
            "WHERE application_name = ANY(%(names)s)"
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

    def reached(self, whole: str, parts: Sequence[str] = ()) -> int:
        """How far the follower `whole` has processed the log (0: nowhere yet): its own
        position, or, while `parts` of it follow the log each on its own (`start_parts`), the
        least of theirs if that is further."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._positions, {"names": [whole, *parts]})
            found = {row["application_name"]: row["notification_id"] for row in curs.fetchall()}
        return reached(found, whole, parts)

    def start_parts(self, whole: str, parts: Sequence[str]) -> None:
        """Each of `parts` recorded at least where `whole` is: a part goes on from its own
        position (a catch-up stopped half way), or from the whole's if that is further."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._select_position, {"application_name": whole})
            found = curs.fetchone()
            position = found["notification_id"] if found is not None else 0
            for part in parts:
                curs.execute(self._lift, {"application_name": part, "notification_id": position})

    def settle_parts(self, whole: str, parts: Sequence[str], until: int) -> None:
        """`whole` at `until` (or where it is, if further) and the parts' positions gone, once
        every part has reached `until`; refused with IntegrityError otherwise."""
        with self.datastore.transaction(commit=True) as curs:
            for part in parts:
                curs.execute(self._select_position, {"application_name": part})
                found = curs.fetchone()
                if found is None or found["notification_id"] < until:
                    raise IntegrityError(f"{part} has not reached position {until}")
            curs.execute(self._lift, {"application_name": whole, "notification_id": until})
            curs.execute(self._forget, {"names": list(parts)})

    def advance_in(self, curs: Cursor[DictRow], tracking: Tracking, *, after: int) -> None:
        """The same inside the caller's transaction, so its own writes commit with it."""
        statement = self._advance if after else self._start
        curs.execute(statement, {**asdict(tracking), "after": after})
        if curs.fetchone() is None:
            raise IntegrityError(f"{self.tracking_table_name} is not at position {after}")


def reached(positions: Mapping[str, int], whole: str, parts: Sequence[str]) -> int:
    """Of the recorded `positions`, how far `whole` has got: each part has processed its own
    share of the log up to its position, so together they have processed all of it up to the
    least of them, once every one of them is recorded."""
    own = positions.get(whole) or 0
    if parts and all(part in positions for part in parts):
        return max(own, min(positions[part] for part in parts))
    return own


def open_position_recorder(
    datastore: SQLiteDatastore | PostgresDatastore, table: str
) -> PositionSQLiteRecorder | PositionPostgresRecorder:
    """The tracking table `table` in the store that `datastore` connects to."""
    if isinstance(datastore, PostgresDatastore):
        return PositionPostgresRecorder(datastore, table=table)
    return PositionSQLiteRecorder(datastore, table=table)
