"""The watchdog: records breached deadlines, escalates them, and warns the day before.

It asks the case index which clocks are near or past their due time, and lets each case
decide on its own events (`Complaints.watch_deadline`): the index only narrows the search,
the aggregate keeps the rule "once per stage". Any number of watchdogs may run; when two
reach the same case, the store's version check lets one of them write and the other finds
nothing left to do. After downtime the first sweep records every breach it missed, each
as of the moment its limit passed. The watchdog process, which sweeps again and again (every
30 seconds by default), is in `complaints.processes`.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from uuid import UUID

from complaints.application.case_application import VersionConflictError
from complaints.application.service import Complaints
from complaints.readmodels.case_index import CaseIndex

log = logging.getLogger(__name__)

# The last working day before a due day can be this far back (the Spring Festival week).
WARNING_HORIZON = timedelta(days=16)
CLOCKS_THAT_CAN_BREACH = ("running", "warned", "paused")
CLOCKS_TO_WARN = ("running",)


RECOMPUTE_REASON = "the official working-day schedule changed"


class Watchdog:
    def __init__(self, app: Complaints, index: CaseIndex) -> None:
        self.app = app
        self.index = index
        self._calendar_seen: int | None = None

    def sweep(self) -> Counter[str]:
        """One pass over every clock due soon or already; what was recorded, by kind.

        First, when the calendar changed (and once at start), every provisional due time
        is walked again, so a breach is never judged against a provisional date that an
        official schedule has moved.
        """
        done: Counter[str] = Counter()
        self.app.deadlines.reload_calendar()  # a schedule loaded meanwhile, if any
        if self._calendar_seen != self.app.deadlines.calendar_version:
            done["recomputed"] = recompute_provisional(self.app, self.index, RECOMPUTE_REASON)
            self._calendar_seen = self.app.deadlines.calendar_version
        now = self.app.clock()
        candidates = dict.fromkeys(
            [
                *self.index.deadlines_due(now, CLOCKS_THAT_CAN_BREACH),
                *self.index.deadlines_due(now + WARNING_HORIZON, CLOCKS_TO_WARN),
            ]
        )
        for case_id in candidates:
            outcome = self.app.watch_deadline(UUID(case_id))
            if outcome:
                done[outcome] += 1
        done = +done  # drop the zero counts
        if done:
            log.info("watchdog: %s", ", ".join(f"{n} {kind}" for kind, n in sorted(done.items())))
        return done


def recompute_provisional(app: Complaints, index: CaseIndex, reason: str) -> int:
    """Walk every provisional due time again; how many moved (or became official)."""
    moved = 0
    for case_id in list(index.provisional_deadlines()):
        for _attempt in range(3):
            try:
                moved += app.recompute_deadline(UUID(case_id), reason) is not None
                break
            except VersionConflictError:
                continue
    return moved
