"""The case keys channel, `huiyin.case-keys`: each case's data key as notify needs it to open
the sealed values of the case events.

Keyed by the case id. The value is the case's data key wrapped by the operator's KEK (RFC 3394
key wrap, `shared.sealing`), as UTF-8 JSON `{"kek_id": "kek-…", "wrapped": "<base64>"}`:
only a holder of that KEK can unwrap it. A null value (a tombstone) says the case's personal
data was erased: the key is gone, and every token sealed with it reads as absent.

On Kafka the topic is compacted, so a reader that reads it to the end knows each case's
current key, and erasure reaches the broker's own log (`shared.contract.topics`). The
complaints relay publishes a case's key before the first event of the case that carries a
token, so a consumer that does not find the key catches up to the end once more before
concluding the case has none.
"""

from __future__ import annotations

import base64
import binascii
from uuid import UUID

from marshmallow import Schema, fields, validate

from shared.contract.codec import ContractError, dump_checked, from_bytes, load_checked, to_bytes
from shared.sealing import WrappedKey


class CaseKeySchema(Schema):
    kek_id = fields.String(required=True, validate=validate.Regexp(r"^kek-[0-9a-f]{16}$"))
    wrapped = fields.String(required=True, validate=validate.Length(min=1, max=200))


_SCHEMA = CaseKeySchema()


def encode_case_key(key: WrappedKey) -> bytes:
    """The message value of `key` (its case id is the message key)."""
    wrapped = base64.b64encode(key.wrapped).decode("ascii")
    return to_bytes(dump_checked(_SCHEMA, {"kek_id": key.kek_id, "wrapped": wrapped},
                                 "a case key"))


def decode_case_key(case_id: UUID, raw: bytes) -> WrappedKey:
    """The wrapped key in `raw`, the value of the message keyed `case_id`."""
    data = load_checked(_SCHEMA, from_bytes(raw, "a case key"), "a case key")
    try:
        wrapped = base64.b64decode(data["wrapped"], validate=True)
    except (binascii.Error, ValueError):
        raise ContractError("a case key's wrapped key is not base64") from None
    return WrappedKey(case_id, data["kek_id"], wrapped)
