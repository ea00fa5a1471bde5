"""The queue's and the search's filters, written once as SQL that either store runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Nearest deadline first, cases without one last, then the longest waiting.
QUEUE_ORDER = "due_at IS NULL, due_at, filed_at, reference"
# Newest first.
SEARCH_ORDER = "filed_at DESC, reference DESC"


@dataclass(frozen=True)
class CaseFilter:
    department: str | None = None
    statuses: tuple[str, ...] = ()
    excluded_statuses: tuple[str, ...] = ()
    reference: str | None = None
    enterprise_key: str | None = None
    credit_code: str | None = None
    category: str | None = None
    filed_from: datetime | None = None
    filed_before: datetime | None = None
    text_terms: tuple[str, ...] = ()
    due_before: datetime | None = None
    deadline_states: tuple[str, ...] = ()
    due_provisional: bool | None = None
    # A reader who sees confidential filers masked must not find them by who they are.
    masked_identities: bool = False


@dataclass(frozen=True)
class Dialect:
    """Where SQLite and PostgreSQL differ; in each template `{p}` stands for the parameter."""

    param: Callable[[str], str]
    department: str
    enterprise_contains: str
    text: str
    text_query: Callable[[Sequence[str]], str]
    moment: Callable[[datetime], Any]


def where(case_filter: CaseFilter, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (or nothing) and its named parameters."""
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def add(template: str, name: str, value: Any) -> None:
        params[name] = value
        clauses.append(template.format(p=dialect.param(name)))

    def add_list(column: str, values: Sequence[str], negate: bool = False) -> None:
        names = [f"{column}_{'not_' if negate else ''}{index}" for index in range(len(values))]
        params.update(zip(names, values, strict=True))
        placeholders = ", ".join(dialect.param(name) for name in names)
        clauses.append(f"{column} {'NOT IN' if negate else 'IN'} ({placeholders})")

    f = case_filter
    if f.department:
        add(dialect.department, "department", f.department)
    if f.statuses:
        add_list("status", f.statuses)
    if f.excluded_statuses:
        add_list("status", f.excluded_statuses, negate=True)
    if f.reference:
        add("reference = {p}", "reference", f.reference)
    if f.enterprise_key:
        add(dialect.enterprise_contains, "enterprise", f.enterprise_key)
    if f.credit_code:
        add("credit_code = {p}", "credit_code", f.credit_code)
    if f.masked_identities and (f.enterprise_key or f.credit_code):
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
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def select_page(
    table: str,
    columns: Sequence[str],
    case_filter: CaseFilter,
    dialect: Dialect,
    order: str,
    page: tuple[int, int],
) -> tuple[str, str, dict[str, Any]]:
    """The statements for one page (limit, offset) of cases and for the count of all that match."""
    clause, params = where(case_filter, dialect)
    limit, offset = page
    params = {**params, "limit": limit, "offset": offset}
    select = (
        f"SELECT {', '.join(columns)} FROM {table}{clause} ORDER BY {order} "
        f"LIMIT {dialect.param('limit')} OFFSET {dialect.param('offset')}"
    )
    return select, f"SELECT COUNT(*) AS total FROM {table}{clause}", params
