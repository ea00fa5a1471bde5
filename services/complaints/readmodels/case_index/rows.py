"""One case as one row of the case index, taken from the aggregate at a version."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from complaints.domain.case import Case
from complaints.readmodels.case_index.search_text import index_text

# What the queue and search return for each case, in this order.
ROW_FIELDS = (
    "case_id",
    "reference",
    "status",
    "round",
    "category",
    "subject",
    "enterprise_name",
    "credit_code",
    "lead_department",
    "co_departments",
    "confidential",
    "anonymous",
    "filed_at",
    "due_at",
    "updated_at",
    "version",
    "review_stage",
    "deadline_stage",
    "due_provisional",
    "deadline_state",
)


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    reference: str
    status: str
    round: int
    category: str
    subject: str
    description: str
    enterprise_name: str | None
    credit_code: str | None
    channel: str
    lead_department: str | None
    co_departments: tuple[str, ...]
    confidential: bool
    anonymous: bool
    filed_at: datetime
    due_at: datetime | None
    updated_at: datetime
    version: int
    review_stage: str
    deadline_stage: str | None
    due_provisional: bool
    deadline_state: str | None  # running, warned, paused or breached; None without a clock

    @classmethod
    def of(cls, case: Case) -> CaseRow:
        filer = case.filer
        return cls(
            case_id=str(case.id),
            reference=case.reference,
            status=str(case.status),
            round=case.round,
            category=case.category,
            subject=case.subject,
            description=case.description,
            enterprise_name=filer.enterprise_name or None,
            credit_code=(filer.credit_code or "").upper() or None,
            channel=case.channel,
            lead_department=case.lead_department,
            co_departments=tuple(case.co_departments),
            confidential=case.confidential,
            anonymous=case.anonymous,
            filed_at=case.filed_at,
            due_at=case.due_at,
            updated_at=case.modified_on,
            version=case.version,
            review_stage=case.review.stage,
            deadline_stage=case.deadline.stage.value if case.deadline else None,
            due_provisional=bool(case.deadline and case.deadline.provisional),
            deadline_state=deadline_state(case),
        )

    @property
    def enterprise_key(self) -> str:
        """The enterprise name as a case-insensitive substring search compares it."""
        return enterprise_key(self.enterprise_name or "")

    @property
    def search_text(self) -> str:
        return index_text(self.subject, self.description)

    def values(self) -> dict[str, Any]:
        """The row's columns as plain values, ready for either store's upsert."""
        return {
            **asdict(self),
            "co_departments": list(self.co_departments),
            "enterprise_key": self.enterprise_key,
            "search_text": self.search_text,
        }


def deadline_state(case: Case) -> str | None:
    deadline = case.deadline
    if deadline is None:
        return None
    if deadline.breached:
        return "breached"
    if not deadline.running:
        return "paused"
    return "warned" if deadline.warned else "running"


def enterprise_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()
