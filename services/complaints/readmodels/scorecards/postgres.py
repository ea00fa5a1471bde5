"""The scorecards' case facts in the PostgreSQL event store's database, with their tracking."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from complaints.readmodels.recorders import ReadModelPostgresRecorder
from complaints.readmodels.scorecards.facts import CaseFacts

# Its own tracking table (see complaints.adapters.positions).
TRACKING_TABLE = "scorecard_tracking"


class ScorecardPostgresRecorder(ReadModelPostgresRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, table=TRACKING_TABLE, tables=["scorecard_cases"], **kwargs)
        table = Identifier(datastore.schema, "scorecard_cases").as_string()
        self.sql_create_statements.extend(
            SQL(statement)
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {table} ("
                "case_id text PRIMARY KEY, reference text NOT NULL, department text, "
                "filed_at timestamptz NOT NULL, version integer NOT NULL, facts text NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS scorecard_cases_by_filing ON {table} (filed_at)",
                "CREATE INDEX IF NOT EXISTS scorecard_cases_by_department "
                f"ON {table} (department, filed_at)",
            )
        )
        # Facts only ever move forward: an older fold of a case never overwrites a newer one.
        self._upsert = SQL(
            f"INSERT INTO {table} (case_id, reference, department, filed_at, version, facts) "
            "VALUES (%(case_id)s, %(reference)s, %(department)s, %(filed_at)s, %(version)s, "
            "%(facts)s) ON CONFLICT (case_id) DO UPDATE SET department = excluded.department, "
            "version = excluded.version, facts = excluded.facts "
            "WHERE excluded.version > scorecard_cases.version"
        )
        self._load = SQL(f"SELECT case_id, facts FROM {table} WHERE case_id = ANY(%(ids)s)")
        self._between = (
            f"SELECT facts FROM {table} WHERE filed_at >= %(start)s AND filed_at < %(end)s"
        )

    def load(self, case_ids: Collection[str]) -> dict[str, CaseFacts]:
        """The facts recorded so far of those of `case_ids` that have any."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._load, {"ids": list(case_ids)})
            return {row["case_id"]: CaseFacts.from_json(row["facts"]) for row in curs.fetchall()}

    def apply(self, cases: Sequence[CaseFacts], tracking: Tracking, *, after: int) -> None:
        """Record the facts and the position they reach together, or neither.

        Refused with IntegrityError unless the recorded position is still `after` (0: none).
        """
        with self.datastore.transaction(commit=True) as curs:
            self.advance_in(curs, tracking, after=after)
            if cases:
                curs.executemany(self._upsert, [_stored(facts) for facts in cases])

    def between(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> list[CaseFacts]:
        """The facts of the cases filed in [filed_from, filed_before), of one department or all."""
        sql = self._between
        params: dict[str, Any] = {"start": filed_from, "end": filed_before}
        if department is not None:
            sql += " AND department = %(department)s"
            params["department"] = department
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(sql), params)
            return [CaseFacts.from_json(row["facts"]) for row in curs.fetchall()]


def _stored(facts: CaseFacts) -> dict[str, Any]:
    return {
        "case_id": facts.case_id,
        "reference": facts.reference,
        "department": facts.department,
        "filed_at": facts.filed_at,
        "version": facts.version,
        "facts": facts.to_json(),
    }
