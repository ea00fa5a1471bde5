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
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache, partial
from types import NoneType
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from complaints.domain.personal import SealedText
from complaints.domain.values import Stamp

GENESIS = ""
HASH_FIELDS = ("prev_hash", "hash")
# Sorted keys, the characters as they are (UTF-8), no spaces: the bytes every hash covers.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(value: Any, *, stored: bool = False) -> Any:
    """Plain JSON types, the same for an event as built and as read back from the store.

    A personal value reads as its text (None once erased), or, `stored`, as its sealed token.
    """
    return _plain(value, stored)


def _plain(value: Any, stored: bool) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    return _conversion(kind)(value, stored)


@cache
def _conversion(kind: type) -> Callable[[Any, bool], Any]:
    """How a value of `kind` becomes plain, chosen once per type rather than by a row of
    isinstance checks for each of the dozen values of every event hashed (a third of the
    chain's cost). The order of the checks is the meaning: a personal value is a `str`, an
    enum may be one; tests/unit/test_chain_encoding.py holds the definition before this one."""
    if issubclass(kind, SealedText):
        return _sealed_text
    if issubclass(kind, Enum):
        return _enum_value
    if kind is NoneType or issubclass(kind, str | int | float):
        return _itself
    if issubclass(kind, datetime | date):
        return _isoformat
    if issubclass(kind, UUID):
        return _text
    if is_dataclass(kind):
        return partial(_dataclass_fields, tuple(field.name for field in fields(kind)))
    if issubclass(kind, Mapping):
        return _mapping
    if issubclass(kind, list | tuple):
        return _sequence
    return _itself


# The types most values are, returned as they are without a look-up (`bool` is an `int`).
_AS_IS = frozenset({str, int, float, bool, NoneType})


def _sealed_text(value: SealedText, stored: bool) -> str | None:
    if stored:
        return value.token
    return None if value.erased else str(value)


def _enum_value(value: Enum, stored: bool) -> Any:
    return _plain(value.value, stored)


def _itself(value: Any, stored: bool) -> Any:
    return value


def _isoformat(value: date, stored: bool) -> str:
    return value.isoformat()


def _text(value: Any, stored: bool) -> str:
    return str(value)


def _dataclass_fields(names: tuple[str, ...], value: Any, stored: bool) -> dict[str, Any]:
    # Field by field rather than dataclasses.asdict, which deep-copies every value first.
    return {name: _plain(getattr(value, name), stored) for name in names}


def _mapping(value: Mapping[Any, Any], stored: bool) -> dict[str, Any]:
    return {str(key): _plain(item, stored) for key, item in value.items()}


def _sequence(value: list[Any] | tuple[Any, ...], stored: bool) -> list[Any]:
    return [_plain(item, stored) for item in value]


def event_hash(event_type: str, fields: Mapping[str, Any]) -> str:
    """The hash of an event: its type name and every field, the hash itself left out."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    encoded = _CANONICAL_JSON.encode({"type": event_type, **_plain(body, True)})
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
