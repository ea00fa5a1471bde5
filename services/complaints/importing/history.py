"""One historical case built by the Case aggregate's own commands, at the times the source gives.

Its clock is the one a case filed today runs against, walked from the recorded times, so the
figures about it agree with each other: a stage that ended after its due time (or is still
open past it at the import) records its breach and escalation, at the moment the limit
passed, as the watchdog would have. A stage whose end the source does not date (no
assignment or reply column) is given no due time: its time is not recorded, so it is neither
on time nor late (the scorecards count it apart), and no breach is made up for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.application.access_codes import derive_access_code, hash_access_code
from complaints.application.service import Complaints
from complaints.domain.case import Case, case_id_for
from complaints.domain.deadline import DueTime
from complaints.domain.values import STAFF_CHANNELS, Role, Stage, Stamp
from complaints.importing.mapping import ImportMapping
from complaints.importing.rows import HistoricalCase

# A stage is on time at its due time itself; the limit has passed the moment after.
_PAST = timedelta(microseconds=1)


@dataclass(frozen=True)
class DueTimes:
    accept: DueTime  # recorded by Filed
    reply: DueTime  # recorded by Assigned


def due_times(
    app: Complaints, case: HistoricalCase, known: dict[tuple[Stage, str, datetime], DueTime]
    | None = None,
) -> DueTimes:
    """The due times of an imported case's stages: the one place the import computes them.

    `known` keeps those walked already in a batch: a history's cases share their days (a
    source often dates them to the day), and a walk on the calendar is a tenth of a case's
    build; within a batch the calendar does not change.
    """
    known = {} if known is None else known

    def start(stage: Stage, at: datetime) -> DueTime:
        due = known.get((stage, case.category, at))
        if due is None:
            due = known[stage, case.category, at] = app.deadlines.start(stage, case.category, at)
        return due

    return DueTimes(accept=start(Stage.ACCEPT, case.filed_at),
                    reply=start(Stage.REPLY, case.assigned_at))


def historical_case(
    app: Complaints,
    mapping: ImportMapping,
    case: HistoricalCase,
    reference: str,
    now: datetime,
    known: dict[tuple[Stage, str, datetime], DueTime] | None = None,
) -> Case:
    """Filed → Accepted → Assigned, and for a replied one Responded (→ Rated) → Closed; each
    late stage's breach before the step that ended it."""

    def at(moment: datetime) -> Stamp:
        return Stamp(mapping.actor_id, Role.SYSTEM.value, moment)

    def breach_if_late(due: DueTime | None, ended_at: datetime) -> None:
        if due is not None and ended_at > due.at:
            aggregate.breach_deadline(at(due.at + _PAST))

    route = app.routing.propose(case.category)
    lead = case.department or route.lead
    due = due_times(app, case, known)
    accept_due = due.accept if case.assigned_at_recorded else None
    replied = case.outcome is not None
    reply_due = due.reply if case.reply_at_recorded or not replied else None
    case_id = case_id_for(reference)
    aggregate = Case.file(
        at(case.filed_at),
        reference,
        case.filer,
        accept_due,
        app.case_keys.sealer(case_id, new_case=True) if app.case_keys else None,
        channel=case.channel,
        on_behalf_of=case.channel in STAFF_CHANNELS,
        category=case.category,
        subject=case.subject,
        description=case.description,
        happened_on=None,
        happened_at_place=case.place,
        attachments=[],
        confidential=False,
        anonymous=case.anonymous,
        access_code_hash=hash_access_code(derive_access_code(app.secret_key, case_id)),
        submission_digest=case.digest,
    )
    breach_if_late(accept_due, case.assigned_at)
    # The source says when the case was sent on, not when it was accepted: by then, at least.
    aggregate.accept(at(case.assigned_at), lead=route.lead, co=list(route.co))
    aggregate.assign(at(case.assigned_at), lead, [code for code in route.co if code != lead],
                     reply_due)
    if not replied:
        breach_if_late(reply_due, now)
        return aggregate
    breach_if_late(reply_due, case.reply_at)
    aggregate.respond(at(case.reply_at), case.outcome, case.reply_text, [])
    closed_at = case.reply_at
    if case.rating is not None and case.rating_at is not None:
        aggregate.rate(at(case.rating_at), case.rating, case.rating_comment, case.channel)
        closed_at = case.rating_at
    # A bad review keeps the case open for its re-check, as it would today.
    if aggregate.review.blocker is None:
        aggregate.close(at(closed_at))
    return aggregate
