"""A listed case's time left, as the staff pages show it: as of the moment of reading."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaints.web.runtime import runtime


def time_left(row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """`row` with `working_days_left` and `overdue` as of now: of the moment of reading."""
    complaints = runtime().services.complaints
    return {**row, **complaints.deadlines.time_left(row, now or complaints.clock())}
