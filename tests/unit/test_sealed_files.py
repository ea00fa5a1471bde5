"""Files sealed chunk by chunk with a case's key: they open whole, and not at all once moved,
cut, swapped or opened with another key or digest."""

from __future__ import annotations

import hashlib
import io
import os
from uuid import uuid4

import pytest

from complaints.adapters.sealed_files import (
    CHUNK,
    SealedFileError,
    open_stream,
    seal_stream,
    sealed_size,
)
from shared.sealing import DataKey


def key() -> DataKey:
    return DataKey(uuid4(), os.urandom(32))


def sealed(data_key: DataKey, content: bytes) -> bytes:
    out = io.BytesIO()
    seal_stream(data_key, hashlib.sha256(content).hexdigest(), [content], out)
    return out.getvalue()


def opened(data_key: DataKey, content_sha: str, blob: bytes) -> bytes:
    return b"".join(open_stream(data_key, content_sha, io.BytesIO(blob)))


@pytest.mark.parametrize("size", [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])
def test_a_file_opens_whole_and_takes_the_size_it_is_said_to(size):
    content = os.urandom(size)
    data_key = key()
    blob = sealed(data_key, content)
    assert len(blob) == sealed_size(size)
    if size >= 16:  # a byte or two turns up anywhere by chance
        assert content not in blob
    assert opened(data_key, hashlib.sha256(content).hexdigest(), blob) == content


def test_pieces_of_any_size_seal_as_the_whole_does():
    content = os.urandom(2 * CHUNK + 5)
    data_key, digest = key(), hashlib.sha256(content).hexdigest()
    out = io.BytesIO()
    seal_stream(data_key, digest, [content[:7], content[7:CHUNK + 100], content[CHUNK + 100:]],
                out)
    assert opened(data_key, digest, out.getvalue()) == content


def test_content_that_does_not_hash_as_said_is_refused():
    with pytest.raises(SealedFileError):
        seal_stream(key(), "00" * 32, [b"%PDF-1.7 other"], io.BytesIO())


def test_another_key_or_another_digest_does_not_open_it():
    content = os.urandom(CHUNK + 3)
    data_key, digest = key(), hashlib.sha256(content).hexdigest()
    blob = sealed(data_key, content)
    with pytest.raises(SealedFileError):
        opened(key(), digest, blob)
    with pytest.raises(SealedFileError):
        opened(data_key, "11" * 32, blob)


def test_a_file_cut_short_or_with_chunks_swapped_does_not_open():
    content = os.urandom(3 * CHUNK)
    data_key, digest = key(), hashlib.sha256(content).hexdigest()
    blob = sealed(data_key, content)
    header, whole = 13, CHUNK + 28
    chunks = [blob[header + i * whole: header + (i + 1) * whole] for i in range(3)]
    with pytest.raises(SealedFileError):
        opened(data_key, digest, blob[: header + 2 * whole])  # the last chunk dropped
    with pytest.raises(SealedFileError):
        opened(data_key, digest, blob[:header] + chunks[1] + chunks[0] + chunks[2])
    flipped = bytearray(blob)
    flipped[header + 40] ^= 1
    with pytest.raises(SealedFileError):
        opened(data_key, digest, bytes(flipped))


def test_names_are_the_cases_own():
    first, second = key(), key()
    digest = "ab" * 32
    assert first.name_for(digest) == first.name_for(digest)
    assert first.name_for(digest) != second.name_for(digest)
    assert digest not in first.name_for(digest)
