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
from typing import Any

from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Stage, Stamp


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

    @classmethod
    def recorded(
        cls, at: datetime | None, provisional: bool, working_days: int | None
    ) -> DueTime | None:
        """The due time as an event records it (three fields; `at` None: no clock)."""
        return None if at is None else cls(at, provisional, working_days or 0)


def due_fields(due: DueTime | None) -> dict[str, Any]:
    """A due time as the fields of the event that records it."""
    if due is None:
        return {"due_at": None, "due_provisional": False, "due_working_days": None}
    return {"due_at": due.at, "due_provisional": due.provisional,
            "due_working_days": due.working_days}


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


# Why a case went to the supervisor: a code, put into words by whoever tells people.
DEADLINE_BREACHED = "deadline_breached"


class ClockRules:
    """`Case`'s rules of the clock; the facts are recorded by `Case`'s `@event` methods."""

    @property
    def due_at(self) -> datetime | None:
        return self.deadline.due_at if self.deadline else None

    @property
    def deadline_department(self) -> str | None:
        """Who answers for the running stage: the lead department, or intake (None)."""
        if self.deadline is None or self.deadline.stage is Stage.ACCEPT:
            return None
        return self.lead_department

    def extend_deadline(
        self, stamp: Stamp, stage: Stage, working_days: int, reason: str, due: DueTime,
        most: int,
    ) -> None:
        """The supervisor moves a stage's due time on, once per stage, by at most `most` days."""
        deadline = self.running_deadline(stage)
        if deadline.extended:
            raise CaseRuleError(
                "one_extension_per_stage", f"the {stage} stage was extended already", stage=stage
            )
        if not 1 <= working_days <= most:
            raise CaseRuleError(
                "extension_too_long",
                f"an extension is 1 to {most} working days, not {working_days}",
                most=most,
            )
        self._deadline_extended(
            stamp=stamp, stage=stage, working_days=working_days, reason=reason,
            due_at=due.at, due_provisional=due.provisional, due_working_days=due.working_days,
        )

    def warn_deadline(self, stamp: Stamp) -> None:
        """One working day before the due time, the department is warned, once per stage."""
        deadline = self.running_deadline()
        if deadline.warned or deadline.breached:
            raise CaseRuleError("deadline_warned", "this stage was warned of already")
        self._deadline_approaching(
            stamp=stamp, stage=deadline.stage, due_at=deadline.due_at,
            department=self.deadline_department,
        )

    def breach_deadline(self, stamp: Stamp) -> None:
        """The limit passed: recorded once per stage, and escalated to the supervisor."""
        deadline = self.deadline
        if deadline is None:
            raise CaseRuleError("no_running_deadline", "no stage of this case runs against a limit")
        if deadline.breached:
            raise CaseRuleError("deadline_breached", "this stage's breach was recorded already")
        if not deadline.passed_by(stamp.occurred_at):
            raise CaseRuleError(
                "deadline_not_passed", f"the {deadline.stage} stage is due at {deadline.due_at}"
            )
        department = self.deadline_department
        self._deadline_breached(
            stamp=stamp, stage=deadline.stage, due_at=deadline.due_at, department=department
        )
        self._escalated(
            stamp=stamp, stage=deadline.stage, department=department, reason=DEADLINE_BREACHED
        )

    def recompute_deadline(self, stamp: Stamp, due: DueTime, reason: str) -> None:
        """A provisional due time walked again on a newer calendar (an official schedule)."""
        deadline = self.deadline
        if deadline is None or not deadline.provisional:
            raise CaseRuleError(
                "deadline_not_provisional", "only a provisional due time is recomputed"
            )
        self._deadline_recomputed(
            stamp=stamp, stage=deadline.stage, due_at=due.at, due_provisional=due.provisional,
            due_working_days=due.working_days, previous_due_at=deadline.due_at, reason=reason,
        )

    def running_deadline(self, stage: Stage | None = None) -> Deadline:
        deadline = self.deadline
        if deadline is None:
            raise CaseRuleError("no_running_deadline", "no stage of this case runs against a limit")
        if stage is not None and deadline.stage != stage:
            raise CaseRuleError(
                "deadline_stage_mismatch",
                f"the running stage is {deadline.stage}, not {stage}",
                stage=deadline.stage,
            )
        return deadline
