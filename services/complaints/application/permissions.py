"""Who may do what to which case: one table, read by every command and query."""

from __future__ import annotations

from enum import Enum

from complaints.application.principals import PermissionDeniedError, Principal
from complaints.domain.case import Case
from complaints.domain.values import Role


class Reach(Enum):
    """How far a role's right reaches."""

    ANY_CASE = "any case"
    OWN_CASE = "the filer's own case"
    LEAD = "cases their department leads"
    INVOLVED = "cases their department leads or co-handles"


_INTAKE_DESK = {Role.INTAKE: Reach.ANY_CASE, Role.SUPERVISOR: Reach.ANY_CASE}

COMMANDS: dict[str, dict[Role, Reach]] = {
    "accept": _INTAKE_DESK,
    "refer": _INTAKE_DESK,
    "assign": _INTAKE_DESK,
    "transfer": {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
    "request_information": {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
    "supply_information": {Role.FILER: Reach.OWN_CASE, Role.INTAKE: Reach.ANY_CASE},
    "note_progress": {**_INTAKE_DESK, Role.HANDLER: Reach.INVOLVED},
    "respond": {Role.HANDLER: Reach.LEAD},
    "rate": {Role.FILER: Reach.OWN_CASE, Role.INTAKE: Reach.ANY_CASE},
    "invalidate_rating": {Role.SUPERVISOR: Reach.ANY_CASE},
    "conclude_review": {Role.SUPERVISOR: Reach.ANY_CASE},
    "rectify": {Role.HANDLER: Reach.LEAD},
    "follow_up": {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
    "reopen": {Role.FILER: Reach.OWN_CASE, Role.SUPERVISOR: Reach.ANY_CASE},
    "close": {**_INTAKE_DESK, Role.HANDLER: Reach.LEAD},
    "extend_deadline": {Role.SUPERVISOR: Reach.ANY_CASE},
    # The watchdog's breaches, warnings and recomputed due times.
    "watch": {Role.SYSTEM: Reach.ANY_CASE},
    "recompute_deadline": {Role.SYSTEM: Reach.ANY_CASE},
    # Receipts from the notify service, recorded by the complaints service's own process.
    "record_receipt": {Role.SYSTEM: Reach.ANY_CASE},
}

READ: dict[Role, Reach] = {
    Role.FILER: Reach.OWN_CASE,
    Role.INTAKE: Reach.ANY_CASE,
    Role.HANDLER: Reach.INVOLVED,
    Role.SUPERVISOR: Reach.ANY_CASE,
    Role.AUDITOR: Reach.ANY_CASE,
    Role.SYSTEM: Reach.ANY_CASE,
}


def roles_for(command: str) -> list[str]:
    return sorted(role.value for role in COMMANDS[command])


def authorize(principal: Principal, command: str, case: Case) -> None:
    reach = COMMANDS[command].get(principal.role)
    if reach is None:
        raise PermissionDeniedError(
            f"the {principal.role.value} role may not {command.replace('_', ' ')} a case",
            allowed_roles=roles_for(command),
        )
    _require_reach(principal, reach, case)


def authorize_read(principal: Principal, case: Case) -> None:
    _require_reach(principal, READ[principal.role], case)


def reaches(principal: Principal, case: Case) -> bool:
    try:
        authorize_read(principal, case)
    except PermissionDeniedError:
        return False
    return True


def _require_reach(principal: Principal, reach: Reach, case: Case) -> None:
    if reach is Reach.ANY_CASE:
        return
    if reach is Reach.OWN_CASE and principal.case_id == case.id:
        return
    departments = {case.lead_department} if reach is Reach.LEAD else _involved(case)
    if reach in (Reach.LEAD, Reach.INVOLVED) and principal.department in departments:
        return
    raise PermissionDeniedError(
        f"the {principal.role.value} role may act only on {reach.value}", reach=reach.name.lower()
    )


def _involved(case: Case) -> set[str | None]:
    return {case.lead_department, *case.co_departments}
