"""The wire contract: envelopes, receipts and dead letters round-trip; bad ones are refused."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.contract import case_events as wire
from shared.contract.case_keys import decode_case_key, encode_case_key
from shared.contract.codec import ContractError
from shared.contract.dead_letters import DeadLetter, decode_dead_letter, encode_dead_letter
from shared.contract.envelope import Envelope, decode_envelope, encode_envelope, event_id_for
from shared.contract.receipts import Delivery, Receipt, decode_receipt, encode_receipt
from shared.sealing import DataKey, WrappedKey

CASE_ID = UUID("6f1c3a52-9a0e-5f43-8d0e-2b7c1d9e4a11")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CASE = {
    "reference": "HY-2026-000001",
    "category": "cross_border_trade",
    "language": "ru",
    "confidential": False,
    "anonymous": False,
    "lead_department": "CUSTOMS",
    "co_departments": ["COMMERCE"],
    "filer": {
        "enterprise_name": "ООО Амур Трейд",
        "contact_person": "Иван Петров",
        "person_name": None,
        "email": "ivan@amur-trade.example",
        "phone": "+7 4162 555 010",
        "webhook_url": "https://amur-trade.example/hooks/huiyin",
        "notify_by": ["email", "webhook"],
    },
    "personal_data_erased": False,
}
CASE_V1 = {name: value for name, value in CASE.items() if name != "personal_data_erased"}
SAMPLES: dict[str, dict[str, Any]] = {
    wire.FILED: {"channel": "web", "subject": "Груз задержан", "access_code": "ABCD-EFGH-JKMN",
                 "accept_by": T0 + timedelta(days=1), "expected_reply_by": T0 + timedelta(days=22),
                 "provisional": False},
    wire.ACCEPTED: {"proposed_lead": "CUSTOMS", "proposed_co": ["COMMERCE"]},
    wire.REFERRED: {"reason": "a court matter", "where_to": "the intermediate court"},
    wire.ASSIGNED: {"lead": "CUSTOMS", "co": ["COMMERCE"], "due_at": T0 + timedelta(days=21),
                    "due_provisional": False},
    wire.TRANSFERRED: {"from_department": "CUSTOMS", "to": None, "reason": "not ours",
                       "due_at": None, "due_provisional": False},
    wire.INFORMATION_REQUESTED: {"items": ["the customs declaration", "the invoice"]},
    wire.INFORMATION_SUPPLIED: {},
    wire.PUBLIC_UPDATE: {"text": "Мы связались с таможней."},
    wire.RESPONDED: {"outcome": "resolved", "reply": "Груз выпущен.", "actions": ["released"],
                     "round": 1},
    wire.RATED: {"score": 2, "bad": True, "round": 1, "comment": "too slow"},
    wire.RATING_INVALIDATED: {"invalidation_class": "malicious", "reason": "abusive"},
    wire.REVIEW_CONCLUDED: {"upheld": True, "explanation": "the delay was ours"},
    wire.RECTIFIED: {"actions": ["a second inspection lane"]},
    wire.FOLLOWED_UP: {"method": "phone", "satisfied": True},
    wire.REOPENED: {"reason": "the cargo is stuck again", "round": 2},
    wire.CLOSED: {},
    wire.DEADLINE_EXTENDED: {"stage": "reply", "working_days": 5, "reason": "expert opinion",
                             "due_at": T0 + timedelta(days=28), "due_provisional": True},
    wire.DEADLINE_RECOMPUTED: {"stage": "reply", "due_at": T0 + timedelta(days=29),
                               "due_provisional": False, "previous_due_at": T0 + timedelta(days=28),
                               "reason": "the official schedule was loaded"},
    wire.DEADLINE_APPROACHING: {"stage": "reply", "due_at": T0 + timedelta(days=21),
                                "department": "CUSTOMS"},
    wire.DEADLINE_BREACHED: {"stage": "accept", "due_at": T0 + timedelta(days=1),
                             "department": None},
    wire.ESCALATED: {"stage": "accept", "department": None, "reason": "the limit passed"},
    wire.PERSONAL_DATA_ERASED: {"basis": "filer_request"},
}


def envelope(event_type: str = wire.FILED, **changes: Any) -> Envelope:
    version = changes.get("schema_version", wire.CURRENT_VERSION[event_type])
    fields = {
        "event_id": event_id_for(CASE_ID, 3),
        "event_type": event_type,
        "schema_version": wire.CURRENT_VERSION[event_type],
        "case_id": CASE_ID,
        "case_version": 3,
        "position": 42,
        "occurred_at": T0,
        "recorded_at": T0 + timedelta(minutes=5),
        "data": {**SAMPLES[event_type], "case": CASE if version > 1 else CASE_V1,
                 "historical": False},
    }
    return Envelope(**{**fields, **changes})


def tampered(raw: bytes, change) -> bytes:
    document = json.loads(raw)
    change(document)
    return json.dumps(document).encode()


def test_every_event_type_has_a_sample():
    assert set(SAMPLES) == set(wire.EVENT_TYPES)


@pytest.mark.parametrize("event_type", wire.EVENT_TYPES)
def test_every_event_type_survives_encoding_and_decoding(event_type):
    original = envelope(event_type)
    assert decode_envelope(encode_envelope(original)) == original


def test_an_envelope_is_utf8_json_with_readable_text():
    raw = encode_envelope(envelope())
    document = json.loads(raw.decode("utf-8"))
    assert document["data"]["case"]["filer"]["enterprise_name"] == "ООО Амур Трейд"
    assert document["occurred_at"] == "2026-03-02T01:00:00+00:00"
    assert "ООО".encode() in raw


def test_a_filer_who_gave_only_an_email_is_carried_with_nulls():
    filer = {"enterprise_name": None, "contact_person": None, "person_name": None,
             "email": "a@b.example",
             "phone": None, "webhook_url": None, "notify_by": []}
    original = envelope(data={**SAMPLES[wire.FILED], "case": {**CASE, "filer": filer}})
    assert decode_envelope(encode_envelope(original)).data["case"]["filer"] == filer


def test_the_event_id_follows_from_the_case_and_its_version():
    assert event_id_for(CASE_ID, 3) == event_id_for(CASE_ID, 3)
    assert event_id_for(CASE_ID, 3) != event_id_for(CASE_ID, 4)
    assert event_id_for(CASE_ID, 3) != event_id_for(uuid4(), 3)


def test_an_unknown_event_type_is_refused_by_name():
    raw = tampered(encode_envelope(envelope()), lambda d: d.update(event_type="case.teleported"))
    with pytest.raises(ContractError, match=r"unknown event type 'case\.teleported'"):
        decode_envelope(raw)


def test_a_schema_version_the_consumer_does_not_know_is_refused():
    raw = tampered(encode_envelope(envelope()), lambda d: d.update(schema_version=3))
    with pytest.raises(ContractError, match=r"case\.filed schema_version 3 is not supported"):
        decode_envelope(raw)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["data"].pop("access_code"), "access_code"),
        (lambda d: d["data"]["case"].update(language="fr"), "case.language"),
        (lambda d: d["data"]["case"]["filer"].update(notify_by=["pigeon"]), "notify_by"),
        (lambda d: d["data"].update(accept_by="2026-03-03T09:00:00"), "accept_by"),
        (lambda d: d["data"].update(surprise=1), "surprise"),
        (lambda d: d.pop("event_id"), "event_id"),
        (lambda d: d.update(case_version="3"), "case_version"),
        (lambda d: d.update(position=0), "position"),
    ],
)
def test_invalid_envelopes_and_data_are_refused_naming_the_field(change, problem):
    raw = tampered(encode_envelope(envelope()), change)
    with pytest.raises(ContractError, match=problem):
        decode_envelope(raw)


def test_bytes_that_are_not_json_are_refused():
    with pytest.raises(ContractError, match="not UTF-8 JSON"):
        decode_envelope(b"\xff\xfe")
    with pytest.raises(ContractError, match="JSON object"):
        decode_envelope(b"[1, 2]")


def test_the_producer_cannot_encode_what_a_consumer_would_refuse():
    with pytest.raises(ContractError, match="rating"):
        encode_envelope(replace(envelope(), event_type="case.rating"))
    with pytest.raises(ContractError, match="score"):
        encode_envelope(envelope(wire.RATED, data={**SAMPLES[wire.RATED], "score": 6,
                                                   "case": CASE}))
    with pytest.raises(ContractError, match="occurred_at"):
        encode_envelope(envelope(occurred_at=datetime(2026, 3, 2, 9, 0)))


def test_an_internal_note_has_no_event_type():
    assert not any("note" in event_type for event_type in wire.EVENT_TYPES)


def receipt(**changes: Any) -> Receipt:
    fields = {
        "receipt_id": "notification-1", "case_id": CASE_ID, "event_id": event_id_for(CASE_ID, 1),
        "delivered": True, "channel": "email", "template": "filed", "message_id": "<m1@huiyin>",
        "sent_at": T0, "text": "Ваш код доступа: ****-****-****",
    }
    return Receipt(**{**fields, **changes})


def test_a_receipt_survives_encoding_and_decoding():
    for original in (receipt(), receipt(delivered=False, message_id="", reason="550 no mailbox")):
        assert decode_receipt(encode_receipt(original)) == original


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"delivered": False}, "says why"),
        ({"channel": "pigeon"}, "channel"),
        ({"channel": ""}, "names its channel"),
        ({"receipt_id": ""}, "receipt_id"),
        ({"sent_at": datetime(2026, 3, 2, 9, 0)}, "sent_at"),
    ],
)
def test_invalid_receipts_are_refused(changes, problem):
    with pytest.raises(ContractError, match=problem):
        encode_receipt(receipt(**changes))


def test_a_receipt_missing_a_field_on_the_wire_is_refused():
    raw = tampered(encode_receipt(receipt()), lambda d: d.pop("event_id"))
    with pytest.raises(ContractError, match="event_id"):
        decode_receipt(raw)


def test_a_dead_letter_carries_the_original_envelope():
    original_envelope = json.loads(encode_envelope(envelope()))
    letter = DeadLetter(
        notification_id="notification-1", event_id=event_id_for(CASE_ID, 3), case_id=CASE_ID,
        channel="webhook", recipient="https://amur-trade.example/hooks/huiyin", attempts=5,
        last_error="HTTP 503", failed_at=T0, envelope=original_envelope,
    )
    decoded = decode_dead_letter(encode_dead_letter(letter))
    assert decoded == letter
    assert decode_envelope(json.dumps(decoded.envelope).encode()) == envelope()
    with pytest.raises(ContractError, match="attempts"):
        encode_dead_letter(replace(letter, attempts=0))


def sealed_token(text: str) -> str:
    return DataKey(CASE_ID, bytes(32)).seal(text)


def test_version_2_carries_the_filers_details_and_words_as_tokens():
    filer = {**CASE["filer"], **{name: sealed_token(CASE["filer"][name])
                                 for name in wire.SEALED_FILER_FIELDS if CASE["filer"][name]}}
    data = {**SAMPLES[wire.FILED], "subject": sealed_token("Груз задержан"),
            "case": {**CASE, "filer": filer}, "historical": False}
    original = envelope(data=data)
    assert original.schema_version == 2
    raw = encode_envelope(original)
    assert decode_envelope(raw) == original
    for clear in ("Иван Петров", "ivan@amur-trade.example", "amur-trade.example", "Груз"):
        assert clear.encode() not in raw


def test_version_1_is_still_read_with_every_value_in_clear():
    original = envelope(schema_version=1)
    assert decode_envelope(encode_envelope(original)) == original


@pytest.mark.parametrize("field", ["email", "webhook_url"])
def test_a_detail_neither_sealed_nor_valid_in_clear_is_refused(field):
    raw = tampered(encode_envelope(envelope()),
                   lambda d: d["data"]["case"]["filer"].update({field: "not an address"}))
    with pytest.raises(ContractError, match=f"case.filer.{field}"):
        decode_envelope(raw)


def test_an_erasure_names_a_known_basis():
    raw = tampered(encode_envelope(envelope(wire.PERSONAL_DATA_ERASED)),
                   lambda d: d["data"].update(basis="because"))
    with pytest.raises(ContractError, match="basis"):
        decode_envelope(raw)


def test_a_case_key_round_trips_and_names_its_kek():
    key = WrappedKey(CASE_ID, "kek-0123456789abcdef", bytes(range(40)))
    raw = encode_case_key(key)
    assert json.loads(raw) == {"kek_id": key.kek_id,
                               "wrapped": base64.b64encode(key.wrapped).decode()}
    assert decode_case_key(CASE_ID, raw) == key
    with pytest.raises(ContractError, match="kek_id"):
        decode_case_key(CASE_ID, b'{"kek_id": "mine", "wrapped": "AAAA"}')


def test_a_notice_receipt_lists_each_channel_it_reached():
    notice = receipt(receipt_id="notice-1", channel="inbox", message_id="", channels=(
        Delivery("inbox", "n-1", "", T0), Delivery("email", "n-2", "<m2@huiyin>", T0)))
    raw = encode_receipt(notice)
    assert json.loads(raw)["schema_version"] == 2
    assert decode_receipt(raw) == notice


def test_a_version_1_receipt_reads_as_a_notice_that_reached_its_one_channel():
    raw = tampered(encode_receipt(receipt()),
                   lambda d: (d.pop("schema_version"), d.pop("channels")))
    assert decode_receipt(raw).channels == (
        Delivery("email", "notification-1", "<m1@huiyin>", T0),)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(channels=d["channels"] * 2), "each channel once"),
        (lambda d: d.update(channels=[]), "lists its channels"),
        (lambda d: d.update(schema_version=3), "schema_version"),
        (lambda d: d["channels"][0].update(channel="pigeon"), "channel"),
    ],
)
def test_a_notice_receipt_that_breaks_the_contract_is_refused(change, problem):
    with pytest.raises(ContractError, match=problem):
        decode_receipt(tampered(encode_receipt(receipt()), change))
