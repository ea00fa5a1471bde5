"""The Case aggregate: one complaint from filing to closing, and the rules it keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from complaints.domain.chain import GENESIS, event_hash
from complaints.domain.deadline import Deadline, DueTime
from complaints.domain.errors import CaseRuleError, CaseStateError
from complaints.domain.review import Review
from complaints.domain.values import BAD_RATING_MAX, Stage, Stamp, Status

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "https://huiyin.example/cases")
# Why a case went to the supervisor: a code, put into words by whoever tells people.
DEADLINE_BREACHED = "deadline_breached"
# Whoever's actor id begins so brought the case over from an older system (`huiyin import`).
IMPORTER_PREFIX = "import:"
OPEN_STATES = (Status.FILED, Status.ACCEPTED, Status.ASSIGNED, Status.AWAITING_INFORMATION)


class Case(Aggregate):
    """A complaint. Public methods check the rules; the `_past_tense` methods record facts."""

    class Event(Aggregate.Event):
        stamp: Stamp
        prev_hash: str
        hash: str

        def mutate(self, aggregate: Case | None) -> Case | None:
            case = super().mutate(aggregate)
            case.head_hash = self.hash
            return case

    @staticmethod
    def create_id(reference: str) -> UUID:
        """A case's id follows from its reference, so either one finds it."""
        return case_id_for(reference)

    # -- the chain of hashes -------------------------------------------------------------

    @classmethod
    def _create(cls, event_class: type, *, id: UUID | None = None, **kwargs: Any) -> Case:
        id = id or cls.create_id(kwargs["reference"])
        kwargs.setdefault("timestamp", event_class.create_timestamp())
        kwargs["prev_hash"] = GENESIS
        kwargs["hash"] = _hash_of(event_class, id, 1, kwargs)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: type, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", event_class.create_timestamp())
        kwargs["prev_hash"] = self.head_hash
        kwargs["hash"] = _hash_of(event_class, self.id, self.version + 1, kwargs)
        super().trigger_event(event_class, **kwargs)

    # -- filing ----------------------------------------------------------------------------

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
        self.filer = filer
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
        self.review = Review()
        self.closed_at: datetime | None = None
        self.messages: list[dict[str, Any]] = []
        self.failed_notifications: list[str] = []
        self.filer_unreachable = False
        self.requested_at: datetime | None = None
        self.escalations = 0

    # -- intake ----------------------------------------------------------------------------

    def accept(self, stamp: Stamp, lead: str, co: list[str]) -> None:
        self._require("accept", Status.FILED)
        self._accepted(stamp=stamp, proposed_lead=lead, proposed_co=co)

    @event("Accepted")
    def _accepted(self, stamp: Stamp, proposed_lead: str, proposed_co: list[str]) -> None:
        self.status = Status.ACCEPTED
        self.proposed_lead = proposed_lead
        self.proposed_co = list(proposed_co)

    def refer(self, stamp: Stamp, reason: str, where_to: str) -> None:
        self._require("refer", Status.FILED, Status.ACCEPTED)
        self._referred(stamp=stamp, reason=reason, where_to=where_to)

    @event("Referred")
    def _referred(self, stamp: Stamp, reason: str, where_to: str) -> None:
        self.status = Status.REFERRED
        self.referred_to = where_to
        self.deadline = None

    def assign(
        self, stamp: Stamp, lead: str, co: list[str], due: DueTime | None = None
    ) -> None:
        self._require("assign", Status.ACCEPTED)
        if lead in co:
            raise CaseRuleError("lead_not_co_handler", "the lead department cannot also co-handle")
        self._assigned(stamp=stamp, lead=lead, co=co, **due_fields(due))

    @event("Assigned")
    def _assigned(
        self, stamp: Stamp, lead: str, co: list[str], due_at: datetime | None,
        due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.status = Status.ASSIGNED
        self.lead_department = lead
        self.co_departments = list(co)
        self._start_clock(Stage.REPLY, stamp, due_at, due_provisional, due_working_days)

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

    def request_information(self, stamp: Stamp, items: list[str]) -> None:
        self._require("request_information", Status.FILED, Status.ACCEPTED, Status.ASSIGNED)
        if not items:
            raise CaseRuleError("items_required", "list every item that is missing, at once")
        self._information_requested(stamp=stamp, items=items)

    @event("InformationRequested")
    def _information_requested(self, stamp: Stamp, items: list[str]) -> None:
        self.resume_status = self.status
        self.status = Status.AWAITING_INFORMATION
        self.requested_items = list(items)
        self.requested_at = stamp.occurred_at
        if self.deadline:
            self.deadline = replace(self.deadline, paused_since=stamp.occurred_at)

    def supply_information(
        self, stamp: Stamp, content: str, attachments: list[str], due: DueTime | None = None
    ) -> None:
        """The filer answers; `due` is the paused stage's due time moved by the days waited."""
        self._require("supply_information", Status.AWAITING_INFORMATION)
        self._information_supplied(
            stamp=stamp, content=content, attachments=attachments, **due_fields(due)
        )

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
        self._responded(stamp=stamp, outcome=outcome, reply=reply, actions=actions)

    @event("Responded")
    def _responded(self, stamp: Stamp, outcome: str, reply: str, actions: list[str]) -> None:
        self.status = Status.RESPONDED
        self.reply = {
            "outcome": outcome,
            "reply": reply,
            "actions": list(actions),
            "round": self.round,
            "responded_at": stamp.occurred_at,
        }
        self.deadline = None

    # -- the filer's review and its closed loop ------------------------------------------------

    def rate(self, stamp: Stamp, score: int, comment: str, channel: str) -> None:
        self._require("rate", Status.RESPONDED)
        if self.review.score is not None:
            raise CaseRuleError(
                "one_rating_per_round",
                f"round {self.round} of this case has been rated already",
                round=self.round,
            )
        self._rated(stamp=stamp, round=self.round, score=score, comment=comment, channel=channel)

    @event("Rated")
    def _rated(self, stamp: Stamp, round: int, score: int, comment: str, channel: str) -> None:
        self.review = self.review.rated(score, bad=score <= BAD_RATING_MAX)

    def invalidate_rating(self, stamp: Stamp, invalidation_class: str, reason: str) -> None:
        if self.review.score is None:
            raise CaseRuleError("rating_required", "there is no rating in this round to invalidate")
        if self.review.invalidated:
            raise CaseRuleError("rating_already_invalidated", "this rating was invalidated already")
        self._rating_invalidated(
            stamp=stamp, round=self.round, invalidation_class=invalidation_class, reason=reason
        )

    @event("RatingInvalidated")
    def _rating_invalidated(
        self, stamp: Stamp, round: int, invalidation_class: str, reason: str
    ) -> None:
        self.review = self.review.invalidated_as(invalidation_class)

    def conclude_review(
        self, stamp: Stamp, upheld: bool, explanation: str, due: DueTime | None = None
    ) -> None:
        """The supervisor's re-check; an upheld review starts the rectification clock (`due`)."""
        if not self.review.awaits_recheck:
            raise CaseRuleError(
                "bad_review_required", "only a valid bad review awaiting re-check can be concluded"
            )
        self._review_concluded(
            stamp=stamp, round=self.round, upheld=upheld, explanation=explanation,
            **due_fields(due if upheld else None),
        )

    @event("ReviewConcluded")
    def _review_concluded(
        self, stamp: Stamp, round: int, upheld: bool, explanation: str,
        due_at: datetime | None, due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.review = self.review.concluded(upheld)
        self._start_clock(Stage.RECTIFY, stamp, due_at, due_provisional, due_working_days)

    def rectify(self, stamp: Stamp, actions: list[str], due: DueTime | None = None) -> None:
        """The rectification; `due` is the return visit's due time."""
        if not self.review.awaits_rectification:
            raise CaseRuleError(
                "upheld_review_required", "rectification follows an upheld bad review, once"
            )
        self._rectified(stamp=stamp, round=self.round, actions=actions, **due_fields(due))

    @event("Rectified")
    def _rectified(
        self, stamp: Stamp, round: int, actions: list[str], due_at: datetime | None,
        due_provisional: bool, due_working_days: int | None,
    ) -> None:
        self.review = self.review.rectify()
        self._start_clock(Stage.RETURN_VISIT, stamp, due_at, due_provisional, due_working_days)

    def follow_up(self, stamp: Stamp, method: str, satisfied: bool, notes: str) -> None:
        if not self.review.awaits_return_visit:
            raise CaseRuleError(
                "rectification_required", "a return visit follows a recorded rectification"
            )
        self._followed_up(
            stamp=stamp, round=self.round, method=method, satisfied=satisfied, notes=notes
        )

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

    @property
    def due_at(self) -> datetime | None:
        return self.deadline.due_at if self.deadline else None

    @property
    def deadline_department(self) -> str | None:
        """Who answers for the running stage: the lead department, or intake (None)."""
        if self.deadline is None or self.deadline.stage is Stage.ACCEPT:
            return None
        return self.lead_department

    def extend_deadline(
        self, stamp: Stamp, stage: Stage, working_days: int, reason: str, due: DueTime,
        most: int,
    ) -> None:
        """The supervisor moves a stage's due time on, once per stage, by at most `most` days."""
        deadline = self.running_deadline(stage)
        if deadline.extended:
            raise CaseRuleError(
                "one_extension_per_stage", f"the {stage} stage was extended already", stage=stage
            )
        if not 1 <= working_days <= most:
            raise CaseRuleError(
                "extension_too_long",
                f"an extension is 1 to {most} working days, not {working_days}",
                most=most,
            )
        self._deadline_extended(
            stamp=stamp, stage=stage, working_days=working_days, reason=reason,
            due_at=due.at, due_provisional=due.provisional, due_working_days=due.working_days,
        )

    @event("DeadlineExtended")
    def _deadline_extended(
        self, stamp: Stamp, stage: str, working_days: int, reason: str, due_at: datetime,
        due_provisional: bool, due_working_days: int,
    ) -> None:
        assert self.deadline is not None
        self.deadline = self.deadline.moved(
            DueTime(due_at, due_provisional, due_working_days), extended=True
        )

    def warn_deadline(self, stamp: Stamp) -> None:
        """One working day before the due time, the department is warned, once per stage."""
        deadline = self.running_deadline()
        if deadline.warned or deadline.breached:
            raise CaseRuleError("deadline_warned", "this stage was warned of already")
        self._deadline_approaching(
            stamp=stamp, stage=deadline.stage, due_at=deadline.due_at,
            department=self.deadline_department,
        )

    @event("DeadlineApproaching")
    def _deadline_approaching(
        self, stamp: Stamp, stage: str, due_at: datetime, department: str | None
    ) -> None:
        assert self.deadline is not None
        self.deadline = replace(self.deadline, warned=True)

    def breach_deadline(self, stamp: Stamp) -> None:
        """The limit passed: recorded once per stage, and escalated to the supervisor."""
        deadline = self.deadline
        if deadline is None:
            raise CaseRuleError("no_running_deadline", "no stage of this case runs against a limit")
        if deadline.breached:
            raise CaseRuleError("deadline_breached", "this stage's breach was recorded already")
        if not deadline.passed_by(stamp.occurred_at):
            raise CaseRuleError(
                "deadline_not_passed", f"the {deadline.stage} stage is due at {deadline.due_at}"
            )
        department = self.deadline_department
        self._deadline_breached(
            stamp=stamp, stage=deadline.stage, due_at=deadline.due_at, department=department
        )
        self._escalated(
            stamp=stamp, stage=deadline.stage, department=department, reason=DEADLINE_BREACHED
        )

    @event("DeadlineBreached")
    def _deadline_breached(
        self, stamp: Stamp, stage: str, due_at: datetime, department: str | None
    ) -> None:
        assert self.deadline is not None
        self.deadline = replace(self.deadline, breached=True)

    @event("Escalated")
    def _escalated(self, stamp: Stamp, stage: str, department: str | None, reason: str) -> None:
        self.escalations += 1

    def recompute_deadline(self, stamp: Stamp, due: DueTime, reason: str) -> None:
        """A provisional due time walked again on a newer calendar (an official schedule)."""
        deadline = self.deadline
        if deadline is None or not deadline.provisional:
            raise CaseRuleError(
                "deadline_not_provisional", "only a provisional due time is recomputed"
            )
        self._deadline_recomputed(
            stamp=stamp, stage=deadline.stage, due_at=due.at, due_provisional=due.provisional,
            due_working_days=due.working_days, previous_due_at=deadline.due_at, reason=reason,
        )

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
        self.deadline = (
            Deadline.starting(
                stage, stamp.occurred_at, DueTime(due_at, provisional, working_days or 0)
            )
            if due_at is not None
            else None
        )

    def running_deadline(self, stage: Stage | None = None) -> Deadline:
        deadline = self.deadline
        if deadline is None:
            raise CaseRuleError("no_running_deadline", "no stage of this case runs against a limit")
        if stage is not None and deadline.stage != stage:
            raise CaseRuleError(
                "deadline_stage_mismatch",
                f"the running stage is {deadline.stage}, not {stage}",
                stage=deadline.stage,
            )
        return deadline

    # -- what the filer was told ----------------------------------------------------------

    def was_told(self, notification_id: str) -> bool:
        return any(message["notification_id"] == notification_id for message in self.messages)

    def record_filer_notified(
        self, stamp: Stamp, notification_id: str, channel: str, template: str,
        message_id: str, sent_at: datetime, text: str,
    ) -> None:
        """A notification reached the filer; recorded once, in whatever state the case is."""
        if self.was_told(notification_id):
            raise CaseRuleError("receipt_recorded", "this notification was recorded already",
                                notification_id=notification_id)
        self._filer_notified(stamp=stamp, notification_id=notification_id, channel=channel,
                             template=template, message_id=message_id, sent_at=sent_at,
                             text=text)

    @event("FilerNotified")
    def _filer_notified(
        self, stamp: Stamp, notification_id: str, channel: str, template: str,
        message_id: str, sent_at: datetime, text: str,
    ) -> None:
        self.messages.append({"notification_id": notification_id, "channel": channel,
                              "template": template, "message_id": message_id,
                              "sent_at": sent_at, "text": text})
        # The inbox always "delivers"; only a message that went out reached the filer.
        if channel != "inbox":
            self.filer_unreachable = False

    def record_filer_unreachable(self, stamp: Stamp, notification_id: str, reason: str) -> None:
        """Every channel failed: intake staff must call the filer."""
        if notification_id in self.failed_notifications:
            raise CaseRuleError("receipt_recorded", "this failure was recorded already",
                                notification_id=notification_id)
        self._filer_unreachable(stamp=stamp, notification_id=notification_id, reason=reason)

    @event("FilerUnreachable")
    def _filer_unreachable(self, stamp: Stamp, notification_id: str, reason: str) -> None:
        self.failed_notifications.append(notification_id)
        self.filer_unreachable = True

    # -- rules -------------------------------------------------------------------------------

    def _require(self, command: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise CaseStateError(command, self.status, tuple(allowed))

    def _require_review_settled(self, command: str) -> None:
        blocker = self.review.blocker
        if blocker:
            rule, message = blocker
            raise CaseRuleError(rule, f"cannot {command}: {message}", round=self.round)


def due_fields(due: DueTime | None) -> dict[str, Any]:
    """A due time as the fields of the event that records it."""
    if due is None:
        return {"due_at": None, "due_provisional": False, "due_working_days": None}
    return {
        "due_at": due.at,
        "due_provisional": due.provisional,
        "due_working_days": due.working_days,
    }


def case_id_for(reference: str) -> UUID:
    return uuid5(CASE_NAMESPACE, reference)


def _hash_of(event_class: type, case_id: Any, version: int, fields: Mapping[str, Any]) -> str:
    return event_hash(
        event_class.__qualname__,
        {**fields, "originator_id": case_id, "originator_version": version},
    )
