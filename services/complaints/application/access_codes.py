"""The filer's access code: shown once at filing, stored only as a hash.

The code is derived from the server's secret and the case id, so a retried submission
(same Idempotency-Key) can answer with the same code without the code ever being stored.
Its 60 bits make guessing hopeless, so a plain SHA-256 of it is a safe thing to keep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

# Crockford-like alphabet without look-alikes, easy to read out over the phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def derive_access_code(secret_key: str, case_id: UUID) -> str:
    digest = hmac.new(secret_key.encode(), b"access-code:" + case_id.bytes, "sha256").digest()
    number = int.from_bytes(digest[:10], "big")
    characters = []
    for _ in range(12):
        number, index = divmod(number, len(_ALPHABET))
        characters.append(_ALPHABET[index])
    code = "".join(characters)
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def hash_access_code(code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").upper()
    return base64.b16encode(hashlib.sha256(normalised.encode()).digest()).decode().lower()


def access_code_matches(code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_access_code(code), stored_hash)
