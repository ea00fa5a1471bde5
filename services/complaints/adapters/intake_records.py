"""Records kept beside the events at intake: which Idempotency-Key filed which case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID


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


class IntakeRecords(Protocol):
    """What both store recorders add to the library's application recorder."""

    def next_reference_number(self, year: int) -> int: ...

    def find_idempotency_claim(self, key: str) -> IdempotencyClaim | None: ...
