"""The filer's notices on the staff pages: one entry per notice, however it was recorded.

A notice is one `FilerNotified` now, and was one per channel before (`complaints.domain.
notices` merges those); the case view lists, per notice, the positions of the events that
recorded it. The pages show a notice where its first event stands and fold the rest into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def one_entry_per_notice(
    events: Sequence[dict[str, Any]], messages: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`events` with each notice's first `FilerNotified` carrying the notice (`notice`) and
    its events (`recorded_by`), and the notice's later events left out."""
    first = {message["positions"][0]: message for message in messages if message["positions"]}
    later = {position for message in messages for position in message["positions"][1:]}
    by_position = {event["position"]: event for event in events}
    entries = []
    for event in events:
        if event["position"] in later:
            continue
        notice = first.get(event["position"]) if event["type"] == "FilerNotified" else None
        if notice is not None:
            recorded_by = [by_position[p] for p in notice["positions"] if p in by_position]
            event = {**event, "notice": notice, "recorded_by": recorded_by}
        entries.append(event)
    return entries
