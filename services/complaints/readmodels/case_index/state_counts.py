"""How many cases are in each state, by filing day and department, kept beside the case rows.

The dashboard counts a period's cases by the state each is in now. Counted from the rows,
that reads every case of the period (a year of a province's history is hundreds of thousands);
counted from these sums, it reads a few rows a day whatever the size of history.

A case counts once in its filing day's (city time) row for its state under every department
it belongs to (its lead and its co-handlers, as the department filter matches them) and once
under `ALL`. When the projection writes a batch it reads the rows being replaced and moves
each case's counts from its old key to its new one, in the transaction that writes the rows
(an older version never replaces a newer one, and then nothing moves), so the sums are exact
at every position the index reaches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime

from shared.locale import CITY_TIME, CITY_TIMEZONE

TABLE = "case_index_states"
ALL = ""  # the department key of every case


@dataclass(frozen=True)
class Placed:
    """What a case row says about where the case counts: enough to move its counts."""

    version: int
    filed_at: datetime
    status: str
    lead_department: str | None
    co_departments: tuple[str, ...]

    def counted_under(self) -> set[tuple[date, str, str]]:
        day = self.filed_at.astimezone(CITY_TIME).date()
        departments = {ALL, *self.co_departments}
        if self.lead_department:
            departments.add(self.lead_department)
        return {(day, department, self.status) for department in departments}


# The columns of a case row that a placement is read from.
PLACEMENT = tuple(field.name for field in fields(Placed))


def moves(before: Mapping[str, Placed], after: Iterable[tuple[str, Placed]]) -> dict[
        tuple[date, str, str], int]:
    """What writing the rows `after` (case id, placement) over `before` does to the sums:
    every key whose count changes, and by how much."""
    delta: dict[tuple[date, str, str], int] = {}
    for case_id, new in after:
        old = before.get(case_id)
        if old is not None and old.version >= new.version:
            continue  # the upsert keeps the newer row
        for key in new.counted_under():
            delta[key] = delta.get(key, 0) + 1
        for key in old.counted_under() if old is not None else ():
            delta[key] = delta.get(key, 0) - 1
    return {key: n for key, n in delta.items() if n}


class StateSQL:
    """The statements both stores run on the sums, in their own dialect.

    `day_type` is the column type of a day; `filing_day` the expression of a case row's
    filing day in the city (the row named `c`); `co_handlers` a FROM item naming each of its
    co-handling departments as `j.value`; `mark(name)` writes a named parameter; `rows` is
    where the added rows come from (by default one row of parameters per execution).
    """

    def __init__(self, *, index: str, table: str, day_type: str, filing_day: str,
                 co_handlers: str, mark, rows: str | None = None) -> None:
        key = "day, department, status"
        self.create = (f"CREATE TABLE IF NOT EXISTS {table} (day {day_type} NOT NULL, "
                       f"department text NOT NULL, status text NOT NULL, "
                       f"n integer NOT NULL, PRIMARY KEY ({key}))")
        # An index made before this table existed is summed from its rows when the table is
        # created; a table that holds any row was filled already (every case counts in ALL).
        self.fill = (
            f"INSERT INTO {table} ({key}, n) SELECT {key}, COUNT(*) FROM ("
            f"SELECT {filing_day} AS day, '' AS department, c.status FROM {index} AS c "
            f"UNION ALL SELECT {filing_day}, c.lead_department, c.status FROM {index} AS c "
            "WHERE c.lead_department IS NOT NULL "
            f"UNION ALL SELECT {filing_day}, j.value, c.status FROM {index} AS c, {co_handlers} "
            "WHERE j.value IS DISTINCT FROM c.lead_department"
            f") AS placed WHERE NOT EXISTS (SELECT 1 FROM {table}) GROUP BY {key} "
            f"ON CONFLICT ({key}) DO NOTHING"
        )
        source = rows or f"VALUES ({mark('day')}, {mark('department')}, {mark('status')}, " \
            f"{mark('n')})"
        self.add = (f"INSERT INTO {table} AS t ({key}, n) {source} "
                    f"ON CONFLICT ({key}) DO UPDATE SET n = t.n + excluded.n")
        self.sums = (f"SELECT status, SUM(n) AS n FROM {table} WHERE department = "
                     f"{mark('department')} AND day >= {mark('first')} AND day < {mark('end')} "
                     "GROUP BY status")
        self.sums_of_all_days = (f"SELECT status, SUM(n) AS n FROM {table} WHERE department = "
                                 f"{mark('department')} GROUP BY status")


def city_offset() -> str:
    """The city's offset from UTC as a SQLite date modifier ('+8 hours'): SQLite has no time
    zones, and the city keeps one offset all year (China has had no daylight saving since
    1991), which this checks rather than assumes."""
    offsets = {datetime(2000, month, 1, tzinfo=CITY_TIME).utcoffset() for month in (1, 7)}
    hours, rest = divmod(int(offsets.pop().total_seconds()), 3600)  # type: ignore[union-attr]
    if offsets or rest:
        raise ValueError(f"{CITY_TIMEZONE} does not keep one whole-hour offset from UTC")
    return f"{hours:+d} hours"
