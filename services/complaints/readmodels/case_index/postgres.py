"""The case index inside the PostgreSQL event store's database, written with its tracking record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from complaints.readmodels.case_index.filters import CaseFilter, Dialect, select_page
from complaints.readmodels.case_index.rows import ROW_FIELDS, CaseRow
from complaints.readmodels.recorders import ReadModelPostgresRecorder, iso_utc

# Its own tracking table (see complaints.adapters.positions).
TRACKING_TABLE = "case_index_tracking"

_COLUMNS = {
    "case_id": "uuid PRIMARY KEY",
    "reference": "text NOT NULL UNIQUE",
    "status": "text NOT NULL",
    "round": "integer NOT NULL",
    "category": "text NOT NULL",
    "subject": "text NOT NULL",
    "description": "text NOT NULL",
    "enterprise_name": "text",
    "enterprise_key": "text NOT NULL",
    "credit_code": "text",
    "channel": "text NOT NULL",
    "lead_department": "text",
    "co_departments": "text[] NOT NULL",
    "confidential": "boolean NOT NULL",
    "anonymous": "boolean NOT NULL",
    "filed_at": "timestamptz NOT NULL",
    "due_at": "timestamptz",
    "updated_at": "timestamptz NOT NULL",
    "version": "integer NOT NULL",
    "review_stage": "text NOT NULL",
    "deadline_stage": "text",
    "due_provisional": "boolean NOT NULL",
    "deadline_state": "text",
    "search_vector": "tsvector NOT NULL",
}
_VALUES = {
    name: "to_tsvector('simple', %(search_text)s)" if name == "search_vector" else f"%({name})s"
    for name in _COLUMNS
}

DIALECT = Dialect(
    param=lambda name: f"%({name})s",
    department="(lead_department = {p} OR co_departments @> ARRAY[{p}]::text[])",
    enterprise_contains="strpos(enterprise_key, {p}) > 0",
    text="search_vector @@ plainto_tsquery('simple', {p})",
    text_query=" ".join,
    moment=lambda moment: moment,
)


class CaseIndexPostgresRecorder(ReadModelPostgresRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, table=TRACKING_TABLE, tables=["case_index"], **kwargs)
        self.table = Identifier(datastore.schema, "case_index").as_string()
        self.sql_create_statements.extend(
            SQL(statement)
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                + ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
                + ")",
                f"CREATE INDEX IF NOT EXISTS case_index_by_lead ON {self.table} "
                "(lead_department, due_at)",
                f"CREATE INDEX IF NOT EXISTS case_index_by_filing ON {self.table} (filed_at)",
                f"CREATE INDEX IF NOT EXISTS case_index_by_credit_code ON {self.table} "
                "(credit_code)",
                f"CREATE INDEX IF NOT EXISTS case_index_co_departments ON {self.table} "
                "USING GIN (co_departments)",
                f"CREATE INDEX IF NOT EXISTS case_index_search ON {self.table} "
                "USING GIN (search_vector)",
            )
        )
        # A row only ever moves forward: an older version never overwrites a newer one.
        self._upsert = SQL(
            f"INSERT INTO {self.table} ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join(_VALUES.values())}) "
            "ON CONFLICT (case_id) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS if name != "case_id")
            + " WHERE excluded.version > case_index.version"
        )

    def apply(self, rows: Sequence[CaseRow], tracking: Tracking, *, after: int) -> None:
        """Record the rows and the position they reach together, or neither.

        Refused with IntegrityError unless the recorded position is still `after` (0: none).
        """
        with self.datastore.transaction(commit=True) as curs:
            self.advance_in(curs, tracking, after=after)
            if rows:
                curs.executemany(self._upsert, [_stored(row) for row in rows])

    def find(
        self, case_filter: CaseFilter, order: str, page: tuple[int, int]
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (limit, offset) of the matching cases, and how many match in all."""
        select, count, params = select_page(
            self.table, ROW_FIELDS, case_filter, DIALECT, order, page
        )
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(select), params)
            rows = curs.fetchall()
            curs.execute(SQL(count), params)
            total = curs.fetchone()["total"]
        return [_loaded(row) for row in rows], int(total)

    def status_counts(self) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(f"SELECT status, COUNT(*) AS n FROM {self.table} GROUP BY status"))
            return {row["status"]: int(row["n"]) for row in curs.fetchall()}


def _stored(row: CaseRow) -> dict[str, Any]:
    return {**row.values(), "case_id": UUID(row.case_id)}


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    item = {name: row[name] for name in ROW_FIELDS}
    item["case_id"] = str(item["case_id"])
    for name in ("filed_at", "due_at", "updated_at"):
        item[name] = iso_utc(item[name])
    item["co_departments"] = list(item["co_departments"])
    return item
