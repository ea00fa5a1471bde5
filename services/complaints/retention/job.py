"""The retention job: erases the personal data of closed cases kept past their category's period.

It asks the case index for closed cases whose personal data is kept and whose closing lies
before their category's cutoff, longest closed first, a page at a time from where the last
page ended (so a lagging index never shows it the same case twice in one pass), and lets
each case decide on its own events (`Complaints.expire_personal_data`): the index only
narrows the search. Any number of jobs may run at once; each case is erased once, by whichever
job reaches it first, with the basis `retention_expired`. The watchdog process runs it with
each sweep (`complaints.processes`); `huiyin personal-data retention` runs it once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from complaints.application.service import Complaints
from complaints.readmodels.case_index import CaseIndex
from complaints.retention.periods import RetentionPeriods

log = logging.getLogger(__name__)

PAGE = 500


class RetentionJob:
    def __init__(self, app: Complaints, index: CaseIndex, periods: RetentionPeriods) -> None:
        self.app = app
        self.index = index
        self.periods = periods

    def candidates(self, now: datetime) -> Iterator[dict]:
        """The index's rows of the cases whose retention ended before `now`, each once."""
        default, own = self.periods.cutoffs(now)
        after: tuple[datetime, str] | None = None
        while True:
            rows = self.index.closed_with_personal_data(default, own, after=after, limit=PAGE)
            yield from rows
            if len(rows) < PAGE:
                return
            last = rows[-1]
            after = (datetime.fromisoformat(last["closed_at"]), last["reference"])

    def due(self) -> list[str]:
        """The references of the cases a sweep would erase now, erasing nothing."""
        now = self.app.clock()
        due = []
        for row in self.candidates(now):
            case = self.app.load_case(UUID(row["case_id"]))
            if (case.personal_data_erased is None and case.closed_at is not None
                    and self.periods.expired(case.category, case.closed_at, now)):
                due.append(case.reference)
        return due

    def sweep(self) -> Counter[str]:
        """One pass: erased, and passed over (erased by another job meanwhile, or reopened)."""
        done: Counter[str] = Counter()
        for row in self.candidates(self.app.clock()):
            erased = self.app.expire_personal_data(UUID(row["case_id"]), self.periods)
            done["erased" if erased else "passed over"] += 1
        if done["erased"]:
            log.info("retention: %d case(s) erased (retention_expired), %d passed over",
                     done["erased"], done["passed over"])
        return +done
