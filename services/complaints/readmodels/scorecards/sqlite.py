"""The scorecards' case facts and their buckets inside the SQLite event store's file, with their
tracking record."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore

from complaints.readmodels.recorders import ReadModelSQLiteRecorder, iso_utc
from complaints.readmodels.scorecards.buckets import (
    GRAINS,
    BucketSQL,
    Change,
    Deltas,
    Recount,
    StaleCalendar,
    bucket_params,
    table_names,
)
from complaints.readmodels.scorecards.facts import CaseFacts

# Its own tracking table (see complaints.adapters.positions).
TRACKING_TABLE = "scorecard_tracking"
# Well under SQLite's limit on the parameters of one statement.
_IDS_PER_SELECT = 500
# Cases read at a time when every contribution is recounted.
RECOUNT_CHUNK = 5000
# Cases read at a time when the cases behind a figure are listed in filing order.
ORDERED_CHUNK = 200

BUCKET_SQL = BucketSQL(
    name=lambda name: name,
    mark=lambda name: f":{name}", day_type="TEXT",
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is its Monday.
    week_of_day="date(day, 'weekday 0', '-6 days')",
)
_CREATE_STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS scorecard_cases ("
    "case_id TEXT PRIMARY KEY, reference TEXT NOT NULL, department TEXT, "
    "filed_at TEXT NOT NULL, version INTEGER NOT NULL, facts TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS scorecard_cases_by_filing ON scorecard_cases (filed_at)",
    "CREATE INDEX IF NOT EXISTS scorecard_cases_by_department "
    "ON scorecard_cases (department, filed_at)",
    *BUCKET_SQL.create,
]
_DROP_STATEMENTS = [
    "DROP TABLE IF EXISTS scorecard_cases",
    *(f"DROP TABLE IF EXISTS {name}" for grain in GRAINS for name in table_names(grain)),
    "DROP TABLE IF EXISTS scorecard_calendar",
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
_CHUNK = ("SELECT case_id, facts FROM scorecard_cases WHERE case_id > ? ORDER BY case_id "
          "LIMIT ?")


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

    def apply(self, changes: Sequence[Change], tracking: Tracking, *, after: int) -> None:
        """Record the facts, their contributions moved between buckets, and the position they
        reach together, or none of them.

        Refused with IntegrityError unless the recorded position is still `after` (0: none),
        and with StaleCalendar unless the changes were counted on the aggregates' calendar.
        """
        with self.datastore.transaction(commit=True) as c:
            self.advance_in(c, tracking, after=after)
            if not changes:
                return
            c.execute(BUCKET_SQL.lock_calendar)
            stored = {row[0] for row in c.fetchall()}
            if {change.after.calendar for change in changes} != stored:
                raise StaleCalendar(stored)
            c.executemany(_UPSERT, [_stored(change.facts) for change in changes])
            _add(c, Deltas.of((change.before, change.after) for change in changes))

    def calendar_counted(self) -> str | None:
        """The fingerprint of the calendar the aggregates were counted with (None: never)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(BUCKET_SQL.read_calendar)
            row = c.fetchone()
            return None if row is None else row[0]

    def recount(self, recount: Recount) -> int:
        """Sum every case's contribution afresh into empty buckets, in one transaction, and
        name the calendar they were counted on; the number of cases."""
        cases, last = 0, ""
        with self.datastore.transaction(commit=True) as c:
            # Emptied first, so the transaction holds the write lock before it reads: one that
            # reads first holds a snapshot, and SQLite refuses it the lock at once ("database
            # is locked", without waiting) if anyone committed since, as the application does.
            for statement in BUCKET_SQL.empty:
                c.execute(statement)
            while True:
                c.execute(_CHUNK, (last, RECOUNT_CHUNK))
                rows = c.fetchall()
                if not rows:
                    break
                for row in rows:
                    recount.add(CaseFacts.from_json(row[1]))
                cases, last = cases + len(rows), rows[-1][0]
            _add(c, recount.deltas)
            c.execute(BUCKET_SQL.write_calendar, {"print": recount.print})
        return cases

    def sums(
        self, by: str, ranges: Sequence[tuple[str, date, date]], department: str | None = None
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Bucket sums and reply histograms over `ranges` (grain, first day, end day: the
        buckets of that grain starting in [first, end)), per `by` ('department', or 'week',
        the Monday of a bucket's week), of one department or all."""
        chosen = department is not None
        buckets, replies = [], []
        with self.datastore.transaction(commit=False) as c:
            for grain, first, end in ranges:
                params = {"first": first.isoformat(), "end": end.isoformat(),
                          "department": department}
                c.execute(BUCKET_SQL.bucket_sums(grain, by, chosen), params)
                buckets += [_grouped(by, tuple(row)) for row in c.fetchall()]
                c.execute(BUCKET_SQL.reply_sums(grain, by, chosen), params)
                replies += [_grouped(by, tuple(row)) for row in c.fetchall()]
        return buckets, replies

    def in_filing_order(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> Iterator[CaseFacts]:
        """The facts of the cases filed in [filed_from, filed_before), of one department or
        all, in filing order (then by reference, compared as code points), read in chunks."""
        sql = "SELECT facts FROM scorecard_cases WHERE filed_at >= ? AND filed_at < ?"
        sql += " AND department = ?" if department else ""
        sql += " AND (filed_at, reference) > (?, ?) ORDER BY filed_at, reference LIMIT ?"
        after, reference = "", ""
        while True:
            params: list[Any] = [iso_utc(filed_from), iso_utc(filed_before)]
            params += [department] if department else []
            with self.datastore.transaction(commit=False) as c:
                c.execute(sql, [*params, after, reference, ORDERED_CHUNK])
                chunk = [CaseFacts.from_json(row[0]) for row in c.fetchall()]
            yield from chunk
            if len(chunk) < ORDERED_CHUNK:
                return
            after, reference = iso_utc(chunk[-1].filed_at), chunk[-1].reference

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


def _add(c: Any, deltas: Deltas) -> None:
    for grain in GRAINS:
        moved = deltas.in_grain(grain)
        if buckets := moved.bucket_rows():
            c.executemany(BUCKET_SQL.add_to_bucket[grain],
                          [bucket_params(key, row, key.day.isoformat()) for key, row in buckets])
        if replies := moved.histogram_rows():
            c.executemany(BUCKET_SQL.add_replies[grain], [
                {"day": day.isoformat(), "department": department, "unit": unit, "days": days,
                 "replies": n} for (day, department, unit, days), n in replies])


def _grouped(by: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A week's Monday as a date, as PostgreSQL gives it."""
    if by == "week":
        return (date.fromisoformat(row[0]), *row[1:])
    return row


def _stored(facts: CaseFacts) -> dict[str, Any]:
    return {
        "case_id": facts.case_id,
        "reference": facts.reference,
        "department": facts.department,
        "filed_at": iso_utc(facts.filed_at),
        "version": facts.version,
        "facts": facts.to_json(),
    }
