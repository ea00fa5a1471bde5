"""The policy table: which event tells whom, with which template, through which channel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

LANGUAGES = ("zh", "en", "ru")
STAFF_LANGUAGE = "zh"
FILER = "filer"
SUPERVISOR = "supervisor"


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
    SUPERVISOR = "supervisor"


def _always(data: Mapping[str, Any]) -> bool:
    return True


def _bad_review(data: Mapping[str, Any]) -> bool:
    return bool(data.get("bad"))


@dataclass(frozen=True)
class Rule:
    audience: Audience
    template: str
    when: Callable[[Mapping[str, Any]], bool] = _always


POLICY: Mapping[str, tuple[Rule, ...]] = {
    "case.filed": (Rule(Audience.FILER, "filed"),),
    "case.referred": (Rule(Audience.FILER, "referred"),),
    "case.assigned": (
        Rule(Audience.FILER, "assigned"),
        Rule(Audience.LEAD_DEPARTMENT, "department_assigned"),
        Rule(Audience.CO_DEPARTMENTS, "department_co_assigned"),
    ),
    "case.transferred": (
        Rule(Audience.FILER, "transferred"),
        Rule(Audience.RECEIVING_DEPARTMENT, "department_transferred"),
    ),
    "case.information_requested": (Rule(Audience.FILER, "information_requested"),),
    "case.public_update": (Rule(Audience.FILER, "public_update"),),
    "case.responded": (Rule(Audience.FILER, "responded"),),
    "case.rated": (
        Rule(Audience.SUPERVISOR, "bad_review", when=_bad_review),
        Rule(Audience.LEAD_DEPARTMENT, "bad_review", when=_bad_review),
    ),
    "case.review_concluded": (Rule(Audience.FILER, "review_concluded"),),
    "case.rectified": (Rule(Audience.FILER, "rectified"),),
    "case.followed_up": (Rule(Audience.FILER, "followed_up"),),
    "case.reopened": (Rule(Audience.FILER, "reopened"),),
    "case.closed": (Rule(Audience.FILER, "closed"),),
}


class Mailboxes(Protocol):
    """Where departments and the supervisor read their mail."""

    @property
    def supervisor(self) -> str: ...

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
    """Every message an event calls for, the filer's inbox first among the filer's."""
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
    to = data.get("to")
    return [to] if to else []


def _filer(case: Mapping[str, Any]) -> Mapping[str, Any]:
    return case.get("filer") or {}
