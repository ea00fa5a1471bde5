"""The filer's own copy: everything the service holds about them for one case.

Their details as they gave them, what they wrote (the complaint, their answers, their ratings'
comments, their reasons for reopening), the documents they attached (names and sizes), the
history as the filer may see it, the messages sent to them, and whether their personal data
was erased. Only the case's own filer gets it. Once erased, the copy says so (when, on what
basis) and holds no personal value: every one reads as erased (None).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from complaints.application.principals import PermissionDeniedError, Principal
from complaints.application.service import Complaints
from complaints.application.views import event_view
from complaints.domain.chain import canonical
from complaints.domain.values import Role

FORMAT = "huiyin.filer-copy"
VERSION = 1
_STORED = "sha256:"


def filer_copy(app: Complaints, principal: Principal, case_id: UUID,
               now: datetime) -> dict[str, Any]:
    """The copy for the case's own filer; anyone else, staff included, is refused."""
    if principal.role is not Role.FILER or principal.case_id != case_id:
        raise PermissionDeniedError(
            "only the case's own filer, signed in with its reference and access code, gets "
            "their copy of it", allowed_roles=["filer"],
        )
    case = app.read_case(principal, case_id)
    events = app.case_events(case_id)
    erased = case.personal_data_erased
    return canonical({
        "format": FORMAT,
        "version": VERSION,
        "generated_at": now,
        "case": {
            "id": str(case.id), "reference": case.reference, "status": case.status,
            "category": case.category, "channel": case.channel, "filed_at": case.filed_at,
            "closed_at": case.closed_at,
        },
        "personal_data": {
            "erased": erased is not None,
            "erased_at": erased["erased_at"] if erased else None,
            "basis": erased["basis"] if erased else None,
        },
        "filer": case.filer.as_record(),
        "written": _written(case, events),
        "attachments": [_attachment(reference) for reference in case.attachments],
        "history": [view for event in events if (view := event_view(event, case, principal))],
        "messages": [
            {**{key: message.get(key) for key in
                ("notification_id", "channel", "template", "sent_at", "text")},
             "channels": [{"channel": each["channel"], "sent_at": each["sent_at"]}
                          for each in message["channels"]]}
            for message in case.messages
        ],
    })


def _written(case: Any, events: list[Any]) -> dict[str, Any]:
    """What the filer wrote, in the order they wrote it."""
    def of(name: str) -> list[Any]:
        return [event for event in events if type(event).__name__ == name]

    return {
        "subject": case.subject,
        "description": case.description,
        "happened_on": case.happened_on,
        "happened_at_place": case.happened_at_place,
        "information_supplied": [
            {"at": event.stamp.occurred_at, "content": event.content,
             "attachments": [_attachment(each) for each in event.attachments]}
            for event in of("InformationSupplied")
        ],
        "rating_comments": [
            {"at": event.stamp.occurred_at, "score": event.score, "comment": event.comment}
            for event in of("Rated")
        ],
        "reopening_reasons": [
            {"at": event.stamp.occurred_at, "reason": event.reason} for event in of("Reopened")
        ],
    }


def _attachment(reference: Any) -> dict[str, Any]:
    """A document as the filer named it: a stored file's name, kind and size, or a paper
    document's reference; nothing at all once erased."""
    if getattr(reference, "erased", False) or not reference:
        return {"name": None, "media_type": None, "size": None, "sha256": None}
    text = str(reference)
    if not text.startswith(_STORED):
        return {"name": text, "media_type": None, "size": None, "sha256": None}
    # sha256:<hex>;type=…;size=…;name=… (the name last: it may hold ";" or "=")
    digest, _, rest = text[len(_STORED):].partition(";")
    values = dict(part.partition("=")[::2] for part in rest.split(";", 2))
    size = values.get("size", "")
    return {"name": values.get("name"), "media_type": values.get("type"),
            "size": int(size) if size.isdigit() else None, "sha256": digest}
