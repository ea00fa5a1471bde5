"""Sample case events as notify receives them off the wire, and a check that they fit the contract.

Other notify tests import `case_event` and `wire_bytes` from here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.contract.case_events import (
    CURRENT_VERSION,
    EVENT_TYPES,
    SEALED_FIELDS,
    SEALED_FILER_FIELDS,
)
from shared.contract.envelope import Envelope, decode_envelope, encode_envelope, event_id_for
from shared.sealing import DataKey

FILED_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
ACCESS_CODE = "7K4M-Q9TZ-2HXR"

SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "case.filed": {
        "channel": "web",
        "subject": "Задержка возврата экспортного НДС",
        "access_code": ACCESS_CODE,
        "accept_by": FILED_AT + timedelta(days=1),
        "expected_reply_by": FILED_AT + timedelta(days=22),
    },
    "case.accepted": {"proposed_lead": "TAX", "proposed_co": []},
    "case.referred": {"reason": "Спор о договоре поставки", "where_to": "Арбитражный суд"},
    "case.assigned": {"lead": "TAX", "co": ["CUSTOMS"], "due_at": FILED_AT + timedelta(days=21)},
    "case.transferred": {"from_department": "TAX", "to": "CUSTOMS",
                         "reason": "Вопрос таможенного оформления",
                         "due_at": FILED_AT + timedelta(days=25)},
    "case.information_requested": {"items": ["Копия контракта", "Таможенная декларация"]},
    "case.information_supplied": {},
    "case.public_update": {"text": "Проверка документов начата."},
    "case.responded": {"outcome": "resolved", "reply": "Возврат НДС произведён 10 марта.",
                       "actions": ["Сверка с банком"], "round": 1},
    "case.rated": {"score": 1, "bad": True, "round": 1, "comment": "Ответ формальный"},
    "case.rating_invalidated": {"invalidation_class": "invalid", "reason": "Не по существу"},
    "case.review_concluded": {"upheld": True, "explanation": "Срок возврата был нарушен."},
    "case.rectified": {"actions": ["Регламент возврата сокращён до 10 дней"]},
    "case.followed_up": {"method": "phone", "satisfied": True},
    "case.reopened": {"reason": "Возврат произведён не полностью", "round": 2},
    "case.closed": {},
    "case.deadline_approaching": {"stage": "reply", "due_at": FILED_AT + timedelta(days=21),
                                  "department": "TAX"},
    "case.deadline_breached": {"stage": "reply", "due_at": FILED_AT + timedelta(days=21),
                               "department": "TAX"},
    "case.escalated": {"stage": "reply", "department": "TAX",
                       "reason": "Срок подготовки ответа истёк 23 марта"},
    "case.deadline_extended": {"stage": "reply", "working_days": 10,
                               "reason": "Требуется заключение таможни",
                               "due_at": FILED_AT + timedelta(days=35), "due_provisional": False},
    "case.deadline_recomputed": {"stage": "reply", "due_at": FILED_AT + timedelta(days=23),
                                 "due_provisional": False,
                                 "previous_due_at": FILED_AT + timedelta(days=22),
                                 "reason": "official schedule for 2026 loaded"},
    "case.personal_data_erased": {"basis": "filer_request"},
}


def filer(**overrides: Any) -> dict[str, Any]:
    return {
        "enterprise_name": "ООО «Амур-Экспорт»",
        "contact_person": "Анна Петрова",
        "email": "anna.petrova@amur-export.example",
        "phone": "+7 914 555 0101",
        "webhook_url": None,
        "notify_by": ["email"],
        **overrides,
    }


def case_event(
    event_type: str = "case.filed",
    *,
    case_id: UUID | None = None,
    case_version: int = 1,
    language: str = "ru",
    filer_details: dict[str, Any] | None = None,
    reference: str = "HY-2026-000042",
    sealed_with: DataKey | None = None,
    erased: bool = False,
    **data: Any,
) -> Envelope:
    """An envelope of `event_type` with sample data, encoded and decoded as on the wire;
    `sealed_with` a case key, its personal values sealed as the relay sends them."""
    case_id = sealed_with.case_id if sealed_with is not None else case_id or uuid4()
    details = filer_details if filer_details is not None else filer()
    data = {**SAMPLE_DATA[event_type], **data}
    if sealed_with is not None:
        details = {name: sealed_with.seal(value) if value and name in SEALED_FILER_FIELDS
                   else value for name, value in details.items()}
        data = {name: sealed_with.seal(value)
                if name in SEALED_FIELDS.get(event_type, ()) else value
                for name, value in data.items()}
    case = {
        "reference": reference,
        "category": "tax",
        "language": language,
        "confidential": False,
        "anonymous": False,
        "lead_department": "TAX",
        "co_departments": ["CUSTOMS"],
        "filer": details,
        "personal_data_erased": erased,
    }
    envelope = Envelope(
        event_id=event_id_for(case_id, case_version),
        event_type=event_type,
        schema_version=CURRENT_VERSION[event_type],
        case_id=case_id,
        case_version=case_version,
        position=case_version,
        occurred_at=FILED_AT,
        recorded_at=FILED_AT,
        data={**data, "case": case},
    )
    return decode_envelope(encode_envelope(envelope))


def wire_bytes(envelope: Envelope) -> bytes:
    return encode_envelope(envelope)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_sample_event_follows_the_wire_contract(event_type):
    envelope = case_event(event_type)

    assert envelope.event_type == event_type
    assert envelope.data["case"]["reference"] == "HY-2026-000042"


def test_sample_dates_arrive_as_aware_datetimes():
    envelope = case_event("case.filed")

    assert envelope.data["expected_reply_by"].tzinfo is not None
