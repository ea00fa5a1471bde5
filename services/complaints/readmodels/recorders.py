"""What every read model's recorder shares: its tables live and die with its position.

A read model keeps its position in a tracking table of its own (`complaints.adapters.positions`)
and its tables beside it, in the event store's database: they are created together, and a
rebuild drops them together and creates them empty again, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
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


class ReadModelPostgresRecorder(PositionPostgresRecorder):
    """The same in PostgreSQL: `tables` (in the datastore's schema) are dropped with the
    position; a subclass adds their create statements to `sql_create_statements`."""

    def __init__(
        self, datastore: PostgresDatastore, *, table: str, tables: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(datastore, table=table, **kwargs)
        dropped = [Identifier(datastore.schema, name).as_string() for name in (*tables, table)]
        self._drop = SQL(f"DROP TABLE IF EXISTS {', '.join(dropped)}")

    def recreate_tables(self) -> None:
        """Drop the read model and its position and create them empty, in one transaction."""
        self.execute_in_transaction([self._drop, *self.sql_create_statements])


def iso_utc(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC with microseconds, so the text sorts as the time does."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
