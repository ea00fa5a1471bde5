"""Staff accounts: who may sign in, in which role, for which department, and since when.

The generation counts the changes that end every sign-in made before them: a new password,
disabling, deleting. A token or a session carries the generation it was issued under and is
honoured only while the account still has it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

STAFF_NAMESPACE = uuid5(NAMESPACE_URL, "https://huiyin.example/staff")


class StaffAccount(Aggregate):
    @staticmethod
    def create_id(username: str) -> UUID:
        return staff_account_id(username)

    @event("Registered")
    def __init__(self, username: str, role: str, department: str | None, password_hash: str):
        self.username = username
        self.role = role
        self.department = department
        self.password_hash = password_hash
        self.generation = 0
        self.disabled = False
        self.deleted = False

    @property
    def may_sign_in(self) -> bool:
        return not (self.disabled or self.deleted)

    @event("PasswordChanged")
    def change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.generation += 1

    @event("Disabled")
    def disable(self) -> None:
        self.disabled = True
        self.generation += 1

    @event("Enabled")
    def enable(self) -> None:
        self.disabled = False

    @event("Deleted")
    def delete(self) -> None:
        self.deleted = True
        self.generation += 1

    @event("Reregistered")
    def reregister(self, role: str, department: str | None, password_hash: str) -> None:
        """The name of a deleted account given to someone new: nothing of the old one holds."""
        self.role = role
        self.department = department
        self.password_hash = password_hash
        self.deleted = False
        self.disabled = False
        self.generation += 1


def staff_account_id(username: str) -> UUID:
    return uuid5(STAFF_NAMESPACE, username.lower())
