"""Every command a case takes, once: its name, the application method that gives it, who may
give it and how far their right reaches, and how to try it on a copy of the case.

The permission table (`permissions`) and what the pages offer (`affordances`) are read from
here; the web keeps only what is its own (a path, a schema, a form, labels) keyed by the name.

A trial runs the aggregate's public method with harmless arguments, chosen to pass every check
that is about the arguments themselves (a lead department that is no co-handler, an item to ask
for, an extension of one day), so only the case's state can refuse. The system's own commands
(the watchdog's, the receipts') have no trial: nobody is offered them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from complaints.domain.case import Case
from complaints.domain.deadline import DueTime
from complaints.domain.values import (
    ContactMethod,
    ErasureBasis,
    InvalidationClass,
    Outcome,
    Role,
    Stage,
    Stamp,
    Visibility,
)


class Reach(Enum):
    """How far a role's right reaches."""

    ANY_CASE = "any case"
    OWN_CASE = "the filer's own case"
    LEAD = "cases their department leads"
    INVOLVED = "cases their department leads or co-handles"


Trial = Callable[[Case, Stamp], None]


@dataclass(frozen=True)
class CaseCommand:
    name: str
    method: str  # the Complaints application's method that gives it
    rights: Mapping[Role, Reach]
    trial: Trial | None = None
    wording: str = ""  # what it does, when "<name> a case" does not say it

    @property
    def action(self) -> str:
        """What the command does to a case, in words: "accept a case"."""
        return self.wording or f"{self.name.replace('_', ' ')} a case"

    @property
    def roles(self) -> list[str]:
        return sorted(role.value for role in self.rights)


# A department code no routing table has, so a trial never names the case's own department.
_NOWHERE = "\x00trial"
_INTAKE_DESK = {Role.INTAKE: Reach.ANY_CASE, Role.SUPERVISOR: Reach.ANY_CASE}
_FILER_OR_INTAKE = {Role.FILER: Reach.OWN_CASE, Role.INTAKE: Reach.ANY_CASE}
_SUPERVISOR = {Role.SUPERVISOR: Reach.ANY_CASE}
_SYSTEM = {Role.SYSTEM: Reach.ANY_CASE}


def _extend(case: Case, stamp: Stamp) -> None:
    stage = case.deadline.stage if case.deadline else Stage.REPLY
    case.extend_deadline(stamp, stage, 1, "", DueTime(stamp.occurred_at, False, 1), most=1)


COMMANDS: tuple[CaseCommand, ...] = (
    CaseCommand("accept", "accept_case", _INTAKE_DESK,
                lambda case, stamp: case.accept(stamp, _NOWHERE, [])),
    CaseCommand("refer", "refer_case", _INTAKE_DESK,
                lambda case, stamp: case.refer(stamp, "", "")),
    CaseCommand("assign", "assign_case", _INTAKE_DESK,
                lambda case, stamp: case.assign(stamp, _NOWHERE, [])),
    CaseCommand("transfer", "transfer_case", {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.transfer(stamp, _NOWHERE, "")),
    CaseCommand("request_information", "request_information",
                {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.request_information(stamp, ["-"])),
    CaseCommand("supply_information", "supply_information", _FILER_OR_INTAKE,
                lambda case, stamp: case.supply_information(stamp, "", [])),
    CaseCommand("note_progress", "note_progress", {**_INTAKE_DESK, Role.HANDLER: Reach.INVOLVED},
                lambda case, stamp: case.note_progress(stamp, "", Visibility.INTERNAL)),
    CaseCommand("respond", "respond", {Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.respond(stamp, Outcome.RESOLVED, "", [])),
    CaseCommand("rate", "rate_case", _FILER_OR_INTAKE,
                lambda case, stamp: case.rate(stamp, 5, "", "web")),
    CaseCommand("invalidate_rating", "invalidate_rating", _SUPERVISOR,
                lambda case, stamp: case.invalidate_rating(stamp, InvalidationClass.INVALID, "")),
    CaseCommand("conclude_review", "conclude_review", _SUPERVISOR,
                lambda case, stamp: case.conclude_review(stamp, False, "")),
    CaseCommand("rectify", "record_rectification", {Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.rectify(stamp, ["-"])),
    CaseCommand("follow_up", "record_follow_up", {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.follow_up(stamp, ContactMethod.PHONE, True, "")),
    CaseCommand("reopen", "reopen_case", {Role.FILER: Reach.OWN_CASE, **_SUPERVISOR},
                lambda case, stamp: case.reopen(stamp, "")),
    CaseCommand("close", "close_case", {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.close(stamp)),
    CaseCommand("extend_deadline", "extend_deadline", _SUPERVISOR, _extend),
    CaseCommand("answer_at_first_contact", "answer_at_first_contact", _INTAKE_DESK,
                lambda case, stamp: case.answer_at_first_contact(stamp, "-", "-"),
                wording="answer a caller at first contact"),
    # Cases about one matter: the right must reach both cases (`links`).
    CaseCommand("link", "link_cases", {**_INTAKE_DESK, Role.HANDLER: Reach.INVOLVED},
                lambda case, stamp: case.link_related(stamp, _NOWHERE),
                wording="link cases as related"),
    CaseCommand("unlink", "unlink_cases", {**_INTAKE_DESK, Role.HANDLER: Reach.INVOLVED},
                lambda case, stamp: case.unlink_related(stamp, (case.related or [""])[0], ""),
                wording="undo a link between cases"),
    CaseCommand("mark_duplicate", "mark_duplicate", {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.mark_duplicate(stamp, _NOWHERE, ""),
                wording="mark a case a duplicate of another"),
    CaseCommand("undo_duplicate", "undo_duplicate", {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
                lambda case, stamp: case.undo_duplicate(stamp, ""),
                wording="undo a case's duplicate mark"),
    CaseCommand("erase_personal_data", "erase_personal_data", {**_SUPERVISOR, **_SYSTEM},
                lambda case, stamp: case.erase_personal_data(stamp, ErasureBasis.FILER_REQUEST),
                wording="erase a case's personal data"),
    # The watchdog's breaches, warnings and recomputed due times.
    CaseCommand("watch", "watch_deadline", _SYSTEM),
    CaseCommand("recompute_deadline", "recompute_deadline", _SYSTEM),
    # Receipts from the notify service, recorded by the complaints service's own process.
    CaseCommand("record_receipt", "record_receipt", _SYSTEM),
)  # fmt: skip

CATALOGUE: dict[str, CaseCommand] = {command.name: command for command in COMMANDS}
