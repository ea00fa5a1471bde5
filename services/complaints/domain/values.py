"""The values a case is made of: roles, channels, states, outcomes, and who did what when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    FILER = "filer"
    INTAKE = "intake"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    SYSTEM = "system"


STAFF_ROLES = (Role.INTAKE, Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR)


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    HOTLINE = "hotline"
    WINDOW = "window"
    LETTER = "letter"
    EMAIL = "email"


# Channels on which staff file for a caller; the others are the filer's own.
STAFF_CHANNELS = (Channel.HOTLINE, Channel.WINDOW, Channel.LETTER, Channel.EMAIL)


class FilerKind(StrEnum):
    """Who files: an enterprise (by its name and credit code) or a person on their own."""

    ENTERPRISE = "enterprise"
    INDIVIDUAL = "individual"


class Status(StrEnum):
    FILED = "filed"
    ACCEPTED = "accepted"
    REFERRED = "referred"
    ASSIGNED = "assigned"
    AWAITING_INFORMATION = "awaiting_information"
    RESPONDED = "responded"
    CLOSED = "closed"


class Stage(StrEnum):
    """The stages that run against a time limit (DESIGN §4)."""

    ACCEPT = "accept"  # accept or refer, and dispatch
    REPLY = "reply"
    RECTIFY = "rectify"  # after an upheld bad review
    RETURN_VISIT = "return_visit"  # after the rectification


class Outcome(StrEnum):
    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    EXPLAINED = "explained"
    NOT_SUBSTANTIATED = "not_substantiated"


# The outcome of imported history whose source keeps none: the case was answered, how is not
# known. Not one of `Outcome`, which staff choose from: only an imported case records it.
OUTCOME_NOT_RECORDED = "not_recorded"


class Visibility(StrEnum):
    INTERNAL = "internal"
    PUBLIC = "public"


class InvalidationClass(StrEnum):
    INVALID = "invalid"
    MALICIOUS = "malicious"


class ReviewResult(StrEnum):
    UPHELD = "upheld"
    NOT_UPHELD = "not_upheld"


class ErasureBasis(StrEnum):
    """Why a case's personal data was erased."""

    FILER_REQUEST = "filer_request"  # the filer asked (PIPL art. 47): even an open case
    RETENTION_EXPIRED = "retention_expired"  # the category's retention period ran out
    PURPOSE_FULFILLED = "purpose_fulfilled"  # handled, and nothing more is needed of it


class Language(StrEnum):
    ZH = "zh"
    EN = "en"
    RU = "ru"


class ContactMethod(StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    SMS = "sms"
    EMAIL = "email"


# 1 非常不满意, 2 不满意, 3 基本满意, 4 满意, 5 非常满意; 1 and 2 are bad reviews.
RATING_LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}
BAD_RATING_MAX = 2


@dataclass(frozen=True)
class Stamp:
    """Who did it, in which role, and when it happened in the world.

    When it was recorded is the event's own timestamp; the two differ for a hotline
    call typed in later and for imported history.
    """

    actor_id: str
    actor_role: str
    occurred_at: datetime
