"""The Complaints application: one command per case event, each one load → decide → save."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Transcoder, Transcoding

from complaints.adapters.intake_records import IdempotencyClaim, IntakeRecords
from complaints.application.access_codes import (
    access_code_matches,
    derive_access_code,
    hash_access_code,
)
from complaints.application.permissions import authorize, authorize_read
from complaints.application.principals import (
    SYSTEM,
    AuthenticationError,
    PermissionDeniedError,
    Principal,
)
from complaints.application.routing import RoutingTable
from complaints.domain.case import Case, case_id_for, due_fields
from complaints.domain.chain import canonical
from complaints.domain.credit_code import credit_code_problem
from complaints.domain.errors import CaseRuleError, DomainError, InvalidValueError
from complaints.domain.values import STAFF_CHANNELS, Channel, Role, Stage, Stamp
from complaints.timelimits.deadlines import CITY_TIME, Deadlines
from shared.webhooks import webhook_secret

REFERENCE_PATTERN = re.compile(r"^HY-(\d{4})-(\d{6,})$")
CLOCK_SKEW = timedelta(minutes=5)


class CaseNotFoundError(DomainError):
    code = "not_found"


class VersionConflictError(DomainError):
    code = "version_conflict"


class IdempotencyKeyReusedError(DomainError):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Filing:
    """What the filer is told once: the reference and the access code."""

    case_id: UUID
    reference: str
    access_code: str
    replayed: bool
    webhook_secret: str | None = None


class StampAsDict(Transcoding):
    type = Stamp
    name = "stamp"

    def encode(self, obj: Stamp) -> dict[str, Any]:
        return {
            "actor_id": obj.actor_id,
            "actor_role": obj.actor_role,
            "occurred_at": obj.occurred_at,
        }

    def decode(self, data: dict[str, Any]) -> Stamp:
        return Stamp(**data)


class Complaints(Application):
    name = "Complaints"

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        secret_key: str,
        routing: RoutingTable,
        deadlines: Deadlines | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(env=dict(env))
        self.secret_key = secret_key
        self.routing = routing
        self.deadlines = deadlines or Deadlines.load()
        self.clock = clock

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(StampAsDict())

    @property
    def intake_records(self) -> IntakeRecords:
        return self.recorder  # type: ignore[return-value]

    # -- filing ----------------------------------------------------------------------------

    def file_case(
        self,
        principal: Principal,
        submission: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Filing:
        self._check_filing(principal, submission)
        digest = _digest(submission)
        scoped_key = f"{principal.actor_id}:{idempotency_key}" if idempotency_key else None
        if scoped_key:
            claim = self.intake_records.find_idempotency_claim(scoped_key)
            if claim is not None:
                return self._replay(claim, digest)
        stamp = principal.stamp(self._occurred(principal, occurred_at))
        year = stamp.occurred_at.astimezone(CITY_TIME).year
        reference = f"HY-{year}-{self.intake_records.next_reference_number(year):06d}"
        case_id = case_id_for(reference)
        filer = dict(submission.get("filer") or {})
        case = Case(
            stamp=stamp,
            reference=reference,
            channel=submission["channel"],
            filer=filer,
            on_behalf_of=principal.role is not Role.FILER,
            category=submission["category"],
            subject=submission["subject"],
            description=submission["description"],
            happened_on=submission.get("happened_on"),
            happened_at_place=submission.get("happened_at_place", ""),
            attachments=list(submission.get("attachments", [])),
            confidential=bool(submission.get("confidential", False)),
            anonymous=bool(submission.get("anonymous", False)),
            access_code_hash=hash_access_code(derive_access_code(self.secret_key, case_id)),
            submission_digest=digest,
            **due_fields(
                self.deadlines.start(Stage.ACCEPT, submission["category"], stamp.occurred_at)
            ),
        )
        claim = IdempotencyClaim(scoped_key, case_id, digest) if scoped_key else None
        try:
            self.save(case, idempotency=claim)
        except IntegrityError:
            existing = (
                self.intake_records.find_idempotency_claim(scoped_key) if scoped_key else None
            )
            if existing is None:
                raise
            return self._replay(existing, digest)
        return self._filing(case, replayed=False)

    def _check_filing(self, principal: Principal, submission: Mapping[str, Any]) -> None:
        if principal.role not in (Role.FILER, Role.INTAKE, Role.SUPERVISOR):
            raise PermissionDeniedError(
                f"the {principal.role.value} role may not file a case",
                allowed_roles=["filer", "intake", "supervisor"],
            )
        channel = Channel(submission["channel"])
        staff_channel = channel in STAFF_CHANNELS
        if staff_channel != (principal.role is not Role.FILER):
            raise InvalidValueError(
                f"channel {channel.value} is for "
                + ("staff filing for a caller" if staff_channel else "the filer's own filing"),
                field="channel",
            )
        self.routing.propose(submission["category"])
        code = (submission.get("filer") or {}).get("credit_code")
        if code and (problem := credit_code_problem(code)):
            raise InvalidValueError(f"credit code {problem}", field="filer.credit_code")

    def _replay(self, claim: IdempotencyClaim, digest: str) -> Filing:
        if claim.digest != digest:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was used for a different submission"
            )
        return self._filing(self.load_case(claim.case_id), replayed=True)

    def _filing(self, case: Case, *, replayed: bool) -> Filing:
        """What the filer is told at filing; both secrets are derived, never stored."""
        signing = None
        if case.filer.get("webhook_url"):
            signing = webhook_secret(self.secret_key, case.id)
        code = derive_access_code(self.secret_key, case.id)
        return Filing(case.id, case.reference, code, replayed, signing)

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
            self.routing.require_departments(chosen_lead, *chosen_co)
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
            **options,
        )

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
            due = self.deadlines.extended(deadline, working_days)
            case.extend_deadline(
                stamp, Stage(stage), working_days, reason, due, self.deadlines.max_extension
            )

        return self._act(principal, case_id, "extend_deadline", extend, **options)

    def watch_deadline(self, case_id: UUID, principal: Principal = SYSTEM) -> str | None:
        """What the watchdog does to one case now: "breached", "warned", or None.

        A breach is recorded as of the moment the limit passed, so a watchdog catching up
        after downtime writes the history as it happened. Two watchdogs racing on a case
        meet the store's version check: the loser reloads and finds nothing left to do.
        """
        for _attempt in range(3):
            case = self.load_case(case_id)
            deadline = case.deadline
            now = self.clock()
            if deadline is None or deadline.breached:
                return None
            try:
                if deadline.passed_by(now):
                    self._act(principal, case_id, "watch", lambda c, s: c.breach_deadline(s),
                              occurred_at=min(now, _just_after(deadline.due_at)))
                    return "breached"
                if (
                    not deadline.warned
                    and deadline.running
                    and deadline.started_at < (warn_from := self.deadlines.warn_from(deadline))
                    and now >= warn_from
                ):
                    self._act(principal, case_id, "watch", lambda c, s: c.warn_deadline(s))
                    return "warned"
                return None
            except VersionConflictError:
                continue
            except CaseRuleError:
                return None
        return None

    def recompute_deadline(
        self, case_id: UUID, reason: str, principal: Principal = SYSTEM
    ) -> Case | None:
        """Walk a provisional due time again on the calendar as it now stands; None if not."""

        def recompute(case: Case, stamp: Stamp) -> None:
            assert case.deadline is not None
            case.recompute_deadline(stamp, self.deadlines.recomputed(case.deadline), reason)

        case = self.load_case(case_id)
        if case.deadline is None or not case.deadline.provisional:
            return None
        if self.deadlines.recomputed(case.deadline) == case.deadline.due:
            return None  # the calendar gives the same answer: nothing moved
        return self._act(principal, case_id, "recompute_deadline", recompute,
                         expected_version=case.version)

    def record_receipt(
        self, case_id: UUID, notification_id: str, *, delivered: bool, channel: str = "",
        template: str = "", message_id: str = "", sent_at: datetime | None = None,
        text: str = "", reason: str = "",
    ) -> bool:
        """Record what the notify service reports, once per notification; False if known."""

        def record(case: Case, stamp: Stamp) -> None:
            if delivered:
                case.record_filer_notified(stamp, notification_id, channel, template,
                                           message_id, sent_at or stamp.occurred_at, text)
            else:
                case.record_filer_unreachable(stamp, notification_id, reason)

        try:
            self._act(SYSTEM, case_id, "record_receipt", record)
        except CaseRuleError as error:
            if error.rule != "receipt_recorded":
                raise
            return False
        except VersionConflictError:
            # A concurrent write; a duplicate receipt is the likely one, so look again.
            case = self.load_case(case_id)
            if case.was_told(notification_id) or notification_id in case.failed_notifications:
                return False
            raise
        return True

    def _act(
        self,
        principal: Principal,
        case_id: UUID,
        command: str,
        decide: Callable[[Case, Stamp], None],
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Case:
        case = self.load_case(case_id)
        authorize(principal, command, case)
        if expected_version is not None and expected_version != case.version:
            raise VersionConflictError(
                f"the case is at version {case.version}, not {expected_version}",
                current_version=case.version,
            )
        decide(case, principal.stamp(self._occurred(principal, occurred_at)))
        try:
            self.save(case)
        except IntegrityError:
            raise VersionConflictError(
                "the case was changed by someone else at the same time; reload and retry"
            ) from None
        return case

    # -- reading ---------------------------------------------------------------------------

    def load_case(self, case_id: UUID, version: int | None = None) -> Case:
        try:
            case = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFoundError(f"no case {case_id}") from None
        if not isinstance(case, Case):
            raise CaseNotFoundError(f"no case {case_id}")
        return case

    def read_case(self, principal: Principal, case_id: UUID) -> Case:
        case = self.load_case(case_id)
        authorize_read(principal, case)
        return case

    def resolve_case_id(self, text: str) -> UUID:
        """A case named by its reference (HY-2026-000123) or its id."""
        if REFERENCE_PATTERN.match(text):
            return case_id_for(text)
        try:
            return UUID(text)
        except ValueError:
            raise CaseNotFoundError(f"no case {text!r}") from None

    def authenticate_filer(self, reference: str, access_code: str) -> Principal:
        refused = AuthenticationError("the reference or the access code is wrong")
        if not REFERENCE_PATTERN.match(reference):
            raise refused
        try:
            case = self.load_case(case_id_for(reference))
        except CaseNotFoundError:
            raise refused from None
        if not access_code_matches(access_code, case.access_code_hash):
            raise refused
        return Principal(actor_id=f"filer:{reference}", role=Role.FILER, case_id=case.id)

    def _occurred(self, principal: Principal, occurred_at: datetime | None) -> datetime:
        now = self.clock()
        if occurred_at is None:
            return now
        if principal.role is Role.FILER:
            raise InvalidValueError(
                "only staff may record when something happened", field="occurred_at"
            )
        if occurred_at.tzinfo is None:
            raise InvalidValueError("occurred_at needs a time zone", field="occurred_at")
        if occurred_at > now + CLOCK_SKEW:
            raise InvalidValueError("occurred_at is in the future", field="occurred_at")
        return occurred_at.astimezone(UTC)


def _just_after(moment: datetime) -> datetime:
    return moment + timedelta(seconds=1)


def _digest(submission: Mapping[str, Any]) -> str:
    encoded = json.dumps(canonical(submission), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()
