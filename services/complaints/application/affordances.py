"""What a reader may do to a case now: the permission table, then the aggregate's own rules.

The pages offer a form only for a command that would be accepted. Whether the case's state
allows a command is decided by the aggregate's public method and nowhere else, so it is asked
rather than restated: the command is tried on a copy of the case, with harmless arguments,
and a refusal (`CaseRuleError`, `CaseStateError`) means it is not on offer. The copy's new
event never leaves it: the copy is dropped and nothing is saved. A rule the domain gains
later is offered or withheld here without a change.

The trial arguments are chosen to pass every check that is about the arguments themselves
(a lead department that is no co-handler, an item to ask for, an extension of one day), so
only the case's state can refuse.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from complaints.application.permissions import COMMANDS, authorize
from complaints.application.principals import PermissionDeniedError, Principal
from complaints.domain.case import Case
from complaints.domain.deadline import DueTime
from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.values import (
    ContactMethod,
    InvalidationClass,
    Outcome,
    Stage,
    Stamp,
    Visibility,
)

# A department code no routing table has, so a trial never names the case's own department.
_NOWHERE = "\x00trial"


def _extend(case: Case, stamp: Stamp) -> None:
    stage = case.deadline.stage if case.deadline else Stage.REPLY
    case.extend_deadline(stamp, stage, 1, "", DueTime(stamp.occurred_at, False, 1), most=1)


# Each command a person can give, as a trial on the aggregate (the system's own are left out).
TRIALS: dict[str, Callable[[Case, Stamp], None]] = {
    "accept": lambda case, stamp: case.accept(stamp, _NOWHERE, []),
    "refer": lambda case, stamp: case.refer(stamp, "", ""),
    "assign": lambda case, stamp: case.assign(stamp, _NOWHERE, []),
    "transfer": lambda case, stamp: case.transfer(stamp, _NOWHERE, ""),
    "request_information": lambda case, stamp: case.request_information(stamp, ["-"]),
    "supply_information": lambda case, stamp: case.supply_information(stamp, "", []),
    "note_progress": lambda case, stamp: case.note_progress(stamp, "", Visibility.INTERNAL),
    "respond": lambda case, stamp: case.respond(stamp, Outcome.RESOLVED, "", []),
    "rate": lambda case, stamp: case.rate(stamp, 5, "", "web"),
    "invalidate_rating": lambda case, stamp: case.invalidate_rating(
        stamp, InvalidationClass.INVALID, ""
    ),
    "conclude_review": lambda case, stamp: case.conclude_review(stamp, False, ""),
    "rectify": lambda case, stamp: case.rectify(stamp, ["-"]),
    "follow_up": lambda case, stamp: case.follow_up(stamp, ContactMethod.PHONE, True, ""),
    "reopen": lambda case, stamp: case.reopen(stamp, ""),
    "close": lambda case, stamp: case.close(stamp),
    "extend_deadline": _extend,
}


def available_commands(principal: Principal, case: Case) -> list[str]:
    """The commands `principal` may give `case` in its present state, in the table's order."""
    return [
        command
        for command in COMMANDS
        if command in TRIALS
        and _permitted(principal, command, case)
        and _fits(principal, command, case)
    ]


def _permitted(principal: Principal, command: str, case: Case) -> bool:
    try:
        authorize(principal, command, case)
    except PermissionDeniedError:
        return False
    return True


def _fits(principal: Principal, command: str, case: Case) -> bool:
    trial = copy.deepcopy(case)
    # The case's own last moment: the trial needs no clock, and the answer depends on none.
    stamp = principal.stamp(case.modified_on)
    try:
        TRIALS[command](trial, stamp)
    except (CaseRuleError, CaseStateError):
        return False
    return True
