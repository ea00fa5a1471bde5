"""The scorecards' case facts and their buckets in the PostgreSQL event store's database, with
their tracking."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from complaints.readmodels.recorders import ReadModelPostgresRecorder
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
TABLES = ["scorecard_cases", *(name for grain in GRAINS for name in table_names(grain)),
          "scorecard_calendar"]
# Cases read at a time when every contribution is recounted.
RECOUNT_CHUNK = 5000
# Cases read at a time when the cases behind a figure are listed in filing order.
ORDERED_CHUNK = 200


class ScorecardPostgresRecorder(ReadModelPostgresRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, table=TRACKING_TABLE, tables=TABLES, **kwargs)
        table = Identifier(datastore.schema, "scorecard_cases").as_string()
        self.bucket_sql = BucketSQL(
            name=lambda name: Identifier(datastore.schema, name).as_string(),
            mark=lambda name: f"%({name})s", day_type="date",
            week_of_day="(day - (extract(isodow from day)::integer - 1))",
            lock=" FOR UPDATE",
            rows=lambda columns: "SELECT * FROM json_to_recordset(%(rows)s::json) AS r("
            + ", ".join(f"{column} {kind}" for column, kind in columns) + ")",
        )
        self.sql_create_statements.extend((
            SQL(f"CREATE TABLE IF NOT EXISTS {table} ("
                "case_id text PRIMARY KEY, reference text NOT NULL, department text, "
                "filed_at timestamptz NOT NULL, version integer NOT NULL, facts text NOT NULL)"),
            self.index("scorecard_cases_by_filing", f"{table} (filed_at)"),
            self.index("scorecard_cases_by_department", f"{table} (department, filed_at)"),
            *(SQL(statement) for statement in self.bucket_sql.create),
        ))
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
        self._chunk = SQL(f"SELECT case_id, facts FROM {table} WHERE case_id > %(after)s "
                          "ORDER BY case_id LIMIT %(limit)s")

    def load(self, case_ids: Collection[str]) -> dict[str, CaseFacts]:
        """The facts recorded so far of those of `case_ids` that have any."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._load, {"ids": list(case_ids)})
            return {row["case_id"]: CaseFacts.from_json(row["facts"]) for row in curs.fetchall()}

    def apply(self, changes: Sequence[Change], tracking: Tracking, *, after: int) -> None:
        """Record the facts, their contributions moved between buckets, and the position they
        reach together, or none of them.

        Refused with IntegrityError unless the recorded position is still `after` (0: none),
        and with StaleCalendar unless the changes were counted on the aggregates' calendar.
        """
        with self.datastore.transaction(commit=True) as curs:
            self.advance_in(curs, tracking, after=after)
            if not changes:
                return
            curs.execute(SQL(self.bucket_sql.lock_calendar))
            stored = {row["fingerprint"] for row in curs.fetchall()}
            if {change.after.calendar for change in changes} != stored:
                raise StaleCalendar(stored)
            curs.executemany(self._upsert, [_stored(change.facts) for change in changes])
            self._add(curs, Deltas.of((change.before, change.after) for change in changes))

    def _add(self, curs: Any, deltas: Deltas) -> None:
        """Every bucket row and histogram row a grain's deltas move, in one statement each
        (a batch moves hundreds of rows: sent as one JSON array, not a parameter each)."""
        for grain in GRAINS:
            moved = deltas.in_grain(grain)
            if buckets := moved.bucket_rows():
                curs.execute(SQL(self.bucket_sql.add_to_bucket[grain]), _rows(
                    bucket_params(key, row, key.day.isoformat()) for key, row in buckets))
            if replies := moved.histogram_rows():
                curs.execute(SQL(self.bucket_sql.add_replies[grain]), _rows(
                    {"day": day.isoformat(), "department": department, "unit": unit,
                     "days": days, "replies": n}
                    for (day, department, unit, days), n in replies))

    def calendar_counted(self) -> str | None:
        """The fingerprint of the calendar the aggregates were counted with (None: never)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(self.bucket_sql.read_calendar))
            row = curs.fetchone()
            return None if row is None else row["fingerprint"]

    def recount(self, recount: Recount) -> int:
        """Sum every case's contribution afresh into empty buckets, in one transaction, and
        name the calendar they were counted on; the number of cases."""
        cases, last = 0, ""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL(self.bucket_sql.lock_calendar))
            while True:
                curs.execute(self._chunk, {"after": last, "limit": RECOUNT_CHUNK})
                rows = curs.fetchall()
                if not rows:
                    break
                for row in rows:
                    recount.add(CaseFacts.from_json(row["facts"]))
                cases, last = cases + len(rows), rows[-1]["case_id"]
            for statement in self.bucket_sql.empty:
                curs.execute(SQL(statement))
            self._add(curs, recount.deltas)
            curs.execute(SQL(self.bucket_sql.write_calendar), {"print": recount.print})
        return cases

    def sums(
        self, by: str, ranges: Sequence[tuple[str, date, date]], department: str | None = None
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Bucket sums and reply histograms over `ranges` (grain, first day, end day: the
        buckets of that grain starting in [first, end)), per `by` ('department', or 'week',
        the Monday of a bucket's week), of one department or all."""
        chosen = department is not None
        buckets, replies = [], []
        with self.datastore.transaction(commit=False) as curs:
            # Thousands of rows of a few dozen numbers: as tuples, not named one by one.
            curs.row_factory = tuple_row
            for grain, first, end in ranges:
                params = {"first": first, "end": end, "department": department}
                curs.execute(SQL(self.bucket_sql.bucket_sums(grain, by, chosen)), params)
                buckets += curs.fetchall()
                curs.execute(SQL(self.bucket_sql.reply_sums(grain, by, chosen)), params)
                replies += curs.fetchall()
        return buckets, replies

    def in_filing_order(
        self, filed_from: datetime, filed_before: datetime, department: str | None = None
    ) -> Iterator[CaseFacts]:
        """The facts of the cases filed in [filed_from, filed_before), of one department or
        all, in filing order (then by reference, compared as code points), read in chunks."""
        sql = self._between + (" AND department = %(department)s" if department else "")
        sql += (" AND (filed_at, reference COLLATE \"C\") > (%(after)s, %(reference)s)"
                " ORDER BY filed_at, reference COLLATE \"C\" LIMIT %(limit)s")
        after, reference = filed_from - timedelta(microseconds=1), ""
        while True:
            with self.datastore.transaction(commit=False) as curs:
                curs.execute(SQL(sql), {"start": filed_from, "end": filed_before,
                                        "department": department, "after": after,
                                        "reference": reference, "limit": ORDERED_CHUNK})
                chunk = [CaseFacts.from_json(row["facts"]) for row in curs.fetchall()]
            yield from chunk
            if len(chunk) < ORDERED_CHUNK:
                return
            after, reference = chunk[-1].filed_at, chunk[-1].reference

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


def _rows(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Rows of named values as the one parameter `json_to_recordset` reads them from."""
    return {"rows": json.dumps(list(rows), ensure_ascii=False)}
