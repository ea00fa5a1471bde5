"""The tamper-evident chain: each event carries its case's previous hash and its own.

An event's hash is SHA-256 over a canonical JSON encoding of everything the event says
(its type, case, version, recorded time and data) and the previous event's hash, so an
edit of any stored event breaks its own hash, and rewriting that hash breaks the next link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS = ""
HASH_FIELDS = ("prev_hash", "hash")


def canonical(value: Any) -> Any:
    """Plain JSON types, the same for an event as built and as read back from the store."""
    if isinstance(value, Enum):
        return canonical(value.value)
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        # Field by field rather than dataclasses.asdict, which deep-copies every value first.
        return {field.name: canonical(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


def event_hash(event_type: str, fields: Mapping[str, Any]) -> str:
    """The hash of an event: its type name and every field, the hash itself left out."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    encoded = json.dumps(
        {"type": event_type, **canonical(body)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
