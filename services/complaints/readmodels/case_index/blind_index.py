"""Exact look-ups without the values: a keyed hash (blind index) of credit codes, phones, emails.

The case index keeps HMAC-SHA-256 of each value, written the way people write it differently
brought to one form first, never the value itself. The key is derived (HKDF) from the
installation's secret key, not from the key-encryption key, so rotating the KEK leaves every
hash valid; one key per kind of value, so one person's phone and email hash unrelated.
Without the secret the hashes cannot be tested against guesses; with it they can (phone
numbers are few), which is why they are cleared with everything else on erasure.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CREDIT_CODE, PHONE, EMAIL = "credit_code", "phone", "email"
EXTERNAL_USER = "external_user_id"  # an individual's user id in the system a case came from
KINDS = (CREDIT_CODE, PHONE, EMAIL, EXTERNAL_USER)
_INFO = "huiyin case index blind index v1: {kind}"
_NOT_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s+")
MAINLAND = "86"


def normal_credit_code(code: str) -> str:
    return _SPACES.sub("", code).upper()


def normal_phone(phone: str) -> str:
    """Digits only; a mainland number without its country code or trunk 0, so that
    +86 456 823 1234, 0086-456-8231234 and 0456 823 1234 are one number."""
    digits = _NOT_DIGITS.sub("", phone)
    international = phone.strip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    if international:
        if not digits.startswith(MAINLAND):
            return "+" + digits  # another country's number: as written, with its code
        digits = digits[len(MAINLAND):]
    elif digits.startswith(MAINLAND) and len(digits) in (12, 13):
        digits = digits[len(MAINLAND):]  # 86 and a mainland number: no national one is so long
    return digits[1:] if digits.startswith("0") else digits


def normal_email(email: str) -> str:
    return email.strip().lower()


_NORMAL = {CREDIT_CODE: normal_credit_code, PHONE: normal_phone, EMAIL: normal_email,
           EXTERNAL_USER: str.strip}


class BlindIndex:
    """The keyed hashes of one installation (its secret key)."""

    def __init__(self, secret_key: str) -> None:
        self._keys = {
            kind: HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None,
                info=_INFO.format(kind=kind).encode(),
            ).derive(secret_key.encode())
            for kind in KINDS
        }

    def hash(self, kind: str, value: str | None) -> str | None:
        """The hash of `value` as a `kind` (`KINDS`); None for nothing."""
        normal = _NORMAL[kind](value) if value else ""
        if not normal:
            return None
        return hmac.new(self._keys[kind], normal.encode(), hashlib.sha256).hexdigest()
