"""The filer's sealed values in a case event, opened with the case's key only to send.

Case events carry every personal value as a token sealed with the case's data key
(`shared.contract.case_events`); the keys arrive wrapped on the case keys channel
(`shared.stream.keys`), and notify unwraps them with the operator's KEKs (its own key ring).
A token opens in memory, for the message being sent, and nowhere else: notify's store
records no address, no name and no text. A case whose key is gone (its personal data was
erased, the key tombstoned) has no values: each reads as absent, and nothing is sent to
its filer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from shared.contract import case_events as wire
from shared.contract.envelope import Envelope, carries_token
from shared.sealing import DataKey, KeyRing, SealingError, is_token
from shared.stream.keys import CaseKeyReader

log = logging.getLogger(__name__)


class CaseKeyring:
    """Each case's data key: read off the keys channel, unwrapped with notify's KEKs."""

    def __init__(self, reader: CaseKeyReader, ring: KeyRing) -> None:
        self.reader = reader
        self.ring = ring

    def data_key(self, case_id: UUID) -> DataKey | None:
        """The case's key; None when the channel holds none (erased, or never published).

        Raises SealingError when the channel holds a key none of notify's KEKs unwraps
        (notify was not given the KEK the complaints service wraps with): the event is
        dead-lettered for a person, rather than its filer taken for erased.
        """
        wrapped = self.reader.wrapped(case_id)
        if wrapped is None:
            return None
        try:
            return self.ring.unwrap(wrapped)
        except SealingError:
            # Perhaps rewrapped under a new KEK since it was read: read on, and try once more.
            self.reader.refresh()
            wrapped = self.reader.wrapped(case_id)
        return self.ring.unwrap(wrapped) if wrapped is not None else None

    def read_ahead(self, case_ids: Iterable[UUID]) -> None:
        """Catch up once with the keys of these cases (the events of one poll)."""
        self.reader.read_ahead(case_ids)

    def forget(self, case_id: UUID) -> None:
        self.reader.forget(case_id)

    def close(self) -> None:
        self.reader.close()


def erased(envelope: Envelope, key: DataKey | None) -> bool:
    """The case's personal data is erased: the event says so, or its tokens have no key."""
    return bool(envelope.data["case"].get("personal_data_erased")) or (
        key is None and carries_token(envelope))


def opened(envelope: Envelope, key: DataKey | None) -> dict[str, Any]:
    """The event's data with each sealed value opened, or absent (None in `case.filer`, ""
    for the event's own text) when the key is gone or does not open it."""
    data = dict(envelope.data)
    for name in wire.SEALED_FIELDS.get(envelope.event_type, ()):
        if name in data:
            data[name] = _open(envelope.case_id, data[name], key) or ""
    case = dict(data["case"])
    filer: Mapping[str, Any] = case.get("filer") or {}
    case["filer"] = {
        name: _open(envelope.case_id, value, key) if name in wire.SEALED_FILER_FIELDS else value
        for name, value in filer.items()
    }
    data["case"] = case
    return data


def _open(case_id: UUID, value: Any, key: DataKey | None) -> Any:
    if not is_token(value):
        return value  # absent, or in clear from a case filed before sealing
    if key is None:
        return None
    try:
        return key.open(value)
    except SealingError:
        log.warning("case %s: a sealed value does not open with its key; read as absent",
                    case_id)
        return None
