"""The tamper-evident chain: each event carries its aggregate's previous hash and its own.

An event's hash is SHA-256 over a canonical JSON encoding of everything the event says
(its type, case, version, recorded time and data) and the previous event's hash, so an
edit of any stored event breaks its own hash, and rewriting that hash breaks the next link.
A personal value is hashed as it is stored, sealed (`complaints.domain.personal`): the chain
verifies the same with the case's key, without it, and after it was destroyed.
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

from eventsourcing.domain import Aggregate

from complaints.domain.personal import SealedText
from complaints.domain.values import Stamp

GENESIS = ""
HASH_FIELDS = ("prev_hash", "hash")


def canonical(value: Any, *, stored: bool = False) -> Any:
    """Plain JSON types, the same for an event as built and as read back from the store.

    A personal value reads as its text (None once erased), or, `stored`, as its sealed token.
    """
    if isinstance(value, SealedText):
        if stored:
            return value.token
        return None if value.erased else str(value)
    if isinstance(value, Enum):
        return canonical(value.value, stored=stored)
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        # Field by field rather than dataclasses.asdict, which deep-copies every value first.
        return {
            field.name: canonical(getattr(value, field.name), stored=stored)
            for field in fields(value)
        }
    if isinstance(value, Mapping):
        return {str(key): canonical(item, stored=stored) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item, stored=stored) for item in value]
    return value


def event_hash(event_type: str, fields: Mapping[str, Any]) -> str:
    """The hash of an event: its type name and every field, the hash itself left out."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    encoded = json.dumps(
        {"type": event_type, **canonical(body, stored=True)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class ChainedAggregate(Aggregate):
    """An aggregate whose every event carries its stamp, the previous event's hash and its own.

    A subclass names in `ID_FROM` the creating event's fields its `create_id` takes, so the
    first event can be hashed with its aggregate's id before the library creates it.
    """

    ID_FROM = ()  # no annotation: the library would take an annotated name for a field

    class Event(Aggregate.Event):
        stamp: Stamp
        prev_hash: str
        hash: str

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate.head_hash = self.hash
            return aggregate

    @classmethod
    def _create(cls, event_class: type, *, id: UUID | None = None, **kwargs: Any) -> Any:
        id = id or cls.create_id(**{name: kwargs[name] for name in cls.ID_FROM})
        kwargs.setdefault("timestamp", event_class.create_timestamp())
        kwargs["prev_hash"] = GENESIS
        kwargs["hash"] = _hash_of(event_class, id, 1, kwargs)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: type, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", event_class.create_timestamp())
        kwargs["prev_hash"] = self.head_hash
        kwargs["hash"] = _hash_of(event_class, self.id, self.version + 1, kwargs)
        super().trigger_event(event_class, **kwargs)


def _hash_of(event_class: type, aggregate_id: Any, version: int, fields: Mapping[str, Any]) -> str:
    return event_hash(
        event_class.__qualname__,
        {**fields, "originator_id": aggregate_id, "originator_version": version},
    )
