"""Personal data sealed per case: AES-256-GCM data keys, wrapped by the operator's key.

Each case has its own 256-bit data key. A personal value is sealed with it into a token,
`sealed:1:` and the URL-safe base64 of a 96-bit nonce followed by the AES-GCM ciphertext and
tag; the case's id is the associated data, so a token copied into another case does not open.
The data key is kept only wrapped (RFC 3394 AES key wrap) by a key-encryption key (KEK) the
operator provides; destroying the wrapped key erases every value sealed with it
(crypto-shredding), while the tokens, and the hashes that cover them, stay as they were.

Both services read the same KEKs: the complaints service wraps and unwraps case keys in its
store, notify unwraps those the stream carries to it. A KEK is named by an id drawn from its
own hash, so a wrapped key says which KEK wraps it and rotation can tell old from new.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from shared.installation import SecretFileError, kept_secret, read_secret

TOKEN_PREFIX = "sealed:1:"
KEY_BYTES = 32
NONCE_BYTES = 12
KEK_FILE = "kek"
_FROM_URL_SAFE = bytes.maketrans(b"-_", b"+/")


class SealingError(ValueError):
    """A key or token is malformed, or does not belong where it was found."""


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


@dataclass(frozen=True)
class WrappedKey:
    """A case's data key as stored and carried: wrapped by the KEK named `kek_id`."""

    case_id: UUID
    kek_id: str
    wrapped: bytes


class DataKey:
    """One case's key: seals its personal values and opens them again."""

    __slots__ = ("_aead", "_associated", "_key", "case_id")

    def __init__(self, case_id: UUID, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SealingError(f"a data key has {KEY_BYTES} bytes, not {len(key)}")
        self.case_id = case_id
        self._aead = AESGCM(key)
        self._associated = case_id.bytes
        self._key = key

    def seal_bytes(self, data: bytes, context: bytes) -> bytes:
        """`data` sealed for this case: a fresh nonce, then ciphertext and tag. `context` is
        bound to it (associated data) and must be given again to open it."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, self._associated + context)

    def open_bytes(self, sealed: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], self._associated + context
            )
        except (ValueError, InvalidTag):
            raise SealingError(
                f"sealed bytes do not open with case {self.case_id}'s key here"
            ) from None

    def name_for(self, text: str) -> str:
        """A name for `text` that only this case's key makes (HMAC-SHA256 under a key derived
        by HKDF): what the case keeps can be found by it without the name telling what it is."""
        naming = HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=b"huiyin names").derive(
            self._key
        )
        mac = hmac.HMAC(naming, hashes.SHA256())
        mac.update(self._associated + text.encode("utf-8"))
        return mac.finalize().hex()

    def seal(self, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), self._associated)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str) -> str:
        if not is_token(token):
            raise SealingError("not a sealed value")
        try:
            # binascii's strict mode: what b64decode(validate=True) checks, without its regex.
            raw = binascii.a2b_base64(
                token[len(TOKEN_PREFIX) :].encode("ascii").translate(_FROM_URL_SAFE),
                strict_mode=True,
            )
            text = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._associated)
        except (binascii.Error, ValueError, InvalidTag):
            raise SealingError(
                f"a sealed value does not open with case {self.case_id}'s key"
            ) from None
        return text.decode("utf-8")


class KeyEncryptionKey:
    """The operator's key that wraps every case's data key; never stored beside them."""

    __slots__ = ("_key", "id")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SealingError(f"a key-encryption key has {KEY_BYTES} bytes, not {len(key)}")
        self._key = key
        self.id = "kek-" + hashlib.sha256(b"huiyin kek id\0" + key).hexdigest()[:16]

    @classmethod
    def parse(cls, text: str) -> KeyEncryptionKey:
        """A KEK written as base64 (standard or URL-safe) of 32 bytes."""
        cleaned = "".join(text.split())
        try:
            key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise SealingError("a key-encryption key is written as base64 of 32 bytes") from None
        return cls(key)

    @staticmethod
    def generate_text() -> str:
        return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")

    def wrap(self, case_id: UUID, key: bytes) -> WrappedKey:
        return WrappedKey(case_id, self.id, aes_key_wrap(self._key, key))

    def unwrap(self, wrapped: WrappedKey) -> DataKey:
        return DataKey(wrapped.case_id, self.unwrap_bytes(wrapped))

    def unwrap_bytes(self, wrapped: WrappedKey) -> bytes:
        try:
            return aes_key_unwrap(self._key, wrapped.wrapped)
        except InvalidUnwrap:
            raise SealingError(
                f"case {wrapped.case_id}'s key does not unwrap with {self.id}"
            ) from None


class KeyRing:
    """The current KEK, which wraps every new key, and the retired ones still being rotated out."""

    def __init__(self, current: KeyEncryptionKey, retired: Iterable[KeyEncryptionKey] = ()) -> None:
        self.current = current
        self._by_id = {kek.id: kek for kek in (*retired, current)}

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def new_key(self, case_id: UUID) -> tuple[DataKey, WrappedKey]:
        key = secrets.token_bytes(KEY_BYTES)
        return DataKey(case_id, key), self.current.wrap(case_id, key)

    def unwrap(self, wrapped: WrappedKey) -> DataKey:
        try:
            kek = self._by_id[wrapped.kek_id]
        except KeyError:
            raise SealingError(
                f"case {wrapped.case_id}'s key is wrapped by {wrapped.kek_id}, which this "
                f"installation does not hold (it holds {', '.join(self._by_id)})"
            ) from None
        return kek.unwrap(wrapped)

    def rewrap(self, wrapped: WrappedKey) -> WrappedKey:
        """The same data key wrapped by the current KEK."""
        if wrapped.kek_id == self.current.id:
            return wrapped
        kek = self._by_id.get(wrapped.kek_id)
        if kek is None:
            raise SealingError(f"no key-encryption key {wrapped.kek_id} to unwrap with")
        return self.current.wrap(wrapped.case_id, kek.unwrap_bytes(wrapped))


def read_key_ring(env: Mapping[str, str], data_dir: Path, *, demo: bool) -> KeyRing:
    """The KEKs the environment names.

    `HUIYIN_KEK` (base64) or `HUIYIN_KEK_FILE` (a file holding it) is the current KEK;
    `HUIYIN_KEK_RETIRED_FILES` lists, comma-separated, the files of KEKs being rotated out.
    A demo installation with neither makes its own, `kek` in its data directory.
    """
    text = env.get("HUIYIN_KEK", "").strip()
    path = env.get("HUIYIN_KEK_FILE", "").strip()
    if text and path:
        raise SealingError("set HUIYIN_KEK or HUIYIN_KEK_FILE, not both")
    if path:
        text = _read_kek_file(Path(path), "HUIYIN_KEK_FILE")
    elif not text:
        if not demo:
            raise SealingError(
                "HUIYIN_KEK_FILE (or HUIYIN_KEK) is required: the key-encryption key that "
                "wraps every case's data key; make one with `huiyin keys new-kek`"
            )
        text = kept_secret(Path(data_dir) / KEK_FILE, KeyEncryptionKey.generate_text)
    current = KeyEncryptionKey.parse(text)
    retired = [
        KeyEncryptionKey.parse(_read_kek_file(Path(name.strip()), "HUIYIN_KEK_RETIRED_FILES"))
        for name in env.get("HUIYIN_KEK_RETIRED_FILES", "").split(",")
        if name.strip()
    ]
    return KeyRing(current, retired)


def _read_kek_file(path: Path, variable: str) -> str:
    try:
        return read_secret(path)
    except SecretFileError as error:
        raise SealingError(f"{variable}: {error}") from None
    except OSError as error:
        raise SealingError(f"{variable}: cannot read {path}: {error.strerror}") from None
