"""The case index inside the PostgreSQL event store's database, written with its tracking record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

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
    Placed,
    StateSQL,
    moves,
)
from complaints.readmodels.case_index.state_counts import TABLE as STATES
from complaints.readmodels.case_index.texts import TextPage, select_after
from complaints.readmodels.recorders import ReadModelPostgresRecorder, iso_utc
from shared.locale import CITY_TIMEZONE

# Its own tracking table (see complaints.adapters.positions).
TRACKING_TABLE = "case_index_tracking"
# Any fixed number: the whole index's writers take it alone, its parts' shared (see `apply`).
WRITERS_LOCK = 0x43_41_53_45_49_58

_COLUMNS = {
    "case_id": "uuid PRIMARY KEY",
    "reference": "text NOT NULL UNIQUE",
    "status": "text NOT NULL",
    "round": "integer NOT NULL",
    "category": "text NOT NULL",
    "subject": "text NOT NULL",
    "description": "text NOT NULL",
    "filer_kind": "text NOT NULL",
    "filer_language": "text NOT NULL",
    "enterprise_name": "text",
    "person_name": "text",
    "enterprise_key": "text NOT NULL",
    "credit_code_sealed": "text",
    "credit_code_hash": "text",
    "phone_hash": "text",
    "email_hash": "text",
    "external_user_hash": "text",
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
    "closed_at": "timestamptz",
    "personal_data_erased": "boolean NOT NULL",
    # Named for how its words are made (search_text): another way takes another name, so
    # that `outdated` finds an index made the old way and it is made again.
    "search_grams": "tsvector NOT NULL",
}
_VALUES = {
    name: "%(search_grams)s::tsvector" if name == "search_grams" else f"%({name})s"
    for name in _COLUMNS
}

DIALECT = Dialect(
    param=lambda name: f"%({name})s",
    department="(lead_department = {p} OR co_departments @> ARRAY[{p}]::text[])",
    department_parts=(
        "lead_department = {p}",
        "co_departments @> ARRAY[{p}]::text[] AND lead_department IS DISTINCT FROM {p}",
    ),
    enterprise_contains="strpos(enterprise_key, {p}) > 0",
    text="search_grams @@ {p}::tsquery",
    # Each term its words in a row (`<->`), a prefix term's one word followed by `:*`.
    text_query=lambda terms: " & ".join(
        f"{term.words[0]}:*" if term.prefix else "(" + " <-> ".join(term.words) + ")"
        for term in terms),
    moment=lambda moment: moment,
)


class CaseIndexPostgresRecorder(ReadModelPostgresRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, table=TRACKING_TABLE, tables=["case_index", STATES],
                         **kwargs)
        self.table = Identifier(datastore.schema, "case_index").as_string()
        self.states = StateSQL(
            index=self.table, table=Identifier(datastore.schema, STATES).as_string(),
            day_type="date", filing_day=f"(c.filed_at AT TIME ZONE '{CITY_TIMEZONE}')::date",
            co_handlers="unnest(c.co_departments) AS j(value)",
            mark=lambda name: f"%({name})s",
            # In the key's order: parts of a catch-up add to the same sums at once, and
            # rows locked in one order cannot deadlock.
            rows="SELECT * FROM json_to_recordset(%(rows)s::json) "
                 "AS r(day date, department text, status text, n integer) "
                 "ORDER BY day, department, status",
        )
        self._schema = datastore.schema or "public"
        table = self.table
        replaced = [SQL("DROP INDEX IF EXISTS " + Identifier(datastore.schema, name).as_string())
                    for name in ("case_index_by_filing", "case_index_open_by_lead")]
        self.sql_create_statements.extend((
            SQL(f"CREATE TABLE IF NOT EXISTS {table} ("
                + ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items()) + ")"),
            self.index("case_index_by_lead", f"{table} (lead_department, due_at)"),
            # With the status beside each filing time, a period's cases are counted by state
            # from the index alone (it replaces case_index_by_filing, of filing times alone).
            self.index("case_index_by_filing_and_status", f"{table} (filed_at) INCLUDE (status)"),
            # Cases in a status, newest first; the open cases a queue lists, by lead.
            self.index("case_index_by_status", f"{table} (status, filed_at)"),
            # A department's queue: its open cases in the queue's order, a page read off the
            # front of the index (it replaces case_index_open_by_lead, of lead and due time).
            self.index("case_index_open_queue", f"{table} "
                       "(lead_department, due_at, filed_at, reference) WHERE status <> 'closed'"),
            *replaced,
            self.index("case_index_by_credit_code", f"{table} (credit_code_hash)"),
            self.index("case_index_by_phone", f"{table} (phone_hash)"),
            self.index("case_index_by_email", f"{table} (email_hash)"),
            self.index("case_index_by_external_user", f"{table} (external_user_hash)"),
            # The closed cases whose personal data is still kept: retention's candidates.
            self.index("case_index_retention", f"{table} "
                       "(closed_at, reference) WHERE NOT personal_data_erased"),
            # Case intelligence takes in the rows changed since it last read, in this order.
            self.index("case_index_by_update", f"{table} (updated_at, case_id)"),
            self.index("case_index_co_departments", f"{table} USING GIN (co_departments)"),
            self.index("case_index_search", f"{table} USING GIN (search_grams)"),
            SQL(self.states.create),
            SQL(self.states.fill),
        ))
        self._texts_after = SQL(select_after(self.table, "%({})s"))
        self._placements = SQL(
            f"SELECT case_id, {', '.join(PLACEMENT)} FROM {self.table} WHERE case_id = ANY(%s)")
        # A row only ever moves forward: an older version never overwrites a newer one.
        self._upsert = SQL(
            f"INSERT INTO {self.table} ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join(_VALUES.values())}) "
            "ON CONFLICT (case_id) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS if name != "case_id")
            + " WHERE excluded.version > case_index.version"
        )

    def apply(self, rows: Sequence[CaseRow], tracking: Tracking, *, after: int,
              part: bool = False) -> None:
        """Record the rows and the position they reach together, or neither.

        Refused with IntegrityError unless the recorded position is still `after` (0: none).
        `part`: the rows are one part's of the cases (`Part`), written beside the other
        parts' but never beside the whole index's. A case's row and the sums its move
        changes are read and written in one transaction, right only while no other writes
        the same case at once: the whole's writers take turns at their one position, and
        parts hold disjoint cases, but a part and the whole (`huiyin projections run` beside
        a catch-up) could meet on a case.
        """
        with self.datastore.transaction(commit=True) as curs:
            lock = "pg_advisory_xact_lock_shared" if part else "pg_advisory_xact_lock"
            curs.execute(SQL(f"SELECT {lock}(%s)"), (WRITERS_LOCK,))
            self.advance_in(curs, tracking, after=after)
            if rows:
                curs.execute(self._placements, ([UUID(row.case_id) for row in rows],))
                before = {str(found["case_id"]): _placed(found) for found in curs.fetchall()}
                curs.executemany(self._upsert, [_stored(row) for row in rows])
                moved = moves(before, ((row.case_id, row.placed) for row in rows))
                if moved:
                    curs.execute(SQL(self.states.add), {"rows": json.dumps([
                        {"day": day.isoformat(), "department": department, "status": status,
                         "n": n} for (day, department, status), n in moved.items()])})

    def find(
        self, case_filter: CaseFilter, order: str, page: tuple[int, int], *, count: bool = True
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (limit, offset) of the matching cases, and how many match in all (-1
        without `count`)."""
        select, count_all, params = select_page(
            self.table, ROW_FIELDS, case_filter, DIALECT, order, page
        )
        with self.datastore.transaction(commit=False) as curs:
            _plan_for_a_page(curs, case_filter)
            curs.execute(SQL(select), params)
            rows = curs.fetchall()
            total = -1
            if count:
                curs.execute(SQL(count_all), params)
                total = curs.fetchone()["total"]
        return [_loaded(row) for row in rows], int(total)

    def texts_after(self, key: tuple[datetime, str], limit: int) -> TextPage:
        """Up to `limit` rows with their text, changed after `key` (updated_at, case_id), in
        that order."""
        at, case_id = key
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SET LOCAL jit = off")
            curs.execute(self._texts_after, {"at": at, "case_id": UUID(case_id), "limit": limit})
            rows = [{**row, "case_id": str(row["case_id"]),
                     "co_departments": list(row["co_departments"])} for row in curs.fetchall()]
        last = (rows[-1]["updated_at"], rows[-1]["case_id"]) if rows else None
        return TextPage(rows, last)

    def closed_texts(self, after: str, limit: int) -> list[dict[str, Any]]:
        """Closed cases' words and where they ended (`LEARNED_FIELDS`), by reference after
        `after`: what dispatch suggestions learn from."""
        statement = (f"SELECT {', '.join(LEARNED_FIELDS)} FROM {self.table} "
                     "WHERE status = 'closed' AND NOT personal_data_erased "
                     "AND reference > %(after)s ORDER BY reference LIMIT %(limit)s")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(statement), {"after": after, "limit": limit})
            return [{name: row[name] for name in LEARNED_FIELDS} for row in curs.fetchall()]

    def texts(self, references: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The subject and description of each of the cases, by reference."""
        statement = (f"SELECT reference, subject, description FROM {self.table} "
                     "WHERE reference = ANY(%(references)s)")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(statement), {"references": list(references)})
            return {row["reference"]: (row["subject"], row["description"])
                    for row in curs.fetchall()}

    def rows(self, case_filter: CaseFilter, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Every matching case's `columns`, oldest filing first."""
        select, params = select_rows(self.table, columns, case_filter, DIALECT)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(select), params)
            return [dict(row) for row in curs.fetchall()]

    def outdated(self) -> bool:
        """Whether the table was made by an earlier version: one that kept credit codes, kept no
        filer language, or cut its words another way (`search_text`), each missing a column
        this one has."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = 'case_index'"),
                (self._schema,),
            )
            columns = {row["column_name"] for row in curs.fetchall()}
        return bool(columns) and not set(_COLUMNS) <= columns

    def state_counts(self, first: date | None, end: date | None,
                     department: str | None) -> dict[str, int]:
        """Cases by state, of those filed on the days [first, end) (None: every day), led or
        co-handled by `department` (None: every case), from the kept sums."""
        params = {"department": department or ALL, "first": first, "end": end}
        statement = self.states.sums_of_all_days if first is None else self.states.sums
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(statement), params)
            return {row["status"]: int(row["n"]) for row in curs.fetchall() if row["n"]}

    def status_counts(self, case_filter: CaseFilter) -> dict[str, int]:
        statement, params = status_counts(self.table, case_filter, DIALECT)
        with self.datastore.transaction(commit=False) as curs:
            _plan_for_a_page(curs, case_filter)
            curs.execute(SQL(statement), params)
            return {row["status"]: int(row["n"]) for row in curs.fetchall()}


def _plan_for_a_page(curs: Any, case_filter: CaseFilter) -> None:
    """Plan this transaction's reads as the short look-ups they are.

    No JIT compilation: at a million rows a plan's estimated cost passes `jit_above_cost`,
    and compiling takes hundreds of milliseconds that a page read never wins back. And words
    are matched through their GIN index: the planner prices a tsvector match on every row of
    a sequential scan far below what detoasting each row's vector costs, so it would choose
    to scan the table for a common word's count.
    """
    curs.execute("SET LOCAL jit = off")
    if case_filter.text_terms:
        curs.execute("SET LOCAL enable_seqscan = off")


def _placed(row: dict[str, Any]) -> Placed:
    return Placed(row["version"], row["filed_at"], row["status"], row["lead_department"],
                  tuple(row["co_departments"]))


def _stored(row: CaseRow) -> dict[str, Any]:
    values = row.values()
    return {**values, "case_id": UUID(row.case_id),
            "search_grams": _tsvector(values["search_grams"])}


def _tsvector(words: list[str]) -> str:
    """The words as a tsvector literal, each with its position (a phrase is asked for by
    them); PostgreSQL keeps positions up to 16,383, and so does this."""
    suffixes = _POSITIONS[: len(words)]
    if len(words) > len(_POSITIONS):
        suffixes += _POSITIONS[-1:] * (len(words) - len(_POSITIONS))
    return " ".join(map(str.__add__, words, suffixes))


# Each position's suffix, made once: a rebuild writes millions of words.
_POSITIONS = tuple(f":{position}" for position in range(1, 16384))


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    item = {name: row[name] for name in ROW_FIELDS}
    item["case_id"] = str(item["case_id"])
    for name in ("filed_at", "due_at", "updated_at", "closed_at"):
        item[name] = iso_utc(item[name])
    item["co_departments"] = list(item["co_departments"])
    return item
