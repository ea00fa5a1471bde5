"""The records a store keeps beside the events at intake: reference numbers, and which key
filed which case. The application's port; both store recorders implement it.

An Idempotency-Key of a filing and the source id of an imported row (`import:cfpb:7523056`)
are both claims in the same table, written in the same transaction as the case's events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from shared.sealing import WrappedKey


@dataclass(frozen=True)
class IdempotencyClaim:
    key: str
    case_id: UUID
    digest: str

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IdempotencyClaim:
        key, case_id, digest = row[0], row[1], row[2]
        return cls(
            key=key, case_id=case_id if isinstance(case_id, UUID) else UUID(case_id), digest=digest
        )


@runtime_checkable
class IntakeRecords(Protocol):
    """What both store recorders add to the library's application recorder."""

    def next_reference_number(self, year: int) -> int: ...

    def reserve_reference_numbers(self, year: int, count: int) -> range:
        """`count` consecutive reference numbers of `year`, taken in one round trip."""
        ...

    def find_idempotency_claim(self, key: str) -> IdempotencyClaim | None: ...

    def find_idempotency_claims(self, keys: Sequence[str]) -> dict[str, IdempotencyClaim]:
        """The claims of those `keys` that exist, by key."""
        ...

    def insert_new_cases(
        self, stored_events: Sequence[StoredEvent], claims: Sequence[IdempotencyClaim],
        data_keys: Sequence[WrappedKey],
    ) -> None:
        """Many new cases at once (an import batch, a group commit's filings): their claims,
        their keys and their events, in one transaction, in the store's fastest way;
        IntegrityError, with nothing written, when a claim is taken."""
        ...
