"""What a reader may do to a case now: the catalogue's rights, then the aggregate's own rules.

The pages offer a form only for a command that would be accepted. Whether the case's state
allows a command is decided by the aggregate's public method and nowhere else, so it is asked
rather than restated: the command's trial (see `catalogue`) runs on a copy of the case, and a
refusal (`CaseRuleError`, `CaseStateError`) means it is not on offer. The copy's new event
never leaves it: the copy is dropped and nothing is saved. A rule the domain gains later is
offered or withheld here without a change.
"""

from __future__ import annotations

import copy

from complaints.application.catalogue import COMMANDS, CaseCommand, Trial
from complaints.application.permissions import authorize
from complaints.application.principals import PermissionDeniedError, Principal
from complaints.domain.case import Case
from complaints.domain.errors import CaseRuleError, CaseStateError


def available_commands(principal: Principal, case: Case) -> list[str]:
    """The commands `principal` may give `case` in its present state, in the catalogue's order."""
    return [
        command.name
        for command in COMMANDS
        if command.trial is not None
        and _permitted(principal, command, case)
        and _fits(principal, command.trial, case)
    ]


def _permitted(principal: Principal, command: CaseCommand, case: Case) -> bool:
    try:
        authorize(principal, command.name, case)
    except PermissionDeniedError:
        return False
    return True


def _fits(principal: Principal, trial: Trial, case: Case) -> bool:
    copied = copy.deepcopy(case)
    # The case's own last moment: the trial needs no clock, and the answer depends on none.
    stamp = principal.stamp(case.modified_on)
    try:
        trial(copied, stamp)
    except (CaseRuleError, CaseStateError):
        return False
    return True
