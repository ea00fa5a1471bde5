"""Cases about one matter: linked as related, or one marked a duplicate of a primary — each
reversibly, each side recording its own half.

A duplicate keeps its own filer, access code, rating and history. While it stands, the primary's
reply answers it too (`answer_through_primary`), so its filer is told what the primary's filer
is told. Undoing a link or a duplicate is an event like any other: the history shows both.
A duplicate is never itself a primary, and a primary is never a duplicate, so the reply reaches
every duplicate in one step.

The rules are `Case`'s public methods, kept here by concern; the facts they record are the
`@event` methods of `Case` itself (`complaints.domain.case`).
"""

from __future__ import annotations

from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.values import Stamp, Status

# Where a case may still take a duplicate mark or the primary's reply: before its own reply.
BEFORE_REPLY = (Status.FILED, Status.ACCEPTED, Status.ASSIGNED, Status.AWAITING_INFORMATION)


class LinkRules:
    def link_related(self, stamp: Stamp, other: str) -> None:
        self._other_case(other)
        if other in self.related:
            raise CaseRuleError("already_linked", f"{self.reference} is linked to {other} already")
        self._linked(stamp=stamp, other=other)

    def unlink_related(self, stamp: Stamp, other: str, reason: str) -> None:
        if other not in self.related:
            raise CaseRuleError("not_linked", f"{self.reference} is not linked to {other}")
        self._unlinked(stamp=stamp, other=other, reason=reason)

    def mark_duplicate(self, stamp: Stamp, primary: str, reason: str) -> None:
        """This case is a duplicate of `primary`: answered by its reply from now on."""
        self._other_case(primary)
        if self.status not in BEFORE_REPLY:
            raise CaseStateError("mark_duplicate", self.status, BEFORE_REPLY)
        if self.duplicate_of is not None:
            raise CaseRuleError("already_duplicate",
                                f"{self.reference} is a duplicate of {self.duplicate_of} already")
        if self.duplicates:
            raise CaseRuleError("primary_not_duplicate",
                                f"{self.reference} is the primary of other cases")
        self._marked_duplicate(stamp=stamp, primary=primary, reason=reason)

    def undo_duplicate(self, stamp: Stamp, reason: str) -> None:
        if self.duplicate_of is None:
            raise CaseRuleError("not_duplicate", f"{self.reference} is not a duplicate")
        self._duplicate_undone(stamp=stamp, primary=self.duplicate_of, reason=reason)

    def attach_duplicate(self, stamp: Stamp, duplicate: str) -> None:
        """The primary's half of `mark_duplicate`."""
        self._other_case(duplicate)
        if self.duplicate_of is not None:
            raise CaseRuleError("primary_not_duplicate",
                                f"{self.reference} is itself a duplicate of {self.duplicate_of}")
        self._duplicate_attached(stamp=stamp, duplicate=duplicate)

    def detach_duplicate(self, stamp: Stamp, duplicate: str) -> None:
        """The primary's half of `undo_duplicate`."""
        if duplicate not in self.duplicates:
            raise CaseRuleError("not_duplicate", f"{duplicate} is not a duplicate of "
                                f"{self.reference}")
        self._duplicate_detached(stamp=stamp, duplicate=duplicate)

    def answer_through_primary(
        self, stamp: Stamp, primary: str, outcome: str, reply: str, actions: list[str]
    ) -> None:
        """The primary's reply, given to this duplicate's filer as this case's reply."""
        if self.duplicate_of != primary:
            raise CaseRuleError("not_duplicate", f"{self.reference} is not a duplicate of "
                                f"{primary}")
        if self.status not in BEFORE_REPLY:
            raise CaseStateError("answer_through_primary", self.status, BEFORE_REPLY)
        self._answered_through_primary(stamp=stamp, primary=primary, outcome=outcome,
                                       reply=reply, actions=actions)

    @property
    def answerable_through_primary(self) -> bool:
        return self.duplicate_of is not None and self.status in BEFORE_REPLY

    def _other_case(self, reference: str) -> None:
        if reference == self.reference:
            raise CaseRuleError("other_case_required", "a case cannot be linked to itself")
