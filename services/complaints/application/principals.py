"""Who is asking: a staff member with a role and department, or a filer holding one case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from complaints.domain.errors import DomainError
from complaints.domain.values import Role, Stamp


class AuthenticationError(DomainError):
    """The credentials are missing, wrong or expired."""

    code = "unauthenticated"


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"


@dataclass(frozen=True)
class Principal:
    actor_id: str
    role: Role
    department: str | None = None
    case_id: UUID | None = None
    # Staff: the account's generation when they signed in (see domain/staff.py); a token or a
    # session is honoured only while the account still has it. Not part of who they are.
    generation: int | None = field(default=None, compare=False)

    def stamp(self, occurred_at: datetime) -> Stamp:
        return Stamp(actor_id=self.actor_id, actor_role=self.role.value, occurred_at=occurred_at)


SYSTEM = Principal(actor_id="system", role=Role.SYSTEM)
