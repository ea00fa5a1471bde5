"""Who may do what to which case: the catalogue's rights, and who may read a case."""

from __future__ import annotations

from complaints.application.catalogue import CATALOGUE, Reach
from complaints.application.principals import PermissionDeniedError, Principal
from complaints.domain.case import Case
from complaints.domain.values import Role

READ: dict[Role, Reach] = {
    Role.FILER: Reach.OWN_CASE,
    Role.INTAKE: Reach.ANY_CASE,
    Role.HANDLER: Reach.INVOLVED,
    Role.SUPERVISOR: Reach.ANY_CASE,
    Role.AUDITOR: Reach.ANY_CASE,
    Role.SYSTEM: Reach.ANY_CASE,
}


def roles_for(command: str) -> list[str]:
    return CATALOGUE[command].roles


def authorize(principal: Principal, command: str, case: Case) -> None:
    reach = CATALOGUE[command].rights.get(principal.role)
    if reach is None:
        raise PermissionDeniedError(
            f"the {principal.role.value} role may not {CATALOGUE[command].action}",
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
