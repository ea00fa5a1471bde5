"""The clock of a case's current stage: when it is due, and what the watchdog has said of it.

A case has at most one running clock. The event that starts a stage (filing, assignment,
a transfer, reopening, an upheld re-check, a rectification) records the due time the
application computed on the working-day calendar; waiting for the filer pauses the clock
and supplying the information moves the due time on by the working days waited; one
extension per stage moves it again; loading an official schedule recomputes a provisional
one. Each of those is an event, so a case's history shows every reason its deadline moved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from complaints.domain.values import Stage


@dataclass(frozen=True)
class DueTime:
    """A due time as the application computed it for a stage.

    `working_days` is how many working days after the stage began it falls, counting
    extensions and days spent waiting for the filer, so the same count can be walked
    again on a newer calendar.
    """

    at: datetime
    provisional: bool
    working_days: int


@dataclass(frozen=True)
class Deadline:
    stage: Stage
    started_at: datetime
    due_at: datetime
    provisional: bool
    working_days: int
    extended: bool = False
    warned: bool = False
    breached: bool = False
    paused_since: datetime | None = None

    @classmethod
    def starting(cls, stage: Stage | str, started_at: datetime, due: DueTime) -> Deadline:
        return cls(Stage(stage), started_at, due.at, due.provisional, due.working_days)

    def moved(self, due: DueTime, **changes: object) -> Deadline:
        return replace(
            self, due_at=due.at, provisional=due.provisional, working_days=due.working_days,
            **changes,
        )

    @property
    def due(self) -> DueTime:
        return DueTime(self.due_at, self.provisional, self.working_days)

    @property
    def running(self) -> bool:
        return self.paused_since is None

    def passed_by(self, moment: datetime) -> bool:
        """Whether the limit had passed by `moment`; a paused clock stopped where it paused."""
        return (self.paused_since or moment) > self.due_at
