"""What every read model's recorder shares: its tables live and die with its position.

A read model keeps its position in a tracking table of its own (`complaints.adapters.positions`)
and its tables beside it, in the event store's database: they are created together, and a
rebuild drops them together and creates them empty again, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from complaints.adapters.positions import PositionPostgresRecorder, PositionSQLiteRecorder


class ReadModelSQLiteRecorder(PositionSQLiteRecorder):
    """A read model's tables beside its position: made with it, dropped and remade with it."""

    create_statements: Sequence[str] = ()
    drop_statements: Sequence[str] = ()

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.create_statements]

    def recreate_tables(self) -> None:
        """Drop the read model and its position and create them empty, in one transaction."""
        self.execute_in_transaction(
            [*self.drop_statements, *self.construct_create_table_statements()]
        )

    @contextmanager
    def indexes_deferred(self) -> Iterator[None]:
        """Indexes kept as they are: on SQLite the read models catch up one after the other
        in one process (`complaints.processes`), and only PostgreSQL's way defers them."""
        yield


class ReadModelPostgresRecorder(PositionPostgresRecorder):
    """The same in PostgreSQL: `tables` (in the datastore's schema) are dropped with the
    position; a subclass adds their create statements to `sql_create_statements`, and those
    of the indexes that only queries use through `index` (see `indexes_deferred`)."""

    def __init__(
        self, datastore: PostgresDatastore, *, table: str, tables: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(datastore, table=table, **kwargs)
        dropped = [Identifier(datastore.schema, name).as_string() for name in (*tables, table)]
        self._drop = SQL(f"DROP TABLE IF EXISTS {', '.join(dropped)}")
        self._index_schema = datastore.schema
        self._indexes: dict[str, SQL] = {}
        self._inverted: set[str] = set()

    def index(self, name: str, on: str) -> SQL:
        """`CREATE INDEX IF NOT EXISTS name ON on`, kept as an index a bulk write may defer."""
        statement = SQL(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")
        self._indexes[name] = statement
        if " USING GIN " in on.upper():
            self._inverted.add(name)
        return statement

    def recreate_tables(self) -> None:
        """Drop the read model and its position and create them empty, in one transaction."""
        self.execute_in_transaction([self._drop, *self.sql_create_statements])

    @contextmanager
    def indexes_deferred(self) -> Iterator[None]:
        """Write the block's rows without the indexes queries use, and make them at its end.

        For a catch-up most of whose rows are still to come: each written row would change
        every index (a word index changes at each of a case's words), while an index made
        over the rows at the end sorts them once. The primary key and unique columns stay,
        as the writes need them; queries meanwhile are slower, never wrong. The indexes are
        made again however the block ends; if the process is killed first, opening the
        store with its tables created makes them (`CREATE INDEX IF NOT EXISTS`).
        """
        self.execute_in_transaction([
            SQL(f"DROP INDEX IF EXISTS {Identifier(self._index_schema, name).as_string()}")
            for name in self._indexes])
        try:
            yield
        finally:
            self._make_indexes()

    def _make_indexes(self) -> None:
        """The indexes made again, the inverted ones (GIN) in a session of their own beside
        the others'. PostgreSQL 15 makes a GIN index in one process: a million cases' words
        took ~6.5 minutes on one core, and the B-trees after it ~2 more."""
        groups = (
            [statement for name, statement in self._indexes.items() if name in self._inverted],
            [statement for name, statement in self._indexes.items() if name not in self._inverted],
        )
        with ThreadPoolExecutor(len(groups), thread_name_prefix="index") as pool:
            made = [pool.submit(self.execute_in_transaction, group, shared=True)
                    for group in groups if group]
        for each in made:
            each.result()


def iso_utc(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC with microseconds, so the text sorts as the time does."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
