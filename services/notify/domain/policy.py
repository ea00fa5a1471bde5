"""The policy table: which event tells whom, with which template, through which channel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from shared.contract import event_types as wire
from shared.locale import CITY_TIME, DEFAULT_LANGUAGE, LANGUAGES

STAFF_LANGUAGE = DEFAULT_LANGUAGE
FILER = "filer"
SUPERVISOR = "supervisor"
INTAKE = "intake"
# The stage intake answers for; every later stage is the lead department's.
INTAKE_STAGE = "accept"
# The stage whose due date the filer was promised at filing and at assignment.
REPLY_STAGE = "reply"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    INBOX = "inbox"


class Audience(StrEnum):
    FILER = "filer"
    LEAD_DEPARTMENT = "lead_department"
    CO_DEPARTMENTS = "co_departments"
    RECEIVING_DEPARTMENT = "receiving_department"
    # Whoever answers for the event's stage: its department, or intake when there is none.
    ANSWERING = "answering"
    SUPERVISOR = "supervisor"


def _always(data: Mapping[str, Any]) -> bool:
    return True


def _bad_review(data: Mapping[str, Any]) -> bool:
    return bool(data.get("bad"))


def _reply_stage(data: Mapping[str, Any]) -> bool:
    return data.get("stage") == REPLY_STAGE


def _reply_date_moved(data: Mapping[str, Any]) -> bool:
    """The promised reply date changed as the filer reads it: a day in the city's calendar."""
    return _reply_stage(data) and _city_day(data["due_at"]) != _city_day(data["previous_due_at"])


def _city_day(moment: datetime | str) -> date:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment.astimezone(CITY_TIME) if moment.tzinfo else moment).date()


@dataclass(frozen=True)
class Rule:
    audience: Audience
    template: str
    when: Callable[[Mapping[str, Any]], bool] = _always


POLICY: Mapping[str, tuple[Rule, ...]] = {
    wire.FILED: (Rule(Audience.FILER, "filed"),),
    wire.REFERRED: (Rule(Audience.FILER, "referred"),),
    wire.ASSIGNED: (
        Rule(Audience.FILER, "assigned"),
        Rule(Audience.LEAD_DEPARTMENT, "department_assigned"),
        Rule(Audience.CO_DEPARTMENTS, "department_co_assigned"),
    ),
    wire.TRANSFERRED: (
        Rule(Audience.FILER, "transferred"),
        Rule(Audience.RECEIVING_DEPARTMENT, "department_transferred"),
    ),
    wire.INFORMATION_REQUESTED: (Rule(Audience.FILER, "information_requested"),),
    wire.PUBLIC_UPDATE: (Rule(Audience.FILER, "public_update"),),
    wire.RESPONDED: (Rule(Audience.FILER, "responded"),),
    wire.RATED: (
        Rule(Audience.SUPERVISOR, "bad_review", when=_bad_review),
        Rule(Audience.LEAD_DEPARTMENT, "bad_review", when=_bad_review),
    ),
    wire.REVIEW_CONCLUDED: (Rule(Audience.FILER, "review_concluded"),),
    wire.RECTIFIED: (Rule(Audience.FILER, "rectified"),),
    wire.FOLLOWED_UP: (Rule(Audience.FILER, "followed_up"),),
    wire.REOPENED: (Rule(Audience.FILER, "reopened"),),
    wire.CLOSED: (Rule(Audience.FILER, "closed"),),
    wire.DEADLINE_APPROACHING: (Rule(Audience.ANSWERING, "deadline_approaching"),),
    wire.DEADLINE_BREACHED: (Rule(Audience.ANSWERING, "deadline_breached"),),
    wire.ESCALATED: (
        Rule(Audience.SUPERVISOR, "escalated"),
        Rule(Audience.ANSWERING, "department_escalated"),
    ),
    wire.DEADLINE_EXTENDED: (
        Rule(Audience.FILER, "deadline_extended", when=_reply_stage),
        Rule(Audience.ANSWERING, "department_deadline_extended"),
    ),
    wire.DEADLINE_RECOMPUTED: (
        Rule(Audience.FILER, "deadline_recomputed", when=_reply_date_moved),
    ),
}


class Mailboxes(Protocol):
    """Where departments, the intake desk and the supervisor read their mail."""

    @property
    def supervisor(self) -> str: ...

    @property
    def intake(self) -> str: ...

    def department(self, code: str) -> str | None: ...


@dataclass(frozen=True)
class Notice:
    """One message to plan: to whom (a role, never an address), how, where, in which words."""

    recipient: str
    channel: Channel
    address: str
    template: str
    language: str

    @property
    def filer_facing(self) -> bool:
        return self.recipient == FILER


def plan_notices(
    event_type: str, case_id: str, data: Mapping[str, Any], mailboxes: Mailboxes
) -> list[Notice]:
    """Every message an event calls for, the filer's inbox first among the filer's.

    A historical event (imported from an older system) calls for none: it happened years
    ago, and nobody is to be told of it now.
    """
    if data.get("historical"):
        return []
    notices: list[Notice] = []
    for rule in POLICY.get(event_type, ()):
        if rule.when(data):
            notices.extend(_notices_for(rule, case_id, data, mailboxes))
    return list(dict.fromkeys(notices))


def fallback_for(notice: Notice, case: Mapping[str, Any]) -> Notice | None:
    """The next channel when `notice` could not be delivered: email → SMS, if a phone is known."""
    phone = _filer(case).get("phone")
    if notice.filer_facing and notice.channel is Channel.EMAIL and phone:
        return replace(notice, channel=Channel.SMS, address=phone)
    return None


def filer_channels(case: Mapping[str, Any], case_id: str) -> list[tuple[Channel, str]]:
    """(channel, address) pairs: always the inbox, then what the filer chose and can receive."""
    filer = _filer(case)
    addresses = {
        Channel.EMAIL: filer.get("email") or "",
        Channel.SMS: filer.get("phone") or "",
        Channel.WEBHOOK: filer.get("webhook_url") or "",
    }
    chosen = [Channel(name) for name in filer.get("notify_by") or () if name in addresses]
    usable = [channel for channel in dict.fromkeys(chosen) if addresses[channel]]
    if not usable:
        default = Channel.EMAIL if addresses[Channel.EMAIL] else Channel.SMS
        usable = [default] if addresses[default] else []
    return [(Channel.INBOX, case_id)] + [(channel, addresses[channel]) for channel in usable]


def filer_language(case: Mapping[str, Any]) -> str:
    language = case.get("language") or _filer(case).get("language")
    return language if language in LANGUAGES else STAFF_LANGUAGE


def _notices_for(
    rule: Rule, case_id: str, data: Mapping[str, Any], mailboxes: Mailboxes
) -> list[Notice]:
    case = data["case"]
    if rule.audience is Audience.FILER:
        language = filer_language(case)
        return [
            Notice(FILER, channel, address, rule.template, language)
            for channel, address in filer_channels(case, case_id)
        ]
    if rule.audience is Audience.SUPERVISOR:
        return [Notice(SUPERVISOR, Channel.EMAIL, mailboxes.supervisor, rule.template,
                       STAFF_LANGUAGE)]
    if rule.audience is Audience.ANSWERING and answering_department(data) is None:
        return [Notice(INTAKE, Channel.EMAIL, mailboxes.intake, rule.template, STAFF_LANGUAGE)]
    notices = []
    for code in _departments(rule.audience, data):
        mailbox = mailboxes.department(code)
        if mailbox:
            notices.append(Notice(f"department:{code}", Channel.EMAIL, mailbox, rule.template,
                                  STAFF_LANGUAGE))
    return notices


def _departments(audience: Audience, data: Mapping[str, Any]) -> list[str]:
    case = data["case"]
    if audience is Audience.LEAD_DEPARTMENT:
        lead = data.get("lead") or case.get("lead_department")
        return [lead] if lead else []
    if audience is Audience.CO_DEPARTMENTS:
        return list(data.get("co") or case.get("co_departments") or [])
    if audience is Audience.ANSWERING:
        answering = answering_department(data)
        return [answering] if answering else []
    to = data.get("to")
    return [to] if to else []


def answering_department(data: Mapping[str, Any]) -> str | None:
    """The department that answers for the event's stage; None when intake does.

    Deadline events name it (`department`); an extension does not, so it follows the
    complaints service's rule: intake answers for accepting, the lead department after.
    """
    if "department" in data:
        return data["department"]
    if data.get("stage") == INTAKE_STAGE:
        return None
    return data["case"].get("lead_department")


def _filer(case: Mapping[str, Any]) -> Mapping[str, Any]:
    return case.get("filer") or {}
