"""Names of the service's things in the reader's language: roles, departments, categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from complaints.domain.values import Role
from complaints.web.pages.languages import current_language
from complaints.web.runtime import runtime

ROLE_NAMES = {
    Role.FILER: _l("Filer"),
    Role.INTAKE: _l("Intake staff"),
    Role.HANDLER: _l("Department handler"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AUDITOR: _l("Auditor"),
}


def role_name(role: Role | str) -> str:
    return str(ROLE_NAMES.get(Role(role), role))


def department_name(code: str | None) -> str:
    """The department's name from the routing table (data, in zh, en and ru); its code if new."""
    if not code:
        return ""
    labels = runtime().services.routing.departments.get(code, {})
    return labels.get(current_language()) or labels.get("zh") or code


def category_name(code: str | None) -> str:
    if not code:
        return ""
    entry = runtime().services.routing.categories.get(code, {})
    labels = entry.get("labels", {})
    return labels.get(current_language()) or labels.get("zh") or code
