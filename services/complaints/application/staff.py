"""Staff accounts: registered by an operator, signed in with a password."""

from __future__ import annotations

import contextlib

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from complaints.application.principals import AuthenticationError, Principal
from complaints.application.routing import RoutingTable
from complaints.domain.errors import InvalidValueError
from complaints.domain.staff import StaffAccount, staff_account_id
from complaints.domain.values import STAFF_ROLES, Role


class AccountExistsError(InvalidValueError):
    code = "account_exists"


class StaffDirectory:
    def __init__(self, app: Application, routing: RoutingTable) -> None:
        self.app = app
        self.routing = routing

    def register(
        self, username: str, password: str, role: str, department: str | None = None
    ) -> StaffAccount:
        staff_role = Role(role)
        if staff_role not in STAFF_ROLES:
            raise InvalidValueError(f"{role} is not a staff role", field="role")
        if staff_role is Role.HANDLER:
            if not department:
                raise InvalidValueError("a handler belongs to a department", field="department")
            self.routing.require_departments(department)
        elif staff_role is Role.SUPERVISOR:
            department = self.routing.supervising_department
        else:
            department = None
        if len(password) < 4:
            raise InvalidValueError("a password has at least 4 characters", field="password")
        account = StaffAccount(
            username=username.lower(),
            role=staff_role.value,
            department=department,
            password_hash=generate_password_hash(password),
        )
        try:
            self.app.save(account)
        except IntegrityError:
            raise AccountExistsError(f"there is already an account {username!r}") from None
        return account

    def authenticate(self, username: str, password: str) -> Principal:
        try:
            account = self.app.repository.get(staff_account_id(username))
        except AggregateNotFoundError:
            # Hash anyway, so a wrong name takes as long as a wrong password.
            check_password_hash(_DUMMY_HASH, password)
            raise AuthenticationError("the username or the password is wrong") from None
        if not check_password_hash(account.password_hash, password):
            raise AuthenticationError("the username or the password is wrong")
        return Principal(
            actor_id=account.username, role=Role(account.role), department=account.department
        )

    def demo_accounts(self) -> list[tuple[str, str, str | None]]:
        accounts = [
            ("intake", "intake", None),
            ("supervisor", "supervisor", None),
            ("auditor", "auditor", None),
        ]
        accounts += [(f"handler-{code}", "handler", code) for code in self.routing.departments]
        return accounts

    def ensure_demo_accounts(self, password: str) -> list[tuple[str, str, str | None]]:
        """Create the demo accounts that do not exist yet, all with the installation's
        `password` (shared/installation.py: random, made on first run)."""
        for username, role, department in self.demo_accounts():
            try:
                self.app.repository.get(staff_account_id(username))
            except AggregateNotFoundError:
                # Another process may have created it a moment ago.
                with contextlib.suppress(AccountExistsError):
                    self.register(username, password, role, department)
        return self.demo_accounts()


_DUMMY_HASH = generate_password_hash("not-a-real-password")
