"""The Complaints application: one command per case event, each one load → decide → save.

Every command is in the catalogue (`catalogue`), under the name `_act` is given here; filing
is `filing`'s, and what the service's own processes do to cases is `upkeep`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from complaints.application.case_application import VersionConflictError
from complaints.application.catalogue import CATALOGUE
from complaints.application.filing import FilingDesk
from complaints.application.knowledge import KnowledgeBase
from complaints.application.permissions import authorize, authorize_read
from complaints.application.principals import SYSTEM, Principal
from complaints.application.upkeep import Upkeep
from complaints.domain.case import Case, case_id_for
from complaints.domain.errors import CaseRuleError, InvalidValueError
from complaints.domain.values import ErasureBasis, Stage, Stamp
from complaints.retention.periods import RetentionPeriods
from shared.locale import CITY_TIME


class Complaints(FilingDesk, Upkeep):
    name = "Complaints"
    # What else keeps a case's personal data outside the store (its attachments' files):
    # told the case's id once its key is destroyed.
    on_erased: tuple[Callable[[UUID], Any], ...] = ()

    def give(
        self, command: str, principal: Principal, case_id: UUID, **arguments: Any
    ) -> Case:
        """Give the catalogue's `command` with its arguments (and `expected_version`)."""
        return getattr(self, CATALOGUE[command].method)(principal, case_id, **arguments)

    # -- commands on a case -------------------------------------------------------------------

    def accept_case(self, principal: Principal, case_id: UUID, **options: Any) -> Case:
        def accept(case: Case, stamp: Stamp) -> None:
            route = self.routing.propose(case.category)
            case.accept(stamp, lead=route.lead, co=list(route.co))

        return self._act(principal, case_id, "accept", accept, **options)

    def refer_case(
        self, principal: Principal, case_id: UUID, reason: str, where_to: str, **options: Any
    ) -> Case:
        return self._act(
            principal,
            case_id,
            "refer",
            lambda case, stamp: case.refer(stamp, reason, where_to),
            **options,
        )

    def assign_case(
        self,
        principal: Principal,
        case_id: UUID,
        lead: str | None = None,
        co: list[str] | None = None,
        **options: Any,
    ) -> Case:
        def assign(case: Case, stamp: Stamp) -> None:
            chosen_lead = lead or case.proposed_lead
            chosen_co = list(case.proposed_co if co is None else co)
            # A case not yet accepted has no proposed lead: the aggregate names its state.
            named = [code for code in (chosen_lead, *chosen_co) if code is not None]
            self.routing.require_departments(*named)
            due = self.deadlines.start(Stage.REPLY, case.category, stamp.occurred_at)
            case.assign(stamp, chosen_lead, chosen_co, due)

        return self._act(principal, case_id, "assign", assign, **options)

    def transfer_case(
        self, principal: Principal, case_id: UUID, to: str | None, reason: str, **options: Any
    ) -> Case:
        def transfer(case: Case, stamp: Stamp) -> None:
            if to is not None:
                self.routing.require_departments(to)
            stage = Case.transfer_stage(to)
            case.transfer(
                stamp, to, reason, self.deadlines.start(stage, case.category, stamp.occurred_at)
            )

        return self._act(principal, case_id, "transfer", transfer, **options)

    def request_information(
        self, principal: Principal, case_id: UUID, items: list[str], **options: Any
    ) -> Case:
        return self._act(
            principal,
            case_id,
            "request_information",
            lambda case, stamp: case.request_information(stamp, items),
            **options,
        )

    def supply_information(
        self,
        principal: Principal,
        case_id: UUID,
        content: str,
        attachments: list[str] | None = None,
        **options: Any,
    ) -> Case:
        def supply(case: Case, stamp: Stamp) -> None:
            due = case.deadline and self.deadlines.resumed(case.deadline, stamp.occurred_at)
            case.supply_information(stamp, content, list(attachments or []), due or None)

        return self._act(principal, case_id, "supply_information", supply, **options)

    def note_progress(
        self, principal: Principal, case_id: UUID, text: str, visibility: str, **options: Any
    ) -> Case:
        return self._act(
            principal,
            case_id,
            "note_progress",
            lambda case, stamp: case.note_progress(stamp, text, visibility),
            **options,
        )

    def respond(
        self,
        principal: Principal,
        case_id: UUID,
        outcome: str,
        reply: str,
        actions: list[str] | None = None,
        **options: Any,
    ) -> Case:
        return self._act(
            principal,
            case_id,
            "respond",
            lambda case, stamp: case.respond(stamp, outcome, reply, list(actions or [])),
            also=self._answer_duplicates,
            **options,
        )

    # -- answers at first contact -----------------------------------------------------------

    @property
    def knowledge(self) -> KnowledgeBase:
        return KnowledgeBase(self)

    def answer_at_first_contact(
        self, principal: Principal, case_id: UUID, entry: str, **options: Any
    ) -> Case:
        """The caller's question answered on the spot from a knowledge base entry in force."""
        found = self.knowledge.entry(principal, entry)
        today = self.clock().astimezone(CITY_TIME).date()
        if not found.in_force(today):
            raise InvalidValueError(f"knowledge base entry {entry} is not in force today",
                                    field="entry")
        return self._act(principal, case_id, "answer_at_first_contact",
                         lambda case, stamp: case.answer_at_first_contact(stamp, entry,
                                                                          found.answer),
                         **options)

    # -- cases about one matter ---------------------------------------------------------------

    def link_cases(
        self, principal: Principal, case_id: UUID, other: str, **options: Any
    ) -> Case:
        """Link two cases as related: each records the other."""
        def also(case: Case, stamp: Stamp) -> list[Case]:
            linked = self._other_case(principal, "link", other)
            linked.link_related(stamp, case.reference)
            return [linked]

        return self._act(principal, case_id, "link",
                         lambda case, stamp: case.link_related(stamp, self._reference(other)),
                         also=also, **options)

    def unlink_cases(
        self, principal: Principal, case_id: UUID, other: str, reason: str, **options: Any
    ) -> Case:
        def also(case: Case, stamp: Stamp) -> list[Case]:
            linked = self._other_case(principal, "unlink", other)
            linked.unlink_related(stamp, case.reference, reason)
            return [linked]

        return self._act(principal, case_id, "unlink",
                         lambda case, stamp: case.unlink_related(stamp, self._reference(other),
                                                                 reason),
                         also=also, **options)

    def mark_duplicate(
        self, principal: Principal, case_id: UUID, primary: str, reason: str, **options: Any
    ) -> Case:
        """This case is a duplicate of `primary`; if the primary has replied in its current
        round already, that reply answers this case at once."""
        def also(case: Case, stamp: Stamp) -> list[Case]:
            first = self._other_case(principal, None, primary)
            first.attach_duplicate(stamp, case.reference)
            if first.reply is not None and first.reply["round"] == first.round:
                case.answer_through_primary(stamp, first.reference, first.reply["outcome"],
                                            first.reply["reply"], first.reply["actions"])
            return [first]

        return self._act(principal, case_id, "mark_duplicate",
                         lambda case, stamp: case.mark_duplicate(stamp, self._reference(primary),
                                                                 reason),
                         also=also, **options)

    def undo_duplicate(
        self, principal: Principal, case_id: UUID, reason: str, **options: Any
    ) -> Case:
        """This case stands on its own again; a reply it was given through the primary stays."""
        undone: list[str] = []  # the primary it was a duplicate of

        def undo(case: Case, stamp: Stamp) -> None:
            undone[:] = [case.duplicate_of or ""]
            case.undo_duplicate(stamp, reason)

        def also(case: Case, stamp: Stamp) -> list[Case]:
            first = self.load_case(case_id_for(undone[0]))
            first.detach_duplicate(stamp, case.reference)
            return [first]

        return self._act(principal, case_id, "undo_duplicate", undo, also=also, **options)

    def _answer_duplicates(self, primary: Case, stamp: Stamp) -> list[Case]:
        """The primary's reply, given to each standing duplicate not yet answered; the reply
        is the replier's, whichever department the duplicate was with."""
        answered = []
        for reference in primary.duplicates:
            duplicate = self.load_case(case_id_for(reference))
            if duplicate.duplicate_of == primary.reference and (
                duplicate.answerable_through_primary
            ):
                reply = primary.reply or {}
                duplicate.answer_through_primary(stamp, primary.reference, reply["outcome"],
                                                 reply["reply"], reply["actions"])
                answered.append(duplicate)
        return answered

    def _other_case(self, principal: Principal, command: str | None, reference: str) -> Case:
        """The other case of a link, over which the principal must have the same right
        (`command`), or the right to read it (a primary, None)."""
        other = self.load_case(self.resolve_case_id(self._reference(reference)))
        if command is None:
            authorize_read(principal, other)
        else:
            authorize(principal, command, other)
        return other

    @staticmethod
    def _reference(text: str) -> str:
        return text.strip().upper()

    def rate_case(
        self,
        principal: Principal,
        case_id: UUID,
        score: int,
        comment: str = "",
        channel: str = "web",
        **options: Any,
    ) -> Case:
        if not 1 <= score <= 5:
            raise InvalidValueError("a rating is a whole number from 1 to 5", field="score")
        return self._act(
            principal,
            case_id,
            "rate",
            lambda case, stamp: case.rate(stamp, score, comment, channel),
            **options,
        )

    def invalidate_rating(
        self,
        principal: Principal,
        case_id: UUID,
        invalidation_class: str,
        reason: str,
        **options: Any,
    ) -> Case:
        return self._act(
            principal,
            case_id,
            "invalidate_rating",
            lambda case, stamp: case.invalidate_rating(stamp, invalidation_class, reason),
            **options,
        )

    def conclude_review(
        self, principal: Principal, case_id: UUID, upheld: bool, explanation: str, **options: Any
    ) -> Case:
        def conclude(case: Case, stamp: Stamp) -> None:
            due = self.deadlines.start(Stage.RECTIFY, case.category, stamp.occurred_at)
            case.conclude_review(stamp, upheld, explanation, due)

        return self._act(principal, case_id, "conclude_review", conclude, **options)

    def record_rectification(
        self, principal: Principal, case_id: UUID, actions: list[str], **options: Any
    ) -> Case:
        def rectify(case: Case, stamp: Stamp) -> None:
            due = self.deadlines.start(Stage.RETURN_VISIT, case.category, stamp.occurred_at)
            case.rectify(stamp, actions, due)

        return self._act(principal, case_id, "rectify", rectify, **options)

    def record_follow_up(
        self,
        principal: Principal,
        case_id: UUID,
        method: str,
        satisfied: bool,
        notes: str = "",
        **options: Any,
    ) -> Case:
        return self._act(
            principal,
            case_id,
            "follow_up",
            lambda case, stamp: case.follow_up(stamp, method, satisfied, notes),
            **options,
        )

    def reopen_case(self, principal: Principal, case_id: UUID, reason: str, **options: Any) -> Case:
        def reopen(case: Case, stamp: Stamp) -> None:
            due = self.deadlines.start(case.reopening_stage, case.category, stamp.occurred_at)
            case.reopen(stamp, reason, due)

        return self._act(principal, case_id, "reopen", reopen, **options)

    def close_case(self, principal: Principal, case_id: UUID, **options: Any) -> Case:
        return self._act(
            principal, case_id, "close", lambda case, stamp: case.close(stamp), **options
        )

    # -- the clock -----------------------------------------------------------------------------

    def extend_deadline(
        self,
        principal: Principal,
        case_id: UUID,
        stage: str,
        working_days: int,
        reason: str,
        **options: Any,
    ) -> Case:
        def extend(case: Case, stamp: Stamp) -> None:
            deadline = case.running_deadline(Stage(stage))
            most = self.deadlines.max_extension
            # Walk the calendar only for an extension the aggregate may grant: it refuses the
            # rest (extension_too_long) before it reads the due time.
            due = self.deadlines.extended(deadline, working_days if working_days <= most else 0)
            case.extend_deadline(stamp, Stage(stage), working_days, reason, due, most)

        return self._act(principal, case_id, "extend_deadline", extend, **options)

    # -- the filer's personal data ---------------------------------------------------------------

    def erase_personal_data(
        self, principal: Principal, case_id: UUID, basis: str, note: str = "", **options: Any
    ) -> Case:
        """Crypto-shredding: `PersonalDataErased` recorded and the case's key destroyed in one
        transaction; the case read back reads every personal value as erased."""
        self._act(
            principal,
            case_id,
            "erase_personal_data",
            lambda case, stamp: case.erase_personal_data(stamp, erasure_basis(basis), note),
            recorded_with={"erased_keys": [case_id]},
            **options,
        )
        if self.case_keys is not None:
            self.case_keys.forget(case_id)
        for forget in self.on_erased:
            forget(case_id)
        return self.load_case(case_id)

    def expire_personal_data(
        self, case_id: UUID, periods: RetentionPeriods, principal: Principal = SYSTEM
    ) -> bool:
        """Erase a closed case's personal data once its category's retention period, counted
        from its closing, has run out; True when this call erased it.

        The case decides as loaded now (the index that found it may lag). Any number of jobs
        may race on a case: the store's version check lets one erase it, and the others find
        it erased (or reopened meanwhile) and move on.
        """
        for _attempt in range(3):
            case = self.load_case(case_id)
            closed_at = case.closed_at
            if (case.personal_data_erased is not None or closed_at is None
                    or not periods.expired(case.category, closed_at, self.clock())):
                return False
            kept = f"kept {periods.period(case.category)} from its closing on {closed_at.date()}"
            try:
                self.erase_personal_data(principal, case_id, ErasureBasis.RETENTION_EXPIRED,
                                         kept, expected_version=case.version)
            except VersionConflictError:
                continue  # written meanwhile: look again
            except CaseRuleError:
                return False  # erased already, or reopened
            return True
        return False


def erasure_basis(text: str) -> ErasureBasis:
    try:
        return ErasureBasis(text)
    except ValueError:
        raise InvalidValueError(
            f"the basis of an erasure is one of {', '.join(ErasureBasis)}, not {text!r}",
            field="basis",
        ) from None
