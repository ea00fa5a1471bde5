"""The scorecards' case facts inside the SQLite event store's file, with their tracking record."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore

from complaints.readmodels.recorders import ReadModelSQLiteRecorder, iso_utc
from complaints.readmodels.scorecards.facts import CaseFacts

# Its own tracking table (see complaints.adapters.positions).
TRACKING_TABLE = "scorecard_tracking"
# Well under SQLite's limit on the parameters of one statement.
_IDS_PER_SELECT = 500

_CREATE_STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS scorecard_cases ("
    "case_id TEXT PRIMARY KEY, reference TEXT NOT NULL, department TEXT, "
    "filed_at TEXT NOT NULL, version INTEGER NOT NULL, facts TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS scorecard_cases_by_filing ON scorecard_cases (filed_at)",
    "CREATE INDEX IF NOT EXISTS scorecard_cases_by_department "
    "ON scorecard_cases (department, filed_at)",
]
_DROP_STATEMENTS = [
    "DROP TABLE IF EXISTS scorecard_cases",
    f"DROP TABLE IF EXISTS {TRACKING_TABLE}",
]
# Facts only ever move forward: an older fold of a case never overwrites a newer one.
_UPSERT = (
    "INSERT INTO scorecard_cases (case_id, reference, department, filed_at, version, facts) "
    "VALUES (:case_id, :reference, :department, :filed_at, :version, :facts) "
    "ON CONFLICT (case_id) DO UPDATE SET department = excluded.department, "
    "version = excluded.version, facts = excluded.facts "
    "WHERE excluded.version > scorecard_cases.version"
)


class ScorecardSQLiteRecorder(ReadModelSQLiteRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, table=TRACKING_TABLE, **kwargs)

    create_statements = _CREATE_STATEMENTS
    drop_statements = _DROP_STATEMENTS

    def load(self, case_ids: Collection[str]) -> dict[str, CaseFacts]:
        """The facts recorded so far of those of `case_ids` that have any."""
        ids = list(case_ids)
        found: dict[str, CaseFacts] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), _IDS_PER_SELECT):
                chunk = ids[start : start + _IDS_PER_SELECT]
                marks = ", ".join("?" * len(chunk))
                c.execute(
                    f"SELECT case_id, facts FROM scorecard_cases WHERE case_id IN ({marks})",
                    chunk,
                )
                found.update((row[0], CaseFacts.from_json(row[1])) for row in c.fetchall())
        return found

    def apply(self, cases: Sequence[CaseFacts], tracking: Tracking, *, after: int) -> None:
        """Record the facts and the position they reach together, or neither.

        Refused with IntegrityError unless the recorded position is still `after` (0: none).
        """
        with self.datastore.transaction(commit=True) as c:
            self.advance_in(c, tracking, after=after)
            c.executemany(_UPSERT, [_stored(facts) for facts in cases])

    def between(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> list[CaseFacts]:
        """The facts of the cases filed in [filed_from, filed_before), of one department or all."""
        sql = "SELECT facts FROM scorecard_cases WHERE filed_at >= ? AND filed_at < ?"
        params: list[Any] = [iso_utc(filed_from), iso_utc(filed_before)]
        if department is not None:
            sql += " AND department = ?"
            params.append(department)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [CaseFacts.from_json(row[0]) for row in c.fetchall()]


def _stored(facts: CaseFacts) -> dict[str, Any]:
    return {
        "case_id": facts.case_id,
        "reference": facts.reference,
        "department": facts.department,
        "filed_at": iso_utc(facts.filed_at),
        "version": facts.version,
        "facts": facts.to_json(),
    }
