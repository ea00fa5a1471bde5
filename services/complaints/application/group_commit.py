"""Group commit: the commands that arrive while a commit is in flight share the next one.

A caller hands its item to `submit` and waits. If no commit is running, it leads: it takes
every item waiting (its own among them, up to `most`), commits them with one call, and
wakes each caller with its own outcome. Items that arrive meanwhile wait for the next
leader, so a lone caller never waits for a window to close, and under load one transaction
(one flush to disk) serves many callers. No thread of its own: nothing to start or stop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class _Slot(Generic[Item, Outcome]):
    __slots__ = ("done", "error", "item", "outcome")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = False
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, Outcome]):
    """`commit(items)` answers one outcome per item, in order: a value, or the exception
    that item alone must raise (so a bad item fails itself, never the others)."""

    def __init__(
        self,
        commit: Callable[[Sequence[Item]], Sequence[Outcome | BaseException]],
        *,
        most: int = 100,
    ) -> None:
        self._commit = commit
        self._most = most
        self._changed = threading.Condition()
        self._waiting: list[_Slot[Item, Outcome]] = []
        self._busy = False

    def submit(self, item: Item) -> Outcome:
        slot: _Slot[Item, Outcome] = _Slot(item)
        with self._changed:
            self._waiting.append(slot)
        while True:
            with self._changed:
                while self._busy and not slot.done:
                    self._changed.wait()
                if slot.done:
                    break
                self._busy = True
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            self._lead(batch)
        if slot.error is not None:
            raise slot.error
        return slot.outcome  # type: ignore[return-value]

    def _lead(self, batch: list[_Slot[Item, Outcome]]) -> None:
        outcomes: Sequence[Outcome | BaseException] = ()
        try:
            outcomes = self._commit([slot.item for slot in batch])
        except Exception as error:  # a fault of the commit itself: every member hears of it
            outcomes = [error] * len(batch)
        finally:
            with self._changed:
                for index, slot in enumerate(batch):
                    outcome = (
                        outcomes[index]
                        if index < len(outcomes)
                        else RuntimeError("the group commit stopped before this item")
                    )
                    if isinstance(outcome, BaseException):
                        slot.error = outcome
                    else:
                        slot.outcome = outcome
                    slot.done = True
                self._busy = False
                self._changed.notify_all()
