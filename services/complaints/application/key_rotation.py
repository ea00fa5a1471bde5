"""Key rotation: every case's data key re-wrapped under the current KEK, while the service runs.

The operator names a new current KEK and lists the old one as retired; every process then
wraps new keys under the new one and unwraps with either. `rotate_keys` re-wraps the keys
still under a retired KEK a batch at a time, in case order (each page read from the primary
key past the last one, so a million keys cost a million rows read, not a scan per batch).
Each batch is one transaction that replaces a wrapping only where the old one is still
stored: an erasure since the batch was read wins, and a run that was stopped or killed
leaves every key under one KEK or the other, so the next run picks up where it stopped.
Only the wrapping changes; the data keys, the sealed values and the chain's hashes stay as
they were. Once no key is left under it, the retired KEK can be discarded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from shared.sealing import KeyRing, SealingError, WrappedKey

BATCH_SIZE = 500
RETIRED_VARIABLE = "HUIYIN_KEK_RETIRED_FILES"


class KeyRotationRecords(Protocol):
    """What rotation reads and writes of the case store's wrapped keys (both recorders)."""

    def count_keys_by_kek(self) -> dict[str, int]: ...

    def select_case_keys(self, case_ids: Sequence[UUID]) -> dict[UUID, WrappedKey]: ...

    def select_keys_not_under(
        self, kek_id: str, limit: int, after: UUID | None = None
    ) -> list[WrappedKey]: ...

    def replace_wrapped_keys(self, keys: Sequence[tuple[WrappedKey, WrappedKey]]) -> int: ...


class KeyRotationError(Exception):
    """Rotation cannot go on; the message says what the operator should do."""


class UnheldKeyError(KeyRotationError):
    """Some case key is wrapped by a KEK this installation does not hold."""


@dataclass(frozen=True)
class KeyStatus:
    """How many case keys each KEK wraps, and which KEKs this installation holds."""

    keys_by_kek: Mapping[str, int]
    current: str
    retired: tuple[str, ...]

    @property
    def unheld(self) -> dict[str, int]:
        held = {self.current, *self.retired}
        return {kek: count for kek, count in self.keys_by_kek.items() if kek not in held}

    @property
    def left(self) -> int:
        """Keys not yet under the current KEK."""
        return sum(count for kek, count in self.keys_by_kek.items() if kek != self.current)


@dataclass(frozen=True)
class RotationProgress:
    """After each batch: how far the run has come."""

    batches: int
    rewrapped: int
    gone: int  # erased (or re-wrapped by another run) between reading and replacing
    to_rotate: int  # under a retired KEK when the run began


@dataclass(frozen=True)
class RotationResult:
    progress: RotationProgress
    left: int  # keys still under a retired KEK when the run ended

    @property
    def finished(self) -> bool:
        return self.left == 0


def key_status(records: KeyRotationRecords, ring: KeyRing) -> KeyStatus:
    current = ring.current.id
    return KeyStatus(
        keys_by_kek=records.count_keys_by_kek(),
        current=current,
        retired=tuple(kek for kek in ring.ids if kek != current),
    )


def rotate_keys(
    records: KeyRotationRecords,
    ring: KeyRing,
    *,
    batch_size: int = BATCH_SIZE,
    stop: threading.Event | None = None,
    progress: Callable[[RotationProgress], None] | None = None,
    republish: Callable[[Sequence[WrappedKey]], None] | None = None,
) -> RotationResult:
    """Re-wrap every key not under `ring.current`, `batch_size` at a time, until none is left
    or `stop` is set (the batch under way is finished first).

    `republish` is given, after each batch, the new wrappings that are stored (those whose
    case was erased meanwhile are left out), for whoever carries keys to other services.
    """
    if batch_size < 1:
        raise ValueError("a batch holds at least one key")
    status = key_status(records, ring)
    _refuse_unheld(status)
    done = RotationProgress(0, 0, 0, status.left)
    after: UUID | None = None  # the last case of the batch before: each page starts past it
    while not (stop is not None and stop.is_set()):
        batch = records.select_keys_not_under(ring.current.id, batch_size, after)
        if not batch:
            if after is None:
                break  # a pass from the first case found none
            after = None  # once more from the first: a key may have been made behind us
            continue
        after = batch[-1].case_id
        pairs = [(old, _rewrapped(ring, old)) for old in batch]
        replaced = records.replace_wrapped_keys(pairs)
        if republish is not None:
            stored = records.select_case_keys([new.case_id for _, new in pairs])
            republish([new for _, new in pairs if stored.get(new.case_id) == new])
        done = RotationProgress(
            done.batches + 1,
            done.rewrapped + replaced,
            done.gone + len(pairs) - replaced,
            done.to_rotate,
        )
        if progress is not None:
            progress(done)
    return RotationResult(done, key_status(records, ring).left)


def _rewrapped(ring: KeyRing, old: WrappedKey) -> WrappedKey:
    try:
        return ring.rewrap(old)
    except SealingError as error:
        if old.kek_id not in ring.ids:  # a process wrapping under a KEK this one lacks
            raise UnheldKeyError(_unheld_message({old.kek_id: 1})) from None
        raise KeyRotationError(f"case {old.case_id}'s key: {error}") from None


def _refuse_unheld(status: KeyStatus) -> None:
    if status.unheld:
        raise UnheldKeyError(_unheld_message(status.unheld))


def _unheld_message(unheld: Mapping[str, int]) -> str:
    named = ", ".join(f"{kek} ({count} key(s))" for kek, count in sorted(unheld.items()))
    return (
        f"case keys are wrapped by a KEK this installation does not hold: {named}; list that "
        f"KEK's file in {RETIRED_VARIABLE} (the current one goes in HUIYIN_KEK_FILE or "
        f"HUIYIN_KEK) and run again"
    )
