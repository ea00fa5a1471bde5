"""Staff accounts: registered by an operator, signed in with a password, revocable at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from complaints.application.principals import AuthenticationError, Principal
from complaints.application.routing import RoutingTable
from complaints.domain.errors import DomainError, InvalidValueError
from complaints.domain.staff import StaffAccount, staff_account_id
from complaints.domain.values import STAFF_ROLES, Role

MIN_PASSWORD_LENGTH = 12
_PAGE = 500
_REGISTERED = f"{StaffAccount.__module__}:{StaffAccount.Registered.__qualname__}"


class AccountExistsError(InvalidValueError):
    code = "account_exists"


class AccountNotFoundError(DomainError):
    code = "account_not_found"


@dataclass(frozen=True)
class AccountSummary:
    username: str
    role: str
    department: str | None
    disabled: bool


class StaffDirectory:
    def __init__(self, app: Application, routing: RoutingTable) -> None:
        self.app = app
        self.routing = routing

    def register(
        self, username: str, password: str, role: str, department: str | None = None
    ) -> StaffAccount:
        _check_password(password)
        return self._register(username, password, role, department)

    def _register(
        self, username: str, password: str, role: str, department: str | None
    ) -> StaffAccount:
        """Register without the password rule: only for the demo accounts, never an operator's."""
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
        password_hash = generate_password_hash(password)
        account = StaffAccount(
            username=username.lower(),
            role=staff_role.value,
            department=department,
            password_hash=password_hash,
        )
        try:
            self.app.save(account)
        except IntegrityError:
            existing = self._load(username)
            if existing is None or not existing.deleted:
                raise AccountExistsError(f"there is already an account {username!r}") from None
            # The name of a deleted account may be given again, with nothing of the old one.
            existing.reregister(staff_role.value, department, password_hash)
            self.app.save(existing)
            return existing
        return account

    def prepare_sign_in(self) -> None:
        """Make the hash a wrong name is checked against now, before anyone signs in, so the
        first wrong name takes no longer than a wrong password either."""
        _no_ones_hash()

    def authenticate(self, username: str, password: str) -> Principal:
        account = self._load(username)
        if account is None or not account.may_sign_in:
            # Hash anyway, so a wrong name takes as long as a wrong password.
            check_password_hash(_no_ones_hash(), password)
            raise AuthenticationError("the username or the password is wrong")
        if not check_password_hash(account.password_hash, password):
            raise AuthenticationError("the username or the password is wrong")
        return Principal(
            actor_id=account.username,
            role=Role(account.role),
            department=account.department,
            generation=account.generation,
        )

    def confirm(self, principal: Principal) -> None:
        """Refuse a staff member's token or session that a later change has ended: the account
        was deleted or disabled, its password changed, or it never existed."""
        account = self._load(principal.actor_id)
        if (
            account is None
            or not account.may_sign_in
            or principal.generation != account.generation
            or principal.role.value != account.role
            or principal.department != account.department
        ):
            raise AuthenticationError("this sign-in has ended; sign in again")

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        account = self._existing(username)
        account.change_password(generate_password_hash(password))
        self.app.save(account)

    def disable(self, username: str) -> bool:
        """Disable the account and end its sign-ins; False if it was disabled already."""
        account = self._existing(username)
        if account.disabled:
            return False
        account.disable()
        self.app.save(account)
        return True

    def enable(self, username: str) -> bool:
        account = self._existing(username)
        if not account.disabled:
            return False
        account.enable()
        self.app.save(account)
        return True

    def delete(self, username: str) -> None:
        """End the account and its sign-ins; its history stays, as every history does."""
        account = self._existing(username)
        account.delete()
        self.app.save(account)

    def accounts(self) -> Iterator[AccountSummary]:
        """Every account not deleted, in the order they were first registered."""
        start = None
        while True:
            page = self.app.recorder.select_notifications(
                start=start, limit=_PAGE, topics=[_REGISTERED], inclusive_of_start=False
            )
            for notification in page:
                account = self.app.repository.get(notification.originator_id)
                if not account.deleted:
                    yield AccountSummary(
                        account.username, account.role, account.department, account.disabled
                    )
            if len(page) < _PAGE:
                return
            start = page[-1].id

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
            if self._load(username) is None:
                # Another process may have created it a moment ago.
                with contextlib.suppress(AccountExistsError):
                    self.register(username, password, role, department)
        return self.demo_accounts()

    def _load(self, username: str) -> StaffAccount | None:
        try:
            return self.app.repository.get(staff_account_id(username))
        except AggregateNotFoundError:
            return None

    def _existing(self, username: str) -> StaffAccount:
        account = self._load(username)
        if account is None or account.deleted:
            raise AccountNotFoundError(f"there is no account {username!r}")
        return account


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValueError(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


@cache
def _no_ones_hash() -> str:
    """A hash of no one's password, made as a real one's is and at its cost (~0.1 s): once a
    process needs it, not as this module is imported, which every command and catch-up
    process does."""
    return generate_password_hash("not-a-real-password")
