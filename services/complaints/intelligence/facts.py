"""What each case a similarity model holds is now, slot by slot, as arrays: whether it is
open, its lead department and the departments co-handling it. A reader's reach is then one
mask over every case, not a look at each candidate in turn (a handler's department may hold
few of the cases most like a text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NO_DEPARTMENT = -1


@dataclass(frozen=True)
class Reach:
    """Which cases a reader may be shown."""

    department: str | None = None  # a handler's: only cases it leads or co-handles
    open_only: bool = False


class SlotFacts:
    def __init__(self, rows: Sequence[Any]) -> None:
        self.codes: dict[str, int] = {}
        self.open = np.array([row.status != "closed" for row in rows], dtype=bool)
        self.lead = np.array([self._code(row.lead_department) for row in rows],
                             dtype=np.int32)
        self.co: dict[str, set[int]] = {}
        for slot, row in enumerate(rows):
            for department in row.co_departments:
                self.co.setdefault(department, set()).add(slot)

    def extend(self, rows: Sequence[Any]) -> None:
        """Slots after the last, for cases taken in since."""
        first = len(self.open)
        self.open = np.append(self.open, [row.status != "closed" for row in rows])
        self.lead = np.append(self.lead, np.array(
            [self._code(row.lead_department) for row in rows], dtype=np.int32))
        for slot, row in enumerate(rows, start=first):
            for department in row.co_departments:
                self.co.setdefault(department, set()).add(slot)

    def update(self, slot: int, before: Any, row: Any) -> None:
        """A case's new status or departments, its text unchanged."""
        self.open[slot] = row.status != "closed"
        self.lead[slot] = self._code(row.lead_department)
        for department in before.co_departments:
            self.co.get(department, set()).discard(slot)
        for department in row.co_departments:
            self.co.setdefault(department, set()).add(slot)

    def mask(self, reach: Reach) -> np.ndarray:
        """True for each slot whose case `reach` allows."""
        allowed = self.open.copy() if reach.open_only else np.ones(len(self.open), dtype=bool)
        if reach.department is not None:
            ours = self.lead == self.codes.get(reach.department, NO_DEPARTMENT - 1)
            co = self.co.get(reach.department)
            if co:
                ours[np.fromiter(co, dtype=np.int64, count=len(co))] = True
            allowed &= ours
        return allowed

    def _code(self, department: str | None) -> int:
        if department is None:
            return NO_DEPARTMENT
        return self.codes.setdefault(department, len(self.codes))
