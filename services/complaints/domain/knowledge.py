"""The knowledge base: answers staff give again and again, kept as entries of one book.

An entry holds a question, its answer, the category it belongs to, the days it is valid
(from, and until when it has an end) and its source (a regulation, a notice, a department's
word). Entries are revised and withdrawn, never deleted: the book's history shows every answer
ever given as it then read. One book per installation, so listing the entries needs no
projection: they are few (hundreds, a few thousand) and read whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from complaints.domain.errors import CaseRuleError, DomainError, InvalidValueError

BOOK_ID = uuid5(NAMESPACE_URL, "https://huiyin.example/knowledge-book")


class EntryNotFoundError(DomainError):
    code = "not_found"


@dataclass(frozen=True)
class Entry:
    entry_id: str
    question: str
    answer: str
    category: str
    valid_from: str  # ISO day
    valid_until: str | None  # ISO day, included; None: no end
    source: str
    revision: int = 1
    withdrawn: bool = False

    def in_force(self, day: date) -> bool:
        return (not self.withdrawn and date.fromisoformat(self.valid_from) <= day
                and (self.valid_until is None or day <= date.fromisoformat(self.valid_until)))

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class KnowledgeBook(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return BOOK_ID

    @event("Opened")
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def add(self, entry_id: str, question: str, answer: str, category: str, valid_from: str,
            valid_until: str | None, source: str) -> None:
        if entry_id in self.entries:
            raise CaseRuleError("entry_exists", f"entry {entry_id} exists already")
        _check_days(valid_from, valid_until)
        self._added(entry_id=entry_id, question=question, answer=answer, category=category,
                    valid_from=valid_from, valid_until=valid_until, source=source)

    def revise(self, entry_id: str, question: str, answer: str, category: str,
               valid_from: str, valid_until: str | None, source: str) -> None:
        self._open_entry(entry_id)
        _check_days(valid_from, valid_until)
        self._revised(entry_id=entry_id, question=question, answer=answer, category=category,
                      valid_from=valid_from, valid_until=valid_until, source=source)

    def withdraw(self, entry_id: str, reason: str) -> None:
        self._open_entry(entry_id)
        self._withdrawn(entry_id=entry_id, reason=reason)

    def entry(self, entry_id: str) -> Entry:
        found = self.entries.get(entry_id)
        if found is None:
            raise EntryNotFoundError(f"no knowledge base entry {entry_id}", entry=entry_id)
        return found

    @event("EntryAdded")
    def _added(self, entry_id: str, question: str, answer: str, category: str,
               valid_from: str, valid_until: str | None, source: str) -> None:
        self.entries[entry_id] = Entry(entry_id, question, answer, category, valid_from,
                                       valid_until, source)

    @event("EntryRevised")
    def _revised(self, entry_id: str, question: str, answer: str, category: str,
                 valid_from: str, valid_until: str | None, source: str) -> None:
        before = self.entries[entry_id]
        self.entries[entry_id] = replace(
            before, question=question, answer=answer, category=category,
            valid_from=valid_from, valid_until=valid_until, source=source,
            revision=before.revision + 1)

    @event("EntryWithdrawn")
    def _withdrawn(self, entry_id: str, reason: str) -> None:
        self.entries[entry_id] = replace(self.entries[entry_id], withdrawn=True)

    def _open_entry(self, entry_id: str) -> None:
        if self.entry(entry_id).withdrawn:
            raise CaseRuleError("entry_withdrawn", f"entry {entry_id} was withdrawn")


def _check_days(valid_from: str, valid_until: str | None) -> None:
    if valid_until is not None and date.fromisoformat(valid_until) < date.fromisoformat(
            valid_from):
        raise InvalidValueError("an entry's validity ends before it begins", field="valid_until")
