"""A case's time left, as the staff pages show it: as of the moment of reading."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaints.web.runtime import runtime


def time_left(row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """`row` with `working_days_left` and `overdue` as of now: of the moment of reading."""
    complaints = runtime().services.complaints
    return {**row, **complaints.deadlines.time_left(row, now or complaints.clock())}


def deadline_shown(deadline: dict[str, Any] | None) -> dict[str, Any] | None:
    """The running stage's deadline of a case view, with its state and the time left."""
    if deadline is None:
        return None
    state = ("breached" if deadline["breached"] else "paused" if deadline["paused"]
             else "warned" if deadline["warned"] else "running")
    row = {"due_at": deadline["due_at"], "deadline_state": state,
           "due_provisional": deadline["provisional"]}
    return {**deadline, **time_left(row)}
