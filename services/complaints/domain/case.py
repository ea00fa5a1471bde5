"""The Case aggregate: one complaint from filing to closing, and the facts it records.

Its rules are public methods grouped by concern in `intake`, `review`, `deadline` and
`notifications`; every `@event` method stays here, on the class the library registers its
events under (their stored topics name `complaints.domain.case:Case.<Event>`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from complaints.domain import notices
from complaints.domain.chain import ChainedAggregate
from complaints.domain.deadline import ClockRules, Deadline, DueTime, due_fields
from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.filer import Filer
from complaints.domain.intake import IntakeRules
from complaints.domain.links import LinkRules
from complaints.domain.notifications import NotificationRules
from complaints.domain.personal import Sealer, seal_fields
from complaints.domain.review import Review, ReviewRules
from complaints.domain.values import (
    BAD_RATING_MAX,
    OUTCOME_NOT_RECORDED,
    ErasureBasis,
    Stage,
    Stamp,
    Status,
)

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "https://huiyin.example/cases")
# Whoever's actor id begins so brought the case over from an older system (`huiyin import`).
IMPORTER_PREFIX = "import:"
OPEN_STATES = (Status.FILED, Status.ACCEPTED, Status.ASSIGNED, Status.AWAITING_INFORMATION)


class Case(IntakeRules, ReviewRules, ClockRules, NotificationRules, LinkRules, ChainedAggregate):
    """A complaint. Public methods check the rules; the `_past_tense` methods record facts."""

    ID_FROM = ("reference",)
    # The case's data key while a command runs on it, set by the application: the personal
    # fields of each event it records are sealed with it (`complaints.domain.personal`).
    sealer = None  # no annotation: the library would take an annotated name for a field

    @staticmethod
    def create_id(reference: str) -> UUID:
        """A case's id follows from its reference, so either one finds it."""
        return case_id_for(reference)

    # -- filing ----------------------------------------------------------------------------

    @classmethod
    def file(
        cls, stamp: Stamp, reference: str, filer: Filer, due: DueTime | None,
        sealer: Sealer | None = None, **facts: Any,
    ) -> Case:
        """A complaint received: the filer and the accept stage's due time as one value each,
        recorded as `Filed` has always recorded them; `facts` are its other fields, and
        `sealer` seals what is personal in them."""
        fields = {"filer": filer.as_record(), **facts}
        if sealer is not None:
            fields = seal_fields(sealer, "Filed", fields)
        case = cls(stamp=stamp, reference=reference, **fields, **due_fields(due))
        case.sealer = sealer
        return case

    def trigger_event(self, event_class: type, **kwargs: Any) -> None:
        if self.sealer is not None:
            kwargs = seal_fields(self.sealer, event_class.__name__, kwargs)
        super().trigger_event(event_class, **kwargs)

    @event("Filed")
    def __init__(
        self,
        stamp: Stamp,
        reference: str,
        channel: str,
        filer: dict[str, Any],
        on_behalf_of: bool,
        category: str,
        subject: str,
        description: str,
        happened_on: str | None,
        happened_at_place: str,
        attachments: list[str],
        confidential: bool,
        anonymous: bool,
        access_code_hash: str,
        submission_digest: str,
        due_at: datetime | None,
        due_provisional: bool,
        due_working_days: int | None,
    ) -> None:
        self.reference = reference
        self.channel = channel
        self.filer = Filer.from_record(filer)
        self.on_behalf_of = on_behalf_of
        self.category = category
        self.subject = subject
        self.description = description
        self.happened_on = happened_on
        self.happened_at_place = happened_at_place
        self.attachments = list(attachments)
        self.confidential = confidential
        self.anonymous = anonymous
        self.access_code_hash = access_code_hash
        self.submission_digest = submission_digest
        self.filed_at = stamp.occurred_at
        self.filed_by = stamp.actor_id
        self.status = Status.FILED
        self.deadline: Deadline | None = None
        self._start_clock(Stage.ACCEPT, stamp, due_at, due_provisional, due_working_days)
        self.round = 1
        self.lead_department: str | None = None
        self.co_departments: list[str] = []
        self.proposed_lead: str | None = None
        self.proposed_co: list[str] = []
        self.referred_to: str | None = None
        self.resume_status: str | None = None
        self.requested_items: list[str] = []
        self.reply: dict[str, Any] | None = None
        self.replies_given: list[str] = []  # every round's reply, the latest last
        self.review = Review()
        self.closed_at: datetime | None = None
        self.messages: list[dict[str, Any]] = []
        self.failed_notifications: list[str] = []
        self.filer_unreachable = False
        self.requested_at: datetime | None = None
        self.escalations = 0
        self.personal_data_erased: dict[str, Any] | None = None
        self.related: list[str] = []  # references of the cases linked as related
        self.duplicate_of: str | None = None  # the primary's reference, while a duplicate
        self.duplicates: list[str] = []  # the standing duplicates' references, as a primary

    # -- intake ----------------------------------------------------------------------------

    @event("Accepted")
    def _accepted(self, stamp: Stamp, proposed_lead: str, proposed_co: list[str]) -> None:
        self.status = Status.ACCEPTED
        self.proposed_lead = proposed_lead
        self.proposed_co = list(proposed_co)

    @event("AnsweredAtFirstContact")
    def _answered_at_first_contact(self, stamp: Stamp, entry: str, outcome: str,
                                   reply: str) -> None:
        self._reply_given(stamp, outcome, reply, [], at_first_contact=entry)

    @event("Referred")
    def _referred(self, stamp: Stamp, reason: str, where_to: str) -> None:
        self.status = Status.REFERRED
        self.referred_to = where_to
        self.deadline = None

    @event("Assigned")
    def _assigned(
        self, stamp: Stamp, lead: str, co: list[str], due_at: datetime | None,
        due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.status = Status.ASSIGNED
        self.lead_department = lead
        self.co_departments = list(co)
        self._start_clock(Stage.REPLY, stamp, due_at, due_provisional, due_working_days)

    @event("Transferred")
    def _transferred(
        self,
        stamp: Stamp,
        from_department: str,
        to: str | None,
        reason: str,
        due_at: datetime | None,
        due_provisional: bool,
        due_working_days: int | None,
    ) -> None:
        self.lead_department = to
        self._start_clock(
            self.transfer_stage(to), stamp, due_at, due_provisional, due_working_days
        )
        if to is None:
            self.status = Status.ACCEPTED
            self.co_departments = []
        else:
            self.co_departments = [code for code in self.co_departments if code != to]

    # -- information from the filer ------------------------------------------------------

    @event("InformationRequested")
    def _information_requested(self, stamp: Stamp, items: list[str]) -> None:
        self.resume_status = self.status
        self.status = Status.AWAITING_INFORMATION
        self.requested_items = list(items)
        self.requested_at = stamp.occurred_at
        if self.deadline:
            self.deadline = replace(self.deadline, paused_since=stamp.occurred_at)

    @event("InformationSupplied")
    def _information_supplied(
        self, stamp: Stamp, content: str, attachments: list[str], due_at: datetime | None,
        due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.status = Status(self.resume_status)
        self.resume_status = None
        self.requested_items = []
        self.attachments.extend(attachments)
        if self.deadline:
            self.deadline = replace(self.deadline, paused_since=None)
            if due_at is not None:
                self.deadline = self.deadline.moved(
                    DueTime(due_at, due_provisional, due_working_days or 0)
                )

    # -- handling ----------------------------------------------------------------------------

    def note_progress(self, stamp: Stamp, text: str, visibility: str) -> None:
        self._require("note_progress", *OPEN_STATES, Status.RESPONDED, Status.REFERRED)
        self._progress_noted(stamp=stamp, text=text, visibility=visibility)

    @event("ProgressNoted")
    def _progress_noted(self, stamp: Stamp, text: str, visibility: str) -> None:
        pass

    def respond(self, stamp: Stamp, outcome: str, reply: str, actions: list[str]) -> None:
        self._require("respond", Status.ASSIGNED)
        if outcome == OUTCOME_NOT_RECORDED and not self.imported:
            raise CaseRuleError(
                "outcome_required", "a reply says its outcome; only imported history may not"
            )
        self._responded(stamp=stamp, outcome=outcome, reply=reply, actions=actions)

    @event("Responded")
    def _responded(self, stamp: Stamp, outcome: str, reply: str, actions: list[str]) -> None:
        self._reply_given(stamp, outcome, reply, actions)

    def _reply_given(self, stamp: Stamp, outcome: str, reply: str, actions: list[str],
                     **more: Any) -> None:
        self.status = Status.RESPONDED
        self.reply = {
            "outcome": outcome,
            "reply": reply,
            "actions": list(actions),
            "round": self.round,
            "responded_at": stamp.occurred_at,
            **more,
        }
        self.replies_given.append(reply)
        self.deadline = None

    # -- cases about one matter (`links`) ------------------------------------------------------

    @event("LinkedAsRelated")
    def _linked(self, stamp: Stamp, other: str) -> None:
        self.related.append(other)

    @event("RelatedLinkUndone")
    def _unlinked(self, stamp: Stamp, other: str, reason: str) -> None:
        self.related.remove(other)

    @event("MarkedDuplicate")
    def _marked_duplicate(self, stamp: Stamp, primary: str, reason: str) -> None:
        self.duplicate_of = primary

    @event("DuplicateUndone")
    def _duplicate_undone(self, stamp: Stamp, primary: str, reason: str) -> None:
        self.duplicate_of = None

    @event("DuplicateAttached")
    def _duplicate_attached(self, stamp: Stamp, duplicate: str) -> None:
        self.duplicates.append(duplicate)

    @event("DuplicateDetached")
    def _duplicate_detached(self, stamp: Stamp, duplicate: str) -> None:
        self.duplicates.remove(duplicate)

    @event("AnsweredThroughPrimary")
    def _answered_through_primary(
        self, stamp: Stamp, primary: str, outcome: str, reply: str, actions: list[str]
    ) -> None:
        self._reply_given(stamp, outcome, reply, actions, through_primary=primary)

    # -- the filer's review and its closed loop ------------------------------------------------

    @event("Rated")
    def _rated(self, stamp: Stamp, round: int, score: int, comment: str, channel: str) -> None:
        self.review = self.review.rated(score, bad=score <= BAD_RATING_MAX)

    @event("RatingInvalidated")
    def _rating_invalidated(
        self, stamp: Stamp, round: int, invalidation_class: str, reason: str
    ) -> None:
        self.review = self.review.invalidated_as(invalidation_class)

    @event("ReviewConcluded")
    def _review_concluded(
        self, stamp: Stamp, round: int, upheld: bool, explanation: str,
        due_at: datetime | None, due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.review = self.review.concluded(upheld)
        self._start_clock(Stage.RECTIFY, stamp, due_at, due_provisional, due_working_days)

    @event("Rectified")
    def _rectified(
        self, stamp: Stamp, round: int, actions: list[str], due_at: datetime | None,
        due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.review = self.review.rectify()
        self._start_clock(Stage.RETURN_VISIT, stamp, due_at, due_provisional, due_working_days)

    @event("FollowedUp")
    def _followed_up(
        self, stamp: Stamp, round: int, method: str, satisfied: bool, notes: str
    ) -> None:
        self.review = self.review.visited()
        self.deadline = None

    # -- the end, and a new beginning ------------------------------------------------------

    def reopen(self, stamp: Stamp, reason: str, due: DueTime | None = None) -> None:
        """A new round: back to the lead department, or to intake; `due` for `reopening_stage`."""
        self._require("reopen", Status.RESPONDED, Status.REFERRED, Status.CLOSED)
        self._require_review_settled("reopen")
        back_to = Status.ASSIGNED if self.lead_department else Status.FILED
        self._reopened(
            stamp=stamp, reason=reason, round=self.round + 1, status=back_to, **due_fields(due)
        )

    @property
    def reopening_stage(self) -> Stage:
        return Stage.REPLY if self.lead_department else Stage.ACCEPT

    @event("Reopened")
    def _reopened(
        self, stamp: Stamp, reason: str, round: int, status: str, due_at: datetime | None,
        due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.round = round
        self.status = Status(status)
        self.review = Review()
        self.closed_at = None
        self.referred_to = None
        self._start_clock(
            self.reopening_stage, stamp, due_at, due_provisional, due_working_days
        )

    def close(self, stamp: Stamp) -> None:
        if self.status == Status.CLOSED:
            raise CaseStateError("close", self.status, (Status.RESPONDED, Status.REFERRED))
        if self.status not in (Status.RESPONDED, Status.REFERRED):
            raise CaseRuleError(
                "reply_required",
                "a case closes only after a reply the filer can see (responded or referred)",
                state=self.status,
            )
        self._require_review_settled("close")
        self._closed(stamp=stamp)

    @event("Closed")
    def _closed(self, stamp: Stamp) -> None:
        self.status = Status.CLOSED
        self.closed_at = stamp.occurred_at
        self.deadline = None

    @property
    def imported(self) -> bool:
        return self.filed_by.startswith(IMPORTER_PREFIX)

    def is_historical(self, event: Case.Event) -> bool:
        """Whether `event` belongs to the case's past in an older system.

        The importer's own events, and anything recorded as having happened before the
        import: the watchdog's breaches of an imported case that was left open long ago.
        """
        return event.stamp.actor_id.startswith(IMPORTER_PREFIX) or (
            self.imported and event.stamp.occurred_at < self.created_on
        )

    # -- the clock ---------------------------------------------------------------------------

    @event("DeadlineExtended")
    def _deadline_extended(
        self, stamp: Stamp, stage: str, working_days: int, reason: str, due_at: datetime,
        due_provisional: bool, due_working_days: int,
    ) -> None:
        assert self.deadline is not None
        self.deadline = self.deadline.moved(
            DueTime(due_at, due_provisional, due_working_days), extended=True
        )

    @event("DeadlineApproaching")
    def _deadline_approaching(
        self, stamp: Stamp, stage: str, due_at: datetime, department: str | None
    ) -> None:
        assert self.deadline is not None
        self.deadline = replace(self.deadline, warned=True)

    @event("DeadlineBreached")
    def _deadline_breached(
        self, stamp: Stamp, stage: str, due_at: datetime, department: str | None
    ) -> None:
        assert self.deadline is not None
        self.deadline = replace(self.deadline, breached=True)

    @event("Escalated")
    def _escalated(self, stamp: Stamp, stage: str, department: str | None, reason: str) -> None:
        self.escalations += 1

    @event("DeadlineRecomputed")
    def _deadline_recomputed(
        self, stamp: Stamp, stage: str, due_at: datetime, due_provisional: bool,
        due_working_days: int, previous_due_at: datetime, reason: str,
    ) -> None:
        assert self.deadline is not None
        self.deadline = self.deadline.moved(DueTime(due_at, due_provisional, due_working_days))

    def _start_clock(
        self, stage: Stage, stamp: Stamp, due_at: datetime | None, provisional: bool,
        working_days: int | None,
    ) -> None:
        """The stage's clock from the due time its event recorded; none, no clock."""
        due = DueTime.recorded(due_at, provisional, working_days)
        self.deadline = Deadline.starting(stage, stamp.occurred_at, due) if due else None

    # -- what the filer was told ----------------------------------------------------------

    @event("FilerNotified")
    def _filer_notified(
        self, stamp: Stamp, notification_id: str, channel: str, template: str,
        message_id: str, sent_at: datetime, text: str,
        channels: list[dict[str, Any]] | None = None,
    ) -> None:
        # Recorded once per channel before notices listed their `channels` (None): such an
        # event is its one channel, `channel`, `message_id` and `sent_at`; in a notice's
        # event those repeat the first of its channels, for readers of either kind.
        reached = channels if channels is not None else [
            {"channel": channel, "notification_id": notification_id,
             "message_id": message_id, "sent_at": sent_at}]
        notices.told(self.messages, notification_id=notification_id, template=template,
                     text=text, sent_at=sent_at, channels=reached,
                     position=self.version + 1)  # this event's, while it is being applied
        # The inbox always "delivers"; only a message that went out reached the filer.
        if any(each["channel"] != "inbox" for each in reached):
            self.filer_unreachable = False

    @event("FilerUnreachable")
    def _filer_unreachable(self, stamp: Stamp, notification_id: str, reason: str) -> None:
        self.failed_notifications.append(notification_id)
        self.filer_unreachable = True

    # -- the filer's personal data ---------------------------------------------------------

    def erase_personal_data(self, stamp: Stamp, basis: ErasureBasis, note: str = "") -> None:
        """Crypto-shredding: the application destroys the case's key with this event.

        A case still open is erased only because the filer asked; it then goes on without
        any way to reach them. What was recorded about its handling stays.
        """
        if self.personal_data_erased is not None:
            raise CaseRuleError(
                "already_erased", "this case's personal data was erased already",
                erased_at=self.personal_data_erased["erased_at"].isoformat(),
            )
        if self.status != Status.CLOSED and basis is not ErasureBasis.FILER_REQUEST:
            raise CaseRuleError(
                "case_open",
                "an open case's personal data is erased only at the filer's request",
                state=self.status, basis=basis.value,
            )
        self._personal_data_erased(stamp=stamp, basis=basis.value, note=note)

    @event("PersonalDataErased")
    def _personal_data_erased(self, stamp: Stamp, basis: str, note: str) -> None:
        self.personal_data_erased = {"erased_at": stamp.occurred_at, "basis": basis}

    # -- rules -------------------------------------------------------------------------------

    def _require(self, command: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise CaseStateError(command, self.status, tuple(allowed))

    def _require_review_settled(self, command: str) -> None:
        blocker = self.review.blocker
        if blocker:
            rule, message = blocker
            raise CaseRuleError(rule, f"cannot {command}: {message}", round=self.round)


def case_id_for(reference: str) -> UUID:
    return uuid5(CASE_NAMESPACE, reference)
