"""A case as the auditor's page shows it: the chain's verdict, every event with its data ready
to show, and the case as it stood after the event chosen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from flask_babel import format_timedelta
from flask_babel import gettext as _

from complaints.application import audit
from complaints.application.history_export import file_name
from complaints.domain.case import IMPORTER_PREFIX
from complaints.domain.values import Role
from complaints.web.pages.audit.words import (
    CODE_FIELDS,
    DEPARTMENT_FIELDS,
    EVENT_NAMES,
    FAULTS,
    FIELD_NAMES,
    INTAKE_WHEN_EMPTY,
    is_long,
    shown,
)
from complaints.web.pages.delivery_failures import failure_words
from complaints.web.pages.labels import department_name, role_name
from complaints.web.pages.notices import one_entry_per_notice

# Recorded this long after it happened: typed in later (a hotline call) or imported history.
NOTABLE_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class Detail:
    """One datum of an event, ready to show: kind is text, long, time, code, list or group."""

    key: str
    label: str
    kind: str
    value: Any


@dataclass(frozen=True)
class CaseAudit:
    """What the audit page of one case shows; `state` is None when the case cannot be replayed."""

    reference: str
    verification: audit.Verification
    events: list[dict[str, Any]]
    # What the page lists: the events, each notice to the filer as one entry holding the
    # events that recorded it (one per channel in histories from before notices were).
    entries: list[dict[str, Any]]
    state: dict[str, Any] | None
    at: int  # the position the case is shown as after
    may_export: bool

    @classmethod
    def of(cls, reference: str, verification: audit.Verification,
           history: dict[str, Any] | None, then: dict[str, Any] | None, at: int,
           may_export: bool) -> CaseAudit:
        """From the application's answers; `then` is the history as of `at`."""
        events = [_event(event) for event in history["events"]] if history else []
        return cls(
            # As filed, whichever way the address named it.
            reference=verification.reference or reference,
            verification=verification,
            events=events,
            entries=one_entry_per_notice(events, history["state"]["messages"]) if history
            else [],
            state=then["state"] if then else None,
            at=at,
            may_export=may_export,
        )

    @property
    def latest(self) -> int:
        return self.verification.events_checked

    @property
    def head(self) -> dict[str, Any] | None:
        return self.events[-1] if self.events else None

    @cached_property
    def broken_events(self) -> list[tuple[audit.BrokenEvent, list[str]]]:
        return [(event, _fault_sentences(event)) for event in self.verification.broken]

    @cached_property
    def faults_at(self) -> dict[int, list[str]]:
        return {event.position: sentences for event, sentences in self.broken_events}

    @property
    def export_name(self) -> str:
        return file_name({"reference": self.reference})

    @cached_property
    def _names(self) -> dict[int, str]:
        return {event["position"]: event["type_name"] for event in self.events}

    def moment_label(self, position: int) -> str:
        return _("Event %(position)s of %(latest)s: %(name)s",
                 position=position, latest=self.latest, name=self._names.get(position, ""))


def _event(view: dict[str, Any]) -> dict[str, Any]:
    recorded = datetime.fromisoformat(view["recorded_at"])
    occurred = datetime.fromisoformat(view["occurred_at"])
    actor = view["actor"]
    delay = recorded - occurred
    return {
        **view,
        "type_name": str(EVENT_NAMES.get(view["type"], view["type"])),
        "role_name": _role(actor["role"]),
        "imported": (actor["id"] or "").startswith(IMPORTER_PREFIX),
        "delay": format_timedelta(delay, threshold=1.0) if delay > NOTABLE_DELAY else None,
        "details": [_failure(key, value) if view["type"] == "FilerUnreachable" else
                    _detail(key, value) for key, value in view["data"].items()],
    }


def _failure(key: str, value: Any) -> Detail:
    """A failure's reason code, put into words beside the code."""
    if key != "reason":
        return _detail(key, value)
    return Detail(key, str(FIELD_NAMES["reason"]), "text", f"{failure_words(value)} ({value})")


def _detail(key: str, value: Any) -> Detail:
    label = str(FIELD_NAMES.get(key, key))
    if isinstance(value, dict):
        return Detail(key, label, "group", [_detail(k, v) for k, v in value.items()])
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        # Records such as the channels a notice reached: each a group, numbered.
        return Detail(key, label, "group", [_detail(str(number), item)
                                            for number, item in enumerate(value, 1)])
    if key in DEPARTMENT_FIELDS:
        if isinstance(value, list):
            return Detail(key, label, "list", [_department(code) for code in value])
        empty = _("Intake desk") if key in INTAKE_WHEN_EMPTY else ""
        return Detail(key, label, "text", _department(value) if value else empty)
    if isinstance(value, list):
        return Detail(key, label, "list", [shown(key, item) for item in value])
    if key.endswith("_at") and isinstance(value, str):
        return Detail(key, label, "time", value)
    text = shown(key, value)
    if key in CODE_FIELDS:
        return Detail(key, label, "code", text)
    return Detail(key, label, "long" if is_long(text) else "text", text)


def _department(code: str) -> str:
    name = department_name(code)
    return f"{name} ({code})" if name != code else code


def _role(role: str) -> str:
    if role == Role.SYSTEM.value:
        return _("System")
    return role_name(role)


def _fault_sentences(event: audit.BrokenEvent) -> list[str]:
    """Why an event does not verify, in the reader's language; the checker's words otherwise."""
    known = [str(FAULTS[fault]) for fault in event.faults if fault in FAULTS]
    return known or [event.problem]
