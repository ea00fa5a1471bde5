"""The case index inside the SQLite event store's file, written with its tracking record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore

from complaints.readmodels.case_index.filters import (
    CaseFilter,
    Dialect,
    select_page,
    select_rows,
    status_counts,
)
from complaints.readmodels.case_index.rows import LEARNED_FIELDS, ROW_FIELDS, CaseRow
from complaints.readmodels.case_index.state_counts import (
    ALL,
    PLACEMENT,
    TABLE,
    Placed,
    StateSQL,
    city_offset,
    moves,
)
from complaints.readmodels.case_index.texts import TextPage, select_after
from complaints.readmodels.recorders import ReadModelSQLiteRecorder, iso_utc

# Its own tracking table (see complaints.adapters.positions).
TRACKING_TABLE = "case_index_tracking"

_COLUMNS = {
    "case_id": "TEXT NOT NULL UNIQUE",
    "reference": "TEXT NOT NULL UNIQUE",
    "status": "TEXT NOT NULL",
    "round": "INTEGER NOT NULL",
    "category": "TEXT NOT NULL",
    "subject": "TEXT NOT NULL",
    "description": "TEXT NOT NULL",
    "filer_kind": "TEXT NOT NULL",
    "filer_language": "TEXT NOT NULL",
    "enterprise_name": "TEXT",
    "person_name": "TEXT",
    "enterprise_key": "TEXT NOT NULL",
    "credit_code_sealed": "TEXT",
    "credit_code_hash": "TEXT",
    "phone_hash": "TEXT",
    "email_hash": "TEXT",
    "external_user_hash": "TEXT",
    "channel": "TEXT NOT NULL",
    "lead_department": "TEXT",
    "co_departments": "TEXT NOT NULL",  # a JSON array
    "confidential": "INTEGER NOT NULL",
    "anonymous": "INTEGER NOT NULL",
    "filed_at": "TEXT NOT NULL",  # ISO 8601 UTC with microseconds: sorts as time does
    "due_at": "TEXT",
    "updated_at": "TEXT NOT NULL",
    "version": "INTEGER NOT NULL",
    "review_stage": "TEXT NOT NULL",
    "deadline_stage": "TEXT",
    "due_provisional": "INTEGER NOT NULL",
    "deadline_state": "TEXT",
    "closed_at": "TEXT",
    "personal_data_erased": "INTEGER NOT NULL",
    # Named for how its words are made (search_text): another way takes another name, so
    # that `outdated` finds an index made the old way and it is made again.
    "search_grams": "TEXT NOT NULL",
}

# FTS5 over the segmented text, kept in step by triggers (the "external content" pattern of
# the SQLite manual); `id` is an INTEGER PRIMARY KEY so VACUUM cannot renumber the rows.
_CREATE_STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS case_index (id INTEGER PRIMARY KEY, "
    + ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
    + ")",
    "CREATE INDEX IF NOT EXISTS case_index_by_lead ON case_index (lead_department, due_at)",
    # With the status beside each filing time, a period's cases are counted by state from the
    # index alone (it replaces the one of filing times alone).
    "CREATE INDEX IF NOT EXISTS case_index_by_filing_and_status ON case_index (filed_at, status)",
    "DROP INDEX IF EXISTS case_index_by_filing",
    # Cases in a status, newest first; and the open cases a queue lists, by lead department.
    "CREATE INDEX IF NOT EXISTS case_index_by_status ON case_index (status, filed_at)",
    "CREATE INDEX IF NOT EXISTS case_index_open_by_lead ON case_index (lead_department, due_at) "
    "WHERE status <> 'closed'",
    # Case intelligence takes in the rows changed since it last read, in this order.
    "CREATE INDEX IF NOT EXISTS case_index_by_update ON case_index (updated_at, case_id)",
    "CREATE INDEX IF NOT EXISTS case_index_by_credit_code ON case_index (credit_code_hash)",
    "CREATE INDEX IF NOT EXISTS case_index_by_phone ON case_index (phone_hash)",
    "CREATE INDEX IF NOT EXISTS case_index_by_email ON case_index (email_hash)",
    "CREATE INDEX IF NOT EXISTS case_index_by_external_user ON case_index (external_user_hash)",
    # The closed cases whose personal data is still kept, by closing: retention's candidates.
    "CREATE INDEX IF NOT EXISTS case_index_retention ON case_index (closed_at, reference) "
    "WHERE NOT personal_data_erased",
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_index_fts USING fts5("
    "search_grams, content='case_index', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS case_index_fts_insert AFTER INSERT ON case_index BEGIN "
    "INSERT INTO case_index_fts (rowid, search_grams) VALUES (new.id, new.search_grams); END",
    "CREATE TRIGGER IF NOT EXISTS case_index_fts_update AFTER UPDATE OF search_grams ON case_index "
    "WHEN old.search_grams IS NOT new.search_grams BEGIN "
    "INSERT INTO case_index_fts (case_index_fts, rowid, search_grams) "
    "VALUES ('delete', old.id, old.search_grams); "
    "INSERT INTO case_index_fts (rowid, search_grams) VALUES (new.id, new.search_grams); END",
]
STATES = StateSQL(
    index="case_index", table=TABLE, day_type="TEXT",
    # Seconds only: SQLite rounds the fraction to milliseconds, which can cross midnight.
    filing_day=f"date(substr(c.filed_at, 1, 19), '{city_offset()}')",
    co_handlers="json_each(c.co_departments) AS j",
    mark=lambda name: f":{name}",
)
_CREATE_STATEMENTS += [STATES.create, STATES.fill]

_DROP_STATEMENTS = [
    f"DROP TABLE IF EXISTS {TABLE}",
    "DROP TABLE IF EXISTS case_index_fts",
    "DROP TABLE IF EXISTS case_index",
    f"DROP TABLE IF EXISTS {TRACKING_TABLE}",
]
# A row only ever moves forward: an older version of a case never overwrites a newer one.
_UPSERT = (
    f"INSERT INTO case_index ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _COLUMNS)}) "
    "ON CONFLICT (case_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS if name != "case_id")
    + " WHERE excluded.version > case_index.version"
)

DIALECT = Dialect(
    param=lambda name: f":{name}",
    department=(
        "(lead_department = {p} OR EXISTS "
        "(SELECT 1 FROM json_each(co_departments) WHERE value = {p}))"
    ),
    enterprise_contains="instr(enterprise_key, {p}) > 0",
    text="id IN (SELECT rowid FROM case_index_fts WHERE case_index_fts MATCH {p})",
    # Each term a phrase in quotes (its words in a row), a prefix term's followed by `*`.
    text_query=lambda terms: " ".join(
        '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms),
    moment=iso_utc,
)


class CaseIndexSQLiteRecorder(ReadModelSQLiteRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, table=TRACKING_TABLE, **kwargs)

    create_statements = _CREATE_STATEMENTS
    drop_statements = _DROP_STATEMENTS

    def apply(self, rows: Sequence[CaseRow], tracking: Tracking, *, after: int,
              part: bool = False) -> None:
        """Record the rows and the position they reach together, or neither.

        Refused with IntegrityError unless the recorded position is still `after` (0: none).
        One writer at a time writes SQLite's file, a part's (`part`) as any other.
        """
        with self.datastore.transaction(commit=True) as c:
            self.advance_in(c, tracking, after=after)
            c.execute(_PLACEMENTS, [json.dumps([row.case_id for row in rows])])
            before = {found["case_id"]: _placed(found) for found in c.fetchall()}
            c.executemany(_UPSERT, [_stored(row) for row in rows])
            moved = moves(before, ((row.case_id, row.placed) for row in rows))
            c.executemany(STATES.add, [
                {"day": day.isoformat(), "department": department, "status": status, "n": n}
                for (day, department, status), n in moved.items()])

    def state_counts(self, first: date | None, end: date | None,
                     department: str | None) -> dict[str, int]:
        """Cases by state, of those filed on the days [first, end) (None: every day), led or
        co-handled by `department` (None: every case), from the kept sums."""
        params = {"department": department or ALL}
        statement = STATES.sums_of_all_days
        if first is not None and end is not None:
            params |= {"first": first.isoformat(), "end": end.isoformat()}
            statement = STATES.sums
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return {row[0]: int(row[1]) for row in c.fetchall() if row[1]}

    def find(
        self, case_filter: CaseFilter, order: str, page: tuple[int, int], *, count: bool = True
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (limit, offset) of the matching cases, and how many match in all (-1
        without `count`)."""
        select, count_all, params = select_page(
            "case_index", ROW_FIELDS, case_filter, DIALECT, order, page
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(select, params)
            rows = c.fetchall()
            total = -1
            if count:
                c.execute(count_all, params)
                total = c.fetchone()[0]
        return [_loaded(row) for row in rows], int(total)

    def texts_after(self, key: tuple[datetime, str], limit: int) -> TextPage:
        """Up to `limit` rows with their text, changed after `key` (updated_at, case_id), in
        that order."""
        at, case_id = key
        with self.datastore.transaction(commit=False) as c:
            c.execute(_TEXTS_AFTER, {"at": iso_utc(at), "case_id": case_id, "limit": limit})
            rows = [_text_row(row) for row in c.fetchall()]
        last = (rows[-1]["updated_at"], rows[-1]["case_id"]) if rows else None
        return TextPage(rows, last)

    def closed_texts(self, after: str, limit: int) -> list[dict[str, Any]]:
        """Closed cases' words and where they ended (`LEARNED_FIELDS`), by reference after
        `after`: what dispatch suggestions learn from."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(_CLOSED_TEXTS, {"after": after, "limit": limit})
            return [dict(zip(LEARNED_FIELDS, row, strict=True)) for row in c.fetchall()]

    def texts(self, references: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The subject and description of each of the cases, by reference."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT reference, subject, description FROM case_index "
                      "WHERE reference IN (SELECT value FROM json_each(?))",
                      [json.dumps(list(references))])
            return {row[0]: (row[1], row[2]) for row in c.fetchall()}

    def rows(self, case_filter: CaseFilter, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Every matching case's `columns`, oldest filing first; times as aware datetimes."""
        select, params = select_rows("case_index", columns, case_filter, DIALECT)
        with self.datastore.transaction(commit=False) as c:
            c.execute(select, params)
            rows = [dict(zip(columns, row, strict=True)) for row in c.fetchall()]
        for row in rows:
            for name in ("filed_at", "due_at", "updated_at", "closed_at"):
                if row.get(name):
                    row[name] = datetime.fromisoformat(row[name])
        return rows

    def outdated(self) -> bool:
        """Whether the table was made by an earlier version: one that kept credit codes, kept no
        filer language, or cut its words another way (`search_text`), each missing a column
        this one has."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM pragma_table_info('case_index')")
            columns = {row[0] for row in c.fetchall()}
        return bool(columns) and not set(_COLUMNS) <= columns

    def status_counts(self, case_filter: CaseFilter) -> dict[str, int]:
        statement, params = status_counts("case_index", case_filter, DIALECT)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return {row[0]: int(row[1]) for row in c.fetchall()}


_CLOSED_TEXTS = (f"SELECT {', '.join(LEARNED_FIELDS)} FROM case_index WHERE status = 'closed' "
                 "AND personal_data_erased = 0 AND reference > :after "
                 "ORDER BY reference LIMIT :limit")
_PLACEMENTS = (f"SELECT case_id, {', '.join(PLACEMENT)} FROM case_index "
               "WHERE case_id IN (SELECT value FROM json_each(?))")


_TEXTS_AFTER = select_after("case_index", ":{}")


def _text_row(row: Any) -> dict[str, Any]:
    return {**dict(row), "co_departments": json.loads(row["co_departments"]),
            "personal_data_erased": bool(row["personal_data_erased"]),
            "filed_at": datetime.fromisoformat(row["filed_at"]),
            "updated_at": datetime.fromisoformat(row["updated_at"])}


def _placed(row: Any) -> Placed:
    return Placed(row["version"], datetime.fromisoformat(row["filed_at"]), row["status"],
                  row["lead_department"], tuple(json.loads(row["co_departments"])))


def _stored(row: CaseRow) -> dict[str, Any]:
    values = row.values()
    return {
        **values,
        "co_departments": json.dumps(values["co_departments"]),
        "search_grams": " ".join(values["search_grams"]),
        "confidential": int(row.confidential),
        "anonymous": int(row.anonymous),
        "due_provisional": int(row.due_provisional),
        "personal_data_erased": int(row.personal_data_erased),
        "filed_at": iso_utc(row.filed_at),
        "closed_at": iso_utc(row.closed_at),
        "due_at": iso_utc(row.due_at),
        "updated_at": iso_utc(row.updated_at),
    }


def _loaded(row: Any) -> dict[str, Any]:
    item = {name: row[name] for name in ROW_FIELDS}
    item["co_departments"] = json.loads(item["co_departments"])
    item["confidential"] = bool(item["confidential"])
    item["anonymous"] = bool(item["anonymous"])
    item["due_provisional"] = bool(item["due_provisional"])
    item["personal_data_erased"] = bool(item["personal_data_erased"])
    return item
