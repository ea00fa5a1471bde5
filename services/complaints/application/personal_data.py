"""Each case's data key, and the events as the store keeps them and as readers read them.

Writing, the case's key seals the personal fields of an event before it is hashed
(`complaints.domain.personal`); the transcoder stores each sealed value as its token.
Reading, the mapper opens the tokens with the case's key, so every reader above it (the
pages, the API, the read models) reads text; a case whose key was destroyed reads as erased,
never as an error. The keys live wrapped in the case store (`CaseKeyRecords`): created in
the same transaction as the case's first sealed event, destroyed in the same transaction as
its `PersonalDataErased`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from types import NoneType
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoding

from complaints.domain.personal import PERSONAL, ErasedText, SealedText
from shared.sealing import TOKEN_PREFIX, DataKey, KeyRing, SealingError, WrappedKey

SEALED = "sealed"
_SEALED_MARK = b'"_type_":"sealed"'  # how an earlier version stored a sealed value
_TOKEN_MARK = b'"' + TOKEN_PREFIX.encode()
# How long a process keeps an unwrapped key. Another process's erasure reaches this one's
# readers within it; the process that erases forgets at once.
KEY_CACHE_SECONDS = 2.0
_KEY_CACHE_SIZE = 4096


@runtime_checkable
class CaseKeyRecords(Protocol):
    """The wrapped case keys beside the events; both store recorders implement it.

    A key is inserted with the events that first need it (`insert_events(...,
    data_keys=[...])`) and deleted with the event that erases it (`erased_keys=[...]`).
    """

    def select_case_keys(self, case_ids: Sequence[UUID]) -> dict[UUID, WrappedKey]: ...

    def select_keys_not_under(
        self, kek_id: str, limit: int, after: UUID | None = None
    ) -> list[WrappedKey]:
        """Up to `limit` keys wrapped by another KEK than `kek_id`, in case order, of cases
        after `after` (a page read by the primary key: rotation stays linear)."""
        ...

    def replace_wrapped_keys(self, keys: Sequence[tuple[WrappedKey, WrappedKey]]) -> int:
        """Each (old, new) pair: the new wrapping where the old one is still stored."""
        ...


class _Token:
    """A sealed value as decoded from the store, before it is opened."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class _SealedAsToken(Transcoding):
    """Reads `{"_type_": "sealed", "_data_": token}` as a token to open; `_marked` writes it
    (a `str` subclass would reach `json` as text, never this transcoding's `encode`)."""

    type = _Token
    name = SEALED

    def encode(self, obj: _Token) -> str:
        return obj.token

    def decode(self, data: str) -> _Token:
        return _Token(data)


class PersonalDataTranscoder(JSONTranscoder):
    """Stores a sealed value as its token, a string in one of the event's personal fields
    (`PERSONAL`); reads the `{"_type_": "sealed", "_data_": token}` an earlier version
    wrote as well."""

    def __init__(self) -> None:
        super().__init__()
        self.register(_SealedAsToken())

    def encode(self, obj: Any) -> bytes:
        return super().encode(_marked(obj))


def _marked(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value  # most of an event's values: no isinstance checks for them
    if isinstance(value, SealedText):
        return value.token  # `json` would write a `str` subclass as its text
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(item) for item in value]
    return value


_PLAIN = frozenset({str, int, float, bool, NoneType})


class CaseKeys:
    """Every case's data key: made, found, unwrapped, forgotten."""

    def __init__(self, ring: KeyRing, records: CaseKeyRecords) -> None:
        self.ring = ring
        self.records = records
        self._cache: dict[UUID, tuple[float, DataKey | None]] = {}
        self._lock = threading.Lock()

    def data_key(self, case_id: UUID) -> DataKey | None:
        """The case's key, or None when it has none (erased, or filed before keys)."""
        cached = self._cache.get(case_id)
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]  # each event of a case asks: the common case, kept short
        return self.data_keys([case_id]).get(case_id)

    def data_keys(self, case_ids: Iterable[UUID]) -> dict[UUID, DataKey]:
        """The keys of the cases that have one, those not cached found in one look-up
        (a rebuild or a page of rows asks for hundreds at once)."""
        now = time.monotonic()
        found: dict[UUID, DataKey] = {}
        missing: list[UUID] = []
        for case_id in dict.fromkeys(case_ids):
            cached = self._cache.get(case_id)
            if cached is None or now - cached[0] >= KEY_CACHE_SECONDS:
                missing.append(case_id)
            elif cached[1] is not None:
                found[case_id] = cached[1]
        if not missing:
            return found
        wrapped = self.records.select_case_keys(missing)
        with self._lock:
            for case_id in missing:
                key = self.ring.unwrap(wrapped[case_id]) if case_id in wrapped else None
                if len(self._cache) >= _KEY_CACHE_SIZE:
                    self._cache.clear()
                self._cache[case_id] = (now, key)
                if key is not None:
                    found[case_id] = key
        return found

    def sealer(self, case_id: UUID, *, new_case: bool = False) -> CaseSealer:
        return CaseSealer(self, case_id, None if new_case else self.data_key(case_id))

    def forget(self, case_id: UUID) -> bool:
        """Drop the case's key from the cache; whether a key was kept there."""
        with self._lock:
            cached = self._cache.pop(case_id, None)
        return cached is not None and cached[1] is not None


class CaseSealer:
    """One case's sealer for one command: its key, or a new one made when first needed."""

    def __init__(self, keys: CaseKeys, case_id: UUID, key: DataKey | None) -> None:
        self._keys = keys
        self.case_id = case_id
        self._key = key
        self.created: WrappedKey | None = None

    def seal(self, text: str) -> str:
        if self._key is None:
            self._key, self.created = self._keys.ring.new_key(self.case_id)
        return self._key.seal(text)

    def save_options(self) -> dict[str, Any]:
        """What the store writes with the command's events: the key it made, if any."""
        return {"data_keys": [self.created]} if self.created is not None else {}


class RevealingMapper(Mapper[UUID]):
    """Opens each stored event's sealed values with its case's key as it is read."""

    keys: CaseKeys | None = None

    def to_sealed_domain_event(self, stored_event: StoredEvent) -> Any:
        """The event with its personal values left unopened (opaque tokens): for a reader that
        never reads them, such as the scorecards, which then cost no key and no decryption."""
        return super().to_domain_event(stored_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = stored_event.state
        if self.cipher is None and self.compressor is None and (
            _TOKEN_MARK not in state and _SEALED_MARK not in state
        ):
            return event
        personal = PERSONAL.get(type(event).__name__)
        if not personal:
            return event
        key = self.keys.data_key(stored_event.originator_id) if self.keys else None
        fields = vars(event)
        # Only an event's personal fields hold tokens: a string elsewhere that happens to
        # begin like one (a reply quoting a token) is left as it was written.
        for name in personal:
            value = fields.get(name)
            opened = _opened(value, key)
            if opened is not value:
                object.__setattr__(event, name, opened)
        return event


def _opened(value: Any, key: DataKey | None) -> Any:
    if isinstance(value, str):
        return _opened_token(value, key) if value.startswith(TOKEN_PREFIX) else value
    if isinstance(value, _Token):
        return _opened_token(value.token, key)
    if isinstance(value, dict):
        return {name: _opened(item, key) for name, item in value.items()}
    if isinstance(value, list):
        return [_opened(item, key) for item in value]
    return value


def _opened_token(token: str, key: DataKey | None) -> SealedText:
    if key is None:
        return ErasedText(token)
    try:
        return SealedText(key.open(token), token)
    except SealingError:
        return ErasedText(token)  # sealed under a key since destroyed and remade
