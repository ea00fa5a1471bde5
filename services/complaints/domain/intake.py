"""What may be done to a case before a department replies: accept, refer, assign, transfer,
and ask the filer, at once, for everything missing.

The rules are `Case`'s public methods, kept here by concern; the facts they record are the
`@event` methods of `Case` itself (`complaints.domain.case`), where the library registers them.
"""

from __future__ import annotations

from complaints.domain.deadline import DueTime, due_fields
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Outcome, Stage, Stamp, Status


class IntakeRules:
    def accept(self, stamp: Stamp, lead: str, co: list[str]) -> None:
        self._require("accept", Status.FILED)
        self._accepted(stamp=stamp, proposed_lead=lead, proposed_co=co)

    def refer(self, stamp: Stamp, reason: str, where_to: str) -> None:
        self._require("refer", Status.FILED, Status.ACCEPTED)
        self._referred(stamp=stamp, reason=reason, where_to=where_to)

    def assign(
        self, stamp: Stamp, lead: str | None, co: list[str], due: DueTime | None = None
    ) -> None:
        self._require("assign", Status.ACCEPTED)
        if not lead:
            raise CaseRuleError("lead_required", "name the lead department")
        if lead in co:
            raise CaseRuleError("lead_not_co_handler", "the lead department cannot also co-handle")
        self._assigned(stamp=stamp, lead=lead, co=co, **due_fields(due))

    def transfer(
        self, stamp: Stamp, to: str | None, reason: str, due: DueTime | None = None
    ) -> None:
        """Send the case back to intake (`to` is None) or on to another department.

        The receiving side's clock starts afresh: the reply stage for a department, the
        accept-and-dispatch stage for the intake desk (`transfer_stage` says which).
        """
        self._require("transfer", Status.ASSIGNED)
        if to == self.lead_department:
            raise CaseRuleError("transfer_to_other", f"the case is already with {to}")
        self._transferred(
            stamp=stamp,
            from_department=self.lead_department,
            to=to,
            reason=reason,
            **due_fields(due),
        )

    @staticmethod
    def transfer_stage(to: str | None) -> Stage:
        return Stage.REPLY if to else Stage.ACCEPT

    def request_information(self, stamp: Stamp, items: list[str]) -> None:
        self._require("request_information", Status.FILED, Status.ACCEPTED, Status.ASSIGNED)
        if not items:
            raise CaseRuleError("items_required", "list every item that is missing, at once")
        self._information_requested(stamp=stamp, items=items)

    def supply_information(
        self, stamp: Stamp, content: str, attachments: list[str], due: DueTime | None = None
    ) -> None:
        """The filer answers; `due` is the paused stage's due time moved by the days waited."""
        self._require("supply_information", Status.AWAITING_INFORMATION)
        self._information_supplied(
            stamp=stamp, content=content, attachments=attachments, **due_fields(due)
        )

    def answer_at_first_contact(self, stamp: Stamp, entry: str, answer: str) -> None:
        """A caller's question answered on the spot, from the knowledge base's `entry`: the
        case filed for them is replied to at once, recorded as answered at first contact."""
        self._require("answer_at_first_contact", Status.FILED)
        if not self.on_behalf_of or self.round != 1:
            raise CaseRuleError("first_contact_only",
                                "only a case staff just filed for a caller is answered on the spot")
        self._answered_at_first_contact(stamp=stamp, entry=entry, outcome=Outcome.EXPLAINED.value,
                                        reply=answer)
