"""The contract's quick check says yes only where marshmallow would: never laxer, mostly quick."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, validate, validates_schema

from shared.contract import case_events as wire
from shared.contract.codec import ContractError, dump_checked
from shared.contract.envelope import _ENVELOPE_SCHEMA, encode_envelope
from shared.contract.precheck import precheck
from shared.contract.receipts import _SCHEMA as RECEIPT_SCHEMA
from shared.sealing import TOKEN_PREFIX
from tests.unit.test_contract import CASE, SAMPLES, envelope

TOKEN = TOKEN_PREFIX + "c2VhbGVkIGJ5IHRoZSBjYXNlJ3Mga2V5"
SEALED_CASE = {**CASE, "filer": {
    **CASE["filer"], **dict.fromkeys(wire.SEALED_FILER_FIELDS, TOKEN), "person_name": None}}
SCHEMAS = {f"{event_type} v{version}": wire.data_schema(event_type, version)
           for event_type, version in wire.DATA_SCHEMAS}


def sealed_data(event_type: str) -> dict[str, Any]:
    """What the relay hands over for `event_type` today: every personal value a token."""
    return {**SAMPLES[event_type], "case": SEALED_CASE, "historical": False,
            **dict.fromkeys(wire.SEALED_FIELDS.get(event_type, ()), TOKEN)}


def outer_values() -> dict[str, Any]:
    return {name: value for name, value in vars(envelope()).items() if name != "data"} | {
        "data": {}}


@pytest.mark.parametrize("name", [*SCHEMAS, "envelope"])
def test_every_schema_an_envelope_is_checked_by_has_a_quick_check(name):
    assert precheck(SCHEMAS.get(name, _ENVELOPE_SCHEMA)) is not None


@pytest.mark.parametrize("event_type", wire.EVENT_TYPES)
def test_what_the_relay_sends_today_is_accepted_by_the_quick_check_alone(event_type):
    schema = wire.data_schema(event_type, wire.CURRENT_VERSION[event_type])
    assert precheck(schema).accepts(schema.dump(sealed_data(event_type)))
    assert precheck(_ENVELOPE_SCHEMA).accepts(_ENVELOPE_SCHEMA.dump(outer_values()))


def test_a_detail_in_clear_is_left_to_marshmallow_which_checks_it():
    schema = wire.data_schema(wire.FILED, 2)
    clear = {**sealed_data(wire.FILED), "case": {**SEALED_CASE, "filer": {
        **SEALED_CASE["filer"], "email": "ivan@amur-trade.example"}}}
    assert not precheck(schema).accepts(schema.dump(clear))
    assert dump_checked(schema, clear, "a filing")["case"]["filer"]["email"] == (
        "ivan@amur-trade.example")
    clear["case"]["filer"]["email"] = "not an address"
    with pytest.raises(ContractError, match="email"):
        dump_checked(schema, clear, "a filing")


def test_a_schema_with_checks_of_its_own_has_no_quick_check():
    class Checked(Schema):
        a = fields.String()

        @validates_schema
        def never(self, data, **kwargs):
            raise AssertionError

    class OwnValidator(Schema):
        a = fields.String(validate=validate.Regexp("^x"))

    class OwnField(Schema):
        a = fields.IP()

    for schema in (Checked(), OwnValidator(), OwnField(), RECEIPT_SCHEMA):
        assert precheck(schema) is None


def test_encoding_refuses_as_before_with_marshmallow_s_words():
    rated = {**sealed_data(wire.RATED), "score": 6}
    with pytest.raises(ContractError, match="score: Must be greater than or equal to 1"):
        encode_envelope(replace(envelope(wire.RATED), data=rated))
    with pytest.raises(ContractError, match="occurred_at: Not a valid aware datetime"):
        encode_envelope(replace(envelope(), data=sealed_data(wire.FILED),
                                occurred_at=datetime(2026, 3, 2, 9, 0)))


# Any value a producer's bug could hand the schema, where a value of the right kind belongs.
ODD_ZONES = [timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30)),
             timezone(timedelta(hours=8, minutes=5, seconds=43)), UTC]
ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(
        ["", TOKEN, TOKEN_PREFIX, "sealed:2:x", "ivan@amur-trade.example", "https://a.example/h",
         "zh", "ru", "email", "sms", "reply", "accept", "filer_request", "web", "resolved"])
    | st.datetimes(timezones=st.none() | st.sampled_from(ODD_ZONES))
    | st.just(UUID("6f1c3a52-9a0e-5f43-8d0e-2b7c1d9e4a11")),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=2),
    max_leaves=6,
)


def paths(values: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for key, value in values.items():
        found.append((*prefix, key))
        if isinstance(value, dict):
            found.extend(paths(value, (*prefix, key)))
    return found


def changed(values: dict[str, Any], path: tuple[str, ...], new: Any) -> dict[str, Any]:
    """`values` with the value at `path` replaced by `new`, or removed if `new` is ...."""
    head, *rest = path
    copy = dict(values)
    if rest:
        copy[head] = changed(copy[head], tuple(rest), new)
    elif new is ...:
        del copy[head]
    else:
        copy[head] = new
    return copy


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([*SCHEMAS, "envelope"]), st.data())
def test_the_quick_check_is_never_laxer_than_marshmallow(name, data):
    schema = SCHEMAS.get(name, _ENVELOPE_SCHEMA)
    if schema is _ENVELOPE_SCHEMA:
        values = outer_values()
    else:
        event_type, version = name.split(" v")
        values = sealed_data(event_type)
        if version == "1":
            values = {**values, "case": {
                key: value for key, value in CASE.items() if key != "personal_data_erased"}}
    for _ in range(data.draw(st.integers(1, 3))):
        if not paths(values):
            break
        path = data.draw(st.sampled_from(paths(values)))
        values = changed(values, path, data.draw(st.just(...) | ANYTHING))
    try:
        dumped = schema.dump(values)
    except Exception:  # refused before any check (dump_checked says it cannot be encoded)
        assume(False)
    quick = precheck(schema).accepts(dumped)
    event(f"quick check: {'yes' if quick else 'no'}")
    if quick:
        assert schema.validate(dumped) == {}
