"""A case's history as one JSON document that anyone can verify offline, without the store.

Each exported event carries everything its hash covers, and nothing twice: its position,
type, recorded and occurred times and actor are themselves parts of the hashed body, which
is rebuilt from them and from the event's `data` (every other stored field, exactly as
hashed). So an edit of anything shown — a time, an actor, a word of the reply — breaks
that event's hash, and a rewritten hash breaks the next event's link. The check itself is
`audit.verify_links`, the same one `audit.verify_case` runs on the store.

Only auditors export (DESIGN §1). Each event's `data` holds its personal values sealed, as
stored and hashed; beside it, `personal` holds them readable while the case's key exists,
so the file keeps the filer's personal data after the case is erased in the store (README,
"What erasure cannot reach"). It also holds two stored digests: `access_code_hash` (SHA-256
of a 60-bit access code, too many to guess; see access_codes.py) and `submission_digest`
(HMAC-SHA-256, under the installation's secret, of what the filing shows). They stay because
the chain covers them: without them no hash could be recomputed. They are hashes, not the
secrets.

A chain proves its events were not edited, reordered or removed from its middle; it cannot
prove that none were cut off at its end. The export states its head (last position and
hash) to catch a truncated copy; against a deliberate cut, compare the head with one noted
elsewhere (the auditor's page shows it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from complaints.application.audit import (
    ALTERED,
    BROKEN_LINK,
    BrokenEvent,
    ChainLink,
    UnreadableLink,
    Verification,
    stored_links,
    verify_links,
)
from complaints.application.principals import PermissionDeniedError, Principal
from complaints.application.service import Complaints
from complaints.domain.case import Case
from complaints.domain.chain import canonical
from complaints.domain.errors import InvalidValueError
from complaints.domain.values import Role

FORMAT = "huiyin.case-history"
VERSION = 1
HASHING = (
    "SHA-256 (hex) of the UTF-8 JSON, keys sorted, no spaces, non-ASCII kept, of: "
    '{"type": aggregate + "." + type, "originator_id": case_id, "originator_version": position, '
    '"timestamp": recorded_at, "stamp": {"actor_id": actor.id, "actor_role": actor.role, '
    '"occurred_at": occurred_at}, "prev_hash": prev_hash, ...data}. The first event\'s '
    "prev_hash is empty; each later one is the hash of the event before it."
)
# The hashed body's own fields; an event's data may not claim them.
_ENVELOPE = ("originator_id", "originator_version", "timestamp", "stamp", "prev_hash", "hash")


class ExportFormatError(InvalidValueError):
    """The document is not an exported case history this version can read."""

    code = "invalid_export"


def export_case(app: Complaints, principal: Principal, case_id: UUID) -> dict[str, Any]:
    """The case's every event as stored, with what it takes to verify them; auditors only."""
    if principal.role is not Role.AUDITOR:
        raise PermissionDeniedError(
            "only auditors may export a case's history", allowed_roles=[Role.AUDITOR.value]
        )
    links = stored_links(app, case_id)
    events = [_record(case_id, link) for link in links]
    filed = next((link.body for link in links
                  if isinstance(link, ChainLink) and link.event_type == "Filed"), {})
    last = links[-1]
    return {
        "format": FORMAT,
        "version": VERSION,
        "case_id": str(case_id),
        "reference": filed.get("reference"),
        "exported_at": app.clock().isoformat(),
        "exported_by": {"id": principal.actor_id, "role": principal.role.value},
        "aggregate": Case.__qualname__,
        "hashing": HASHING,
        "head": {"position": last.position,
                 "hash": last.hash if isinstance(last, ChainLink) else None},
        "events": events,
    }


def verify_export(document: Any) -> Verification:
    """Recompute every hash and link of an exported history, as `audit.verify_case` does.

    Raises ExportFormatError when the document is not an export this version reads.
    """
    case_id, aggregate, records = _contents(document)
    links = [
        _link(case_id, aggregate, position, record)
        for position, record in enumerate(records, start=1)
    ]
    verification = verify_links(case_id, links)
    header = _header_problems(document, links, verification.reference)
    return replace(verification, broken=[*verification.broken, *header])


def encode(document: Mapping[str, Any]) -> bytes:
    """The file an auditor downloads: UTF-8 JSON, one key per line, readable as it is."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def file_name(document: Mapping[str, Any]) -> str:
    return f"{document.get('reference') or document['case_id']}-history.json"


def _record(case_id: UUID, link: ChainLink | UnreadableLink) -> dict[str, Any]:
    if isinstance(link, UnreadableLink):
        return {"position": link.position, "type": link.event_type, "unreadable": link.problem}
    body = canonical(link.body, stored=True)
    readable = canonical(link.body)
    stamp = body["stamp"]
    record = {
        "position": body["originator_version"],
        "type": link.event_type,
        "recorded_at": body["timestamp"],
        "occurred_at": stamp["occurred_at"],
        "actor": {"id": stamp["actor_id"], "role": stamp["actor_role"]},
        "data": {key: value for key, value in body.items() if key not in _ENVELOPE},
        "prev_hash": body["prev_hash"],
        "hash": link.hash,
    }
    # The personal values, sealed in `data` as the hash covers them, as they read while the
    # case's key exists (None once erased). Outside the hash: GCM binds each to its token.
    personal = {
        key: readable[key] for key in record["data"] if readable[key] != body[key]
    }
    if personal:
        record["personal"] = personal
    exact_type = link.hashed_type == f"{Case.__qualname__}.{link.event_type}"
    if not exact_type or _hashed_body(case_id, record) != body:
        # A field this format does not carry: an export that could never verify is refused.
        raise ValueError(f"event {link.position} ({link.event_type}) cannot be exported exactly")
    return record


def _hashed_body(case_id: UUID | str, record: Mapping[str, Any]) -> dict[str, Any]:
    """What the event's hash covers, rebuilt from the exported record (the type aside)."""
    actor = record["actor"]
    return {
        **record["data"],
        "originator_id": str(case_id),
        "originator_version": record["position"],
        "timestamp": record["recorded_at"],
        "stamp": {
            "actor_id": actor["id"],
            "actor_role": actor["role"],
            "occurred_at": record["occurred_at"],
        },
        "prev_hash": record["prev_hash"],
    }


def _contents(document: Any) -> tuple[UUID, str, list[Any]]:
    if not isinstance(document, Mapping):
        raise ExportFormatError("an exported history is a JSON object", field="document")
    if document.get("format") != FORMAT:
        raise ExportFormatError(f"this is not a {FORMAT} document", field="format")
    if document.get("version") != VERSION:
        raise ExportFormatError(
            f"version {document.get('version')!r} of {FORMAT} cannot be read here; "
            f"this reads version {VERSION}",
            field="version",
        )
    try:
        case_id = UUID(str(document.get("case_id")))
    except ValueError:
        raise ExportFormatError("case_id is not a case id", field="case_id") from None
    aggregate = document.get("aggregate")
    if not isinstance(aggregate, str) or not aggregate:
        raise ExportFormatError("aggregate names the kind of record exported", field="aggregate")
    events = document.get("events")
    if not isinstance(events, list) or not events:
        raise ExportFormatError("events lists the case's events", field="events")
    return case_id, aggregate, events


def _link(
    case_id: UUID, aggregate: str, expected_position: int, record: Any
) -> ChainLink | UnreadableLink:
    """An exported event as the chain sees it, or why it cannot be read."""
    if not isinstance(record, Mapping):
        return UnreadableLink(expected_position, "", "malformed: not a JSON object")
    position = record.get("position")
    event_type = record.get("type")
    if not isinstance(position, int) or isinstance(position, bool):
        position = expected_position
    if not isinstance(event_type, str):
        event_type = ""
    if "unreadable" in record:
        return UnreadableLink(position, event_type, str(record["unreadable"]))
    problem = _malformed(record)
    if problem:
        return UnreadableLink(position, event_type, f"malformed: {problem}")
    return ChainLink(
        position=position,
        event_type=event_type,
        hashed_type=f"{aggregate}.{event_type}",
        body=_hashed_body(case_id, record),
        hash=record["hash"],
    )


def _malformed(record: Mapping[str, Any]) -> str | None:
    for key in ("type", "recorded_at", "occurred_at", "prev_hash", "hash"):
        if not isinstance(record.get(key), str):
            return f"{key} is not text"
    if not isinstance(record.get("position"), int) or isinstance(record["position"], bool):
        return "position is not a whole number"
    actor = record.get("actor")
    if not isinstance(actor, Mapping) or not all(
        isinstance(actor.get(key), str) for key in ("id", "role")
    ):
        return "actor is not an id and a role"
    data = record.get("data")
    if not isinstance(data, Mapping):
        return "data is not a JSON object"
    claimed = sorted(set(data) & set(_ENVELOPE))
    if claimed:
        return f"data claims {', '.join(claimed)}"
    return None


def _header_problems(
    document: Mapping[str, Any], links: list[ChainLink | UnreadableLink], reference: str | None
) -> list[BrokenEvent]:
    """Whether the header agrees with the chain: where it ends (a truncated copy does not),
    and the reference, which people read from the header but the filing records."""
    problems = []
    head = document.get("head")
    last = links[-1]
    last_hash = last.hash if isinstance(last, ChainLink) else None
    if not isinstance(head, Mapping) or (head.get("position"), head.get("hash")) != (
        last.position, last_hash
    ):
        problems.append(BrokenEvent(
            last.position, last.event_type,
            f"the chain ends at position {last.position} with another head than the export "
            "states: events are missing or the head was changed",
            (BROKEN_LINK,),
        ))
    if reference is not None and document.get("reference") != reference:
        first = links[0]
        problems.append(BrokenEvent(
            first.position, first.event_type,
            f"the export is headed {document.get('reference')!r}, the filing says {reference}",
            (ALTERED,),
        ))
    return problems
