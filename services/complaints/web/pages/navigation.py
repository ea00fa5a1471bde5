"""What the header offers each reader: the public pages, or the pages of a staff member's role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from complaints.application.principals import Principal
from complaints.domain.values import Role


@dataclass(frozen=True)
class Destination:
    path: str
    label: LazyString  # translated each time it is shown, in the reader's language
    description: LazyString | str
    roles: frozenset[Role]


PUBLIC = (
    Destination("/file", _l("File a complaint"), "", frozenset()),
    Destination("/track", _l("Track a case"), "", frozenset()),
)

# The staff pages; a supervisor sees everything (DESIGN §1).
STAFF = (
    Destination(
        "/staff/intake",
        _l("Intake desk"),
        _l("Accept, refer and dispatch new complaints; file one for a caller."),
        frozenset({Role.INTAKE, Role.SUPERVISOR}),
    ),
    Destination(
        "/staff/knowledge",
        _l("Knowledge base"),
        _l("Answers given again and again, to answer callers on the spot."),
        frozenset({Role.INTAKE, Role.HANDLER, Role.SUPERVISOR}),
    ),
    Destination(
        "/staff/queue",
        _l("Queue"),
        _l("The cases your department handles, nearest deadline first."),
        frozenset({Role.HANDLER, Role.INTAKE, Role.SUPERVISOR}),
    ),
    Destination(
        "/staff/dashboard",
        _l("Dashboard"),
        _l("Deadlines, escalations, reviews and department scorecards."),
        frozenset({Role.SUPERVISOR, Role.AUDITOR}),
    ),
    Destination(
        "/staff/audit",
        _l("Audit"),
        _l("Replay any case as it stood at any moment and check its chain of records."),
        frozenset({Role.AUDITOR, Role.SUPERVISOR}),
    ),
)


def destinations_for(principal: Principal | None) -> tuple[Destination, ...]:
    if principal is None or principal.role is Role.FILER:
        return PUBLIC
    return tuple(place for place in STAFF if principal.role in place.roles)


def is_current(destination: Destination) -> bool:
    return request.path == destination.path or request.path.startswith(destination.path + "/")
