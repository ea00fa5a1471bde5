"""Builds cases in given states for domain tests, as a sequence of real commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from complaints.domain.case import Case
from complaints.domain.values import Stamp

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stamp(role: str = "intake", minutes: int = 0, actor: str = "someone") -> Stamp:
    return Stamp(actor_id=actor, actor_role=role, occurred_at=T0 + timedelta(minutes=minutes))


def filed_case(**overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "stamp": stamp("filer"),
        "reference": "HY-2026-000001",
        "channel": "web",
        "filer": {"enterprise_name": "黑河边贸有限公司", "credit_code": "91110000802100433B"},
        "on_behalf_of": False,
        "category": "tax",
        "subject": "出口退税迟迟不到账",
        "description": "三个月前申报的出口退税至今未到账。",
        "happened_on": None,
        "happened_at_place": "",
        "attachments": [],
        "confidential": False,
        "anonymous": False,
        "access_code_hash": "0" * 64,
        "submission_digest": "0" * 64,
        "due_at": None,
        "due_provisional": False,
        "due_working_days": None,
    }
    fields.update(overrides)
    return Case(**fields)


def assigned_case() -> Case:
    case = filed_case()
    case.accept(stamp(), "TAX", [])
    case.assign(stamp(), "TAX", [], None)
    return case


def responded_case() -> Case:
    case = assigned_case()
    case.respond(stamp("handler"), "resolved", "已办结", [])
    return case


def badly_rated_case(score: int = 2) -> Case:
    case = responded_case()
    case.rate(stamp("filer"), score, "不满意", "web")
    return case


def reached(channel: str, notification_id: str, message_id: str = "",
            sent_at: datetime = T0) -> dict[str, Any]:
    """One channel a notice reached, as a receipt lists it."""
    return {"channel": channel, "notification_id": notification_id, "message_id": message_id,
            "sent_at": sent_at}


def told_per_channel(case: Case, notification_id: str, channel: str, template: str,
                     text: str, sent_at: datetime = T0) -> None:
    """A `FilerNotified` as recorded before notices listed their channels: one channel, no
    `channels` field (what a stored event of that time reads back as)."""
    case._filer_notified(stamp=stamp("system"), notification_id=notification_id,
                         channel=channel, template=template, message_id=f"<{notification_id}>",
                         sent_at=sent_at, text=text, channels=None)
