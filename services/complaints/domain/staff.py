"""Staff accounts: who may sign in, in which role, for which department."""

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

    @event("PasswordChanged")
    def change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash


def staff_account_id(username: str) -> UUID:
    return uuid5(STAFF_NAMESPACE, username.lower())
