"""The queue's and the search's filters, written once as SQL that either store runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from complaints.readmodels.case_index.search_text import Term

# Nearest deadline first, cases without one last, then the longest waiting (the order of
# PostgreSQL's index of each department's open cases, whose ascending order puts NULLs last).
QUEUE_ORDER = "due_at NULLS LAST, filed_at, reference"
# Newest first.
SEARCH_ORDER = "filed_at DESC, reference DESC"
# Longest closed first; (closed_at, reference) is also where the next page starts.
CLOSING_ORDER = "closed_at, reference"
# A page's count of all that match stops here: past it, the count says only "more". Counting
# every match of a common word among a million cases would cost more than finding the page.
COUNTED_UP_TO = 10_000


@dataclass(frozen=True)
class CaseFilter:
    department: str | None = None
    statuses: tuple[str, ...] = ()
    excluded_statuses: tuple[str, ...] = ()
    reference: str | None = None
    enterprise_key: str | None = None
    # Keyed hashes of the filer's details (`blind_index`), matched exactly.
    credit_code_hash: str | None = None
    phone_hash: str | None = None
    email_hash: str | None = None
    external_user_hash: str | None = None
    category: str | None = None
    filed_from: datetime | None = None
    filed_before: datetime | None = None
    text_terms: tuple[Term, ...] = ()
    due_before: datetime | None = None
    deadline_states: tuple[str, ...] = ()
    due_provisional: bool | None = None
    # A reader who sees confidential filers masked must not find them by who they are.
    masked_identities: bool = False
    # Closed before a moment: `closed_before` for every category but those given their own
    # moment in `closed_before_by_category` (retention periods differ by category).
    closed_before: datetime | None = None
    closed_before_by_category: tuple[tuple[str, datetime], ...] = ()
    personal_data_kept: bool = False  # only cases whose personal data is not erased
    # Only cases after this (closed_at, reference) in CLOSING_ORDER: the next page.
    closed_after: tuple[datetime, str] | None = None


@dataclass(frozen=True)
class Dialect:
    """Where SQLite and PostgreSQL differ; in each template `{p}` stands for the parameter."""

    param: Callable[[str], str]
    department: str
    enterprise_contains: str
    text: str
    text_query: Callable[[Sequence[Term]], str]
    moment: Callable[[datetime], Any]
    # The department clause as two that no case meets both of (leads; co-handles without
    # leading), each of which an ordered index serves: a page of a department's cases is
    # then the first rows of each, merged, not every one of its cases sorted.
    department_parts: tuple[str, str] | None = None


def where(
    case_filter: CaseFilter, dialect: Dialect, *, department: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (or nothing) and its named parameters; `department` is the template
    of the department's clause, when not the dialect's."""
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def add(template: str, name: str, value: Any) -> None:
        params[name] = value
        clauses.append(template.format(p=dialect.param(name)))

    def add_list(column: str, values: Sequence[str]) -> None:
        names = [f"{column}_{index}" for index in range(len(values))]
        params.update(zip(names, values, strict=True))
        placeholders = ", ".join(dialect.param(name) for name in names)
        clauses.append(f"{column} IN ({placeholders})")

    f = case_filter
    if f.department:
        add(department or dialect.department, "department", f.department)
    if f.statuses:
        add_list("status", f.statuses)
    if f.excluded_statuses:
        # Written out, not bound: the statuses are the code's own words, and a partial index
        # of the open cases (`status <> 'closed'`) is used only when the planner sees them.
        if not all(status.isidentifier() for status in f.excluded_statuses):
            raise ValueError(f"not a status: {f.excluded_statuses!r}")
        clauses.append("status NOT IN ("
                       + ", ".join(f"'{status}'" for status in f.excluded_statuses) + ")")
    if f.reference:
        add("reference = {p}", "reference", f.reference)
    if f.enterprise_key:
        add(dialect.enterprise_contains, "enterprise", f.enterprise_key)
    hashes = {"credit_code_hash": f.credit_code_hash, "phone_hash": f.phone_hash,
              "email_hash": f.email_hash, "external_user_hash": f.external_user_hash}
    for column, value in hashes.items():
        if value is not None:
            add(f"{column} = {{p}}", column, value)
    if f.masked_identities and (f.enterprise_key or any(v is not None for v in hashes.values())):
        clauses.append("NOT (confidential OR anonymous)")
    if f.category:
        add("category = {p}", "category", f.category)
    if f.filed_from:
        add("filed_at >= {p}", "filed_from", dialect.moment(f.filed_from))
    if f.filed_before:
        add("filed_at < {p}", "filed_before", dialect.moment(f.filed_before))
    if f.text_terms:
        add(dialect.text, "text", dialect.text_query(f.text_terms))
    if f.due_before:
        add("due_at < {p}", "due_before", dialect.moment(f.due_before))
    if f.deadline_states:
        add_list("deadline_state", f.deadline_states)
    if f.due_provisional is not None:
        clauses.append("due_provisional" if f.due_provisional else "NOT due_provisional")
    if f.personal_data_kept:
        clauses.append("NOT personal_data_erased")  # as the retention index says it
    if f.closed_before:
        _closed_before(f.closed_before, f.closed_before_by_category, dialect, clauses, params)
    if f.closed_after:
        moment, reference = f.closed_after
        params.update(after_closing=dialect.moment(moment), after_reference=reference)
        at, ref = dialect.param("after_closing"), dialect.param("after_reference")
        clauses.append(f"(closed_at > {at} OR (closed_at = {at} AND reference > {ref}))")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _closed_before(
    closed_before: datetime,
    by_category: Sequence[tuple[str, datetime]],
    dialect: Dialect,
    clauses: list[str],
    params: dict[str, Any],
) -> None:
    """Closed before the category's own moment, or before `closed_before` for the others."""
    latest = max([closed_before, *(moment for _category, moment in by_category)])
    params["closed_before_any"] = dialect.moment(latest)
    clauses.append(f"closed_at < {dialect.param('closed_before_any')}")  # for the index
    params["closed_before"] = dialect.moment(closed_before)
    alternatives, names = [], []
    for index, (category, moment) in enumerate(by_category):
        params[f"own_category_{index}"] = category
        params[f"own_closed_before_{index}"] = dialect.moment(moment)
        names.append(dialect.param(f"own_category_{index}"))
        alternatives.append(f"(category = {names[-1]} AND closed_at < "
                            f"{dialect.param(f'own_closed_before_{index}')})")
    others = f"category NOT IN ({', '.join(names)}) AND " if names else ""
    alternatives.append(f"({others}closed_at < {dialect.param('closed_before')})")
    clauses.append("(" + " OR ".join(alternatives) + ")")


def select_page(
    table: str,
    columns: Sequence[str],
    case_filter: CaseFilter,
    dialect: Dialect,
    order: str,
    page: tuple[int, int],
) -> tuple[str, str, dict[str, Any]]:
    """The statements for one page (limit, offset) of cases and for the count of all that
    match, up to one more than COUNTED_UP_TO. `order` names only `columns`."""
    limit, offset = page
    paging = {"limit": limit, "offset": offset}
    if case_filter.department and dialect.department_parts:
        return _department_page(table, columns, case_filter, dialect, order, paging)
    clause, params = where(case_filter, dialect)
    select = (
        f"SELECT {', '.join(columns)} FROM {table}{clause} ORDER BY {order} "
        f"LIMIT {dialect.param('limit')} OFFSET {dialect.param('offset')}"
    )
    count = (f"SELECT COUNT(*) AS total FROM (SELECT 1 FROM {table}{clause} "
             f"LIMIT {COUNTED_UP_TO + 1}) AS matching")
    return select, count, {**params, **paging}


def select_rows(
    table: str, columns: Sequence[str], case_filter: CaseFilter, dialect: Dialect
) -> tuple[str, dict[str, Any]]:
    """Every matching case's `columns`, oldest filing first: for a read that needs them all
    (a period's hot issues), not for a page."""
    clause, params = where(case_filter, dialect)
    return f"SELECT {', '.join(columns)} FROM {table}{clause} ORDER BY filed_at", params


def _department_page(
    table: str,
    columns: Sequence[str],
    case_filter: CaseFilter,
    dialect: Dialect,
    order: str,
    paging: dict[str, int],
) -> tuple[str, str, dict[str, Any]]:
    """A page of a department's cases as the first `limit + offset` rows of each part of the
    department (`Dialect.department_parts`) merged, and their count likewise."""
    assert dialect.department_parts is not None
    params: dict[str, Any] = {**paging, "first": paging["limit"] + paging["offset"]}
    clauses = []
    for part in dialect.department_parts:
        clause, part_params = where(case_filter, dialect, department=part)
        clauses.append(clause)
        params.update(part_params)  # the same names and values in both parts
    listed = ", ".join(columns)
    first, most = dialect.param("first"), COUNTED_UP_TO + 1
    pages = " UNION ALL ".join(
        f"(SELECT {listed} FROM {table}{clause} ORDER BY {order} LIMIT {first})"
        for clause in clauses)
    select = (f"SELECT {listed} FROM ({pages}) AS page ORDER BY {order} "
              f"LIMIT {dialect.param('limit')} OFFSET {dialect.param('offset')}")
    matching = " UNION ALL ".join(
        f"(SELECT 1 FROM {table}{clause} LIMIT {most})" for clause in clauses)
    count = (f"SELECT COUNT(*) AS total FROM (SELECT 1 FROM ({matching}) AS parts "
             f"LIMIT {most}) AS matching")
    return select, count, params


def counted(found: int) -> tuple[int, bool]:
    """A page's count as the count statement found it: the number to show, and whether it is
    all of them (False: more than that match)."""
    return min(found, COUNTED_UP_TO), found <= COUNTED_UP_TO


def status_counts(table: str, case_filter: CaseFilter, dialect: Dialect) -> tuple[str, dict]:
    """The statement counting the matching cases in each status, exactly."""
    clause, params = where(case_filter, dialect)
    return f"SELECT status, COUNT(*) AS n FROM {table}{clause} GROUP BY status", params
