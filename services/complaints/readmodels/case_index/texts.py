"""The case index's rows with their text, in the order they last changed: what case
intelligence reads to learn the cases and to take in those filed or changed since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# What a text row holds: the filer's words and what a reader of a similar case may see.
TEXT_FIELDS = (
    "case_id", "reference", "status", "category", "subject", "description",
    "filer_language", "lead_department", "co_departments", "filed_at", "updated_at", "version",
    "personal_data_erased",
)
# Where a reading starts when nothing was read yet: before every case.
FIRST_KEY = (datetime(1970, 1, 1, tzinfo=UTC), "00000000-0000-0000-0000-000000000000")


@dataclass(frozen=True)
class TextPage:
    rows: list[dict]
    # The (updated_at, case_id) of the last row: the next page starts after it.
    last_key: tuple[datetime, str] | None


def select_after(table: str, mark: str) -> str:
    """Rows changed after a (updated_at, case_id) key, in that order; `mark` makes a
    placeholder of a name in the store's style."""
    return (
        f"SELECT {', '.join(TEXT_FIELDS)} FROM {table} "
        f"WHERE (updated_at, case_id) > ({mark.format('at')}, {mark.format('case_id')}) "
        f"ORDER BY updated_at, case_id LIMIT {mark.format('limit')}"
    )
