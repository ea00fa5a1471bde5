"""One case as one row of the case index, taken from the aggregate at a version.

What the row keeps of the filer: its kind, the enterprise's or the person's name, the
subject and the words of the full-text index while the case's key exists (search needs them);
the credit code, phone, email and external user id only as keyed hashes (`blind_index`), and
the credit code for display as its sealed token, opened at the edge with the case's key. Once
the case's personal data is erased, every one of them is cleared; status, category,
departments, times and ratings stay.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from complaints.domain.case import Case
from complaints.domain.filer import Filer
from complaints.domain.personal import SealedText
from complaints.domain.values import FilerKind
from complaints.readmodels.case_index.blind_index import (
    CREDIT_CODE,
    EMAIL,
    EXTERNAL_USER,
    PHONE,
    BlindIndex,
)
from complaints.readmodels.case_index.search_text import index_words
from complaints.readmodels.case_index.state_counts import Placed

# What the queue and search return for each case, in this order.
ROW_FIELDS = (
    "case_id",
    "reference",
    "status",
    "round",
    "category",
    "subject",
    "filer_kind",
    "filer_language",
    "enterprise_name",
    "person_name",
    "credit_code_sealed",
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
    "closed_at",
    "personal_data_erased",
)

# What dispatch suggestions learn from a closed case: its words, the category staff settled
# on and the department that led it last (the one that replied, after any transfers).
LEARNED_FIELDS = ("reference", "category", "lead_department", "subject", "description")


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    reference: str
    status: str
    round: int
    category: str
    subject: str
    description: str
    filer_kind: str
    filer_language: str  # what the filer writes in (not personal): marks the subject's language
    enterprise_name: str | None
    person_name: str | None
    credit_code_sealed: str | None  # the token the store keeps, opened at the edge
    credit_code_hash: str | None
    phone_hash: str | None
    email_hash: str | None
    external_user_hash: str | None
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
    closed_at: datetime | None  # while closed: retention counts from it
    personal_data_erased: bool
    # Searched, not kept in a column of their own: every round's reply to the filer.
    replies: tuple[str, ...] = ()

    @classmethod
    def of(cls, case: Case, blind: BlindIndex) -> CaseRow:
        erased = case.personal_data_erased is not None
        # An erased case's events may still open for a moment where a key was cached: the
        # erasure, not the key, decides that nothing personal is kept.
        filer = case.filer if not erased else Filer()
        return cls(
            case_id=str(case.id),
            reference=case.reference,
            status=str(case.status),
            round=case.round,
            category=case.category,
            subject="" if erased else str(case.subject),
            description="" if erased else str(case.description),
            filer_kind=case.filer.kind or FilerKind.ENTERPRISE.value,
            filer_language=case.filer.language,
            enterprise_name=str(filer.enterprise_name or "") or None,
            person_name=str(filer.person_name or "") or None,
            credit_code_sealed=_token(filer.credit_code),
            credit_code_hash=blind.hash(CREDIT_CODE, filer.credit_code),
            phone_hash=blind.hash(PHONE, filer.phone),
            email_hash=blind.hash(EMAIL, filer.email),
            external_user_hash=blind.hash(EXTERNAL_USER, filer.external_user_id),
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
            closed_at=case.closed_at,
            personal_data_erased=erased,
            # A reply may quote the filer: erased with what the filer gave.
            replies=() if erased else tuple(case.replies_given),
        )

    @property
    def enterprise_key(self) -> str:
        """The enterprise name as a case-insensitive substring search compares it."""
        return enterprise_key(self.enterprise_name or "")

    @property
    def search_words(self) -> list[str]:
        """The words of the full-text index, in order (each store writes them its way): of
        the filer's subject and description, and of the replies to the filer."""
        return index_words(self.subject, self.description, *self.replies)

    @property
    def placed(self) -> Placed:
        """Where the case counts in the sums by state (`state_counts`)."""
        return Placed(self.version, self.filed_at, self.status, self.lead_department,
                      tuple(self.co_departments))

    def values(self) -> dict[str, Any]:
        """The row's columns as plain values; each store's upsert writes `search_grams` (a list
        of words) its own way."""
        # Field by field: dataclasses.asdict deep-copies every value, much of a rebuild's time.
        return {
            **{name: getattr(self, name) for name in _FIELD_NAMES},
            "co_departments": list(self.co_departments),
            "enterprise_key": self.enterprise_key,
            "search_grams": self.search_words,
        }


_FIELD_NAMES = tuple(field.name for field in fields(CaseRow) if field.name != "replies")


def _token(value: str | None) -> str | None:
    """The sealed token of a value that still opens; None for a plain or erased one."""
    if isinstance(value, SealedText) and not value.erased:
        return value.token
    return None


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
