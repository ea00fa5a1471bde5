"""One source row → the plain values of one historical case, or the reason it is refused.

Text goes into the case as the source holds it, character for character: a column is left
out of a text when it is blank, but nothing of it is trimmed (pages may show it trimmed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time

from complaints.application.routing import RoutingTable
from complaints.domain.credit_code import credit_code_problem
from complaints.domain.filer import Filer
from complaints.importing.mapping import OPEN, ImportMapping
from complaints.importing.sources import SourceRow

# The same limits as filing through the API (web/api/schemas/filing.py).
SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000


class RowRejectedError(ValueError):
    """This row cannot become a case; the message says why, in the operator's terms."""


@dataclass(frozen=True)
class HistoricalCase:
    row_number: int
    source_id: str
    digest: str
    filed_at: datetime
    assigned_at: datetime
    channel: str
    category: str
    category_rule: str  # the name of the rule that chose the category
    department: str | None  # None: the routing table's lead department for the category
    subject: str
    description: str
    place: str
    outcome: str | None  # None: the case stays open with its department
    reply_text: str
    reply_at: datetime
    # Whether the source gave these times; a time it did not give is the latest one it gave
    # before, and the stage it ends has no time limit to keep (imported history, untimed).
    assigned_at_recorded: bool
    reply_at_recorded: bool
    rating: int | None
    rating_at: datetime | None
    rating_comment: str
    filer: Filer
    anonymous: bool


def source_id_of(mapping: ImportMapping, row: SourceRow) -> str:
    return row.values[mapping.id_column].strip()


def read_case(
    mapping: ImportMapping, routing: RoutingTable, row: SourceRow, *, now: datetime
) -> HistoricalCase:
    """The case `row` describes; RowRejectedError when it cannot be one."""
    values = row.values
    if row.problem:
        raise RowRejectedError(row.problem)
    source_id = source_id_of(mapping, row)
    if not source_id:
        raise RowRejectedError(f"no source id: {mapping.id_column!r} is empty")
    dates = _Dates(mapping, row, now)
    filed_at = assigned_at = dates.read(mapping.filed_at)
    if mapping.assigned_at:
        assigned_at = dates.read(mapping.assigned_at, not_before=(mapping.filed_at, filed_at))
    outcome = _mapped(mapping.outcome.column, mapping.outcome.lookup(values), values, "outcome")
    reply_at = assigned_at
    if mapping.reply_at and outcome != OPEN:
        reply_at = dates.read(mapping.reply_at,
                              not_before=(mapping.assigned_at or mapping.filed_at, assigned_at))
    rating, rating_at = _rating(mapping, values, dates, outcome, reply_at)
    for column in mapping.required:
        if not values[column].strip():
            raise RowRejectedError(f"{column!r} is empty")
    category, rule = _category(mapping, values)
    return HistoricalCase(
        row_number=row.number,
        source_id=source_id,
        digest=row_digest(values),
        filed_at=filed_at,
        assigned_at=assigned_at,
        channel=_mapped(mapping.channel.column, mapping.channel.lookup(values), values, "channel"),
        category=category,
        category_rule=rule,
        department=_department(mapping, routing, values),
        subject=_text("subject", _joined(values, mapping.subject, mapping.subject_separator),
                      SUBJECT_MAX),
        description=_text("description", _description(mapping, values), DESCRIPTION_MAX),
        place=_joined(values, mapping.place, " "),
        outcome=None if outcome == OPEN else outcome,
        reply_text=_joined(values, mapping.reply_text, "\n"),
        reply_at=reply_at,
        assigned_at_recorded=mapping.assigned_at is not None,
        reply_at_recorded=mapping.reply_at is not None,
        rating=rating,
        rating_at=rating_at,
        rating_comment=values[mapping.rating_comment] if mapping.rating_comment else "",
        filer=_filer(mapping, values),
        anonymous=mapping.filer.anonymous,
    )


def _filer(mapping: ImportMapping, values: Mapping[str, str]) -> Filer:
    """The filer as the source names them, each detail as written; a blank cell is none."""
    given = {field: values[column] for field, column in mapping.filer.columns.items()
             if values[column].strip()}
    code = given.get("credit_code")
    if code and (problem := credit_code_problem(code)):
        raise RowRejectedError(f"credit code {code!r}: {problem}")
    return Filer(language=mapping.language, kind=mapping.filer.kind, **given)


def row_digest(values: Mapping[str, str]) -> str:
    """What the row said, so a source id imported before with other content is noticed."""
    encoded = json.dumps(dict(values), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class _Dates:
    def __init__(self, mapping: ImportMapping, row: SourceRow, now: datetime) -> None:
        self.mapping = mapping
        self.values = row.values
        self.typed = row.moments
        self.now = now

    def read(self, column: str, not_before: tuple[str, datetime] | None = None) -> datetime:
        text = self.values[column].strip()
        typed = self.typed.get(column)
        if not text:
            raise RowRejectedError(f"{column!r} is empty")
        dates = self.mapping.dates
        if isinstance(typed, time):
            raise RowRejectedError(f"{column!r} {text!r} is a time of day without a date")
        try:
            # A cell typed as a date is one already: no format has to read it.
            moment = dates.moment(typed) if typed is not None else dates.parse(text)
        except ValueError:
            if typed is not None:
                raise RowRejectedError(
                    f"{column!r} {text!r} is a date without a time of day, and the mapping "
                    "gives none (dates.time_of_day)"
                ) from None
            raise RowRejectedError(
                f"{column!r} {text!r} is not a date in the format {' or '.join(dates.formats)}"
            ) from None
        if moment > self.now:
            raise RowRejectedError(f"{column!r} {text!r} is in the future")
        if not_before is not None and moment < not_before[1]:
            earlier, _ = not_before
            raise RowRejectedError(
                f"{column!r} {text!r} is before {earlier!r} {self.values[earlier].strip()!r}"
            )
        return moment


def _mapped(column: str, found: str | None, values: Mapping[str, str], what: str) -> str:
    if found is None:
        raise RowRejectedError(
            f"{column!r} {values[column].strip()!r} is not one of the mapping's {what} values"
        )
    return found


def _category(mapping: ImportMapping, values: Mapping[str, str]) -> tuple[str, str]:
    texts = {"subject": "\n".join(values[column] for column in mapping.subject),
             "description": "\n".join(values[column] for _, column in mapping.description)}
    found = mapping.category.decide(values, texts)
    if found is None:
        named = ", ".join(f"{column}={values[column].strip()!r}"
                          for column in sorted(mapping.category.columns()))
        raise RowRejectedError(
            f"no category rule matches {named or 'the text'} and the mapping has no default"
        )
    return found


def _department(
    mapping: ImportMapping, routing: RoutingTable, values: Mapping[str, str]
) -> str | None:
    if not mapping.department_column:
        return None
    code = values[mapping.department_column].strip()
    if not code:
        return None
    if code not in routing.departments:
        raise RowRejectedError(f"{mapping.department_column!r} {code!r} is not a department code")
    return code


def _rating(
    mapping: ImportMapping, values: Mapping[str, str], dates: _Dates, outcome: str,
    reply_at: datetime,
) -> tuple[int | None, datetime | None]:
    text = values[mapping.rating].strip() if mapping.rating else ""
    if not text:
        return None, None
    if outcome == OPEN:
        raise RowRejectedError(f"{mapping.rating!r} rates a case that has no reply yet")
    if text not in {"1", "2", "3", "4", "5"}:
        raise RowRejectedError(f"{mapping.rating!r} {text!r} is not a whole number from 1 to 5")
    rated_at = reply_at
    if mapping.rating_at and values[mapping.rating_at].strip():
        reply_column = mapping.reply_at or mapping.assigned_at or mapping.filed_at
        rated_at = dates.read(mapping.rating_at, not_before=(reply_column, reply_at))
    return int(text), rated_at


def _joined(values: Mapping[str, str], columns: tuple[str, ...], separator: str) -> str:
    return separator.join(values[column] for column in columns if values[column].strip())


def _description(mapping: ImportMapping, values: Mapping[str, str]) -> str:
    return "\n".join(f"{label}: {values[column]}" if label else values[column]
                     for label, column in mapping.description if values[column].strip())


def _text(name: str, value: str, limit: int) -> str:
    if not value:
        raise RowRejectedError(f"the {name} would be empty: every column it is made of is empty")
    if len(value) > limit:
        raise RowRejectedError(f"the {name} has {len(value):,} characters; at most {limit:,}")
    return value
