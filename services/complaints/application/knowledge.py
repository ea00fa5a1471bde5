"""The knowledge base's book: who may keep it, and the entries in force on a day.

Intake staff and supervisors add, revise and withdraw entries; every member of staff reads
them. Each change is an event of the one book (`domain.knowledge.KnowledgeBook`), saved with
optimistic concurrency: two changes at once are decided again on the newer book.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from complaints.application.principals import PermissionDeniedError, Principal
from complaints.domain.knowledge import BOOK_ID, Entry, KnowledgeBook
from complaints.domain.values import STAFF_ROLES, Role

KEEPERS = (Role.INTAKE, Role.SUPERVISOR)
ATTEMPTS = 3


class KnowledgeBase:
    def __init__(self, app: Any) -> None:
        self.app = app

    def book(self) -> KnowledgeBook | None:
        try:
            return self.app.repository.get(BOOK_ID)
        except AggregateNotFoundError:
            return None

    def entries(self, principal: Principal, *, on: date | None = None,
                withdrawn: bool = False) -> list[Entry]:
        """Every entry in force on `on` (every entry, withdrawn ones too, with `withdrawn`
        and no day), newest revision of each."""
        _require(principal, STAFF_ROLES)
        book = self.book()
        if book is None:
            return []
        entries = list(book.entries.values())
        if on is not None:
            entries = [entry for entry in entries if entry.in_force(on)]
        elif not withdrawn:
            entries = [entry for entry in entries if not entry.withdrawn]
        return entries

    def entry(self, principal: Principal, entry_id: str) -> Entry:
        _require(principal, STAFF_ROLES)
        book = self.book()
        if book is None:
            return KnowledgeBook().entry(entry_id)  # raises: no such entry
        return book.entry(entry_id)

    def add(self, principal: Principal, **fields: Any) -> Entry:
        entry_id = uuid4().hex[:12]
        self._change(principal, lambda book: book.add(entry_id, **fields))
        return self.book().entries[entry_id]

    def revise(self, principal: Principal, entry_id: str, **fields: Any) -> Entry:
        self._change(principal, lambda book: book.revise(entry_id, **fields))
        return self.book().entries[entry_id]

    def withdraw(self, principal: Principal, entry_id: str, reason: str) -> Entry:
        self._change(principal, lambda book: book.withdraw(entry_id, reason))
        return self.book().entries[entry_id]

    def _change(self, principal: Principal, change: Callable[[KnowledgeBook], None]) -> None:
        _require(principal, KEEPERS)
        for attempt in range(1, ATTEMPTS + 1):
            book = self.book() or KnowledgeBook()
            change(book)
            try:
                self.app.save(book)
                return
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise


def _require(principal: Principal, roles: tuple[Role, ...]) -> None:
    if principal.role not in roles:
        raise PermissionDeniedError(
            f"the {principal.role.value} role may not do this to the knowledge base",
            allowed_roles=sorted(role.value for role in roles))
