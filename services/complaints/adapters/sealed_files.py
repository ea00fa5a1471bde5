"""Files sealed chunk by chunk with a data key (AES-256-GCM), and each case's sealed files.

A sealed file is a header (`HYSEALED`, a version byte, the chunk size) and chunks of at most
64 KiB, each sealed on its own with a fresh nonce. What a chunk is bound to (its associated
data, beside the key's own case id) is the file's SHA-256, the chunk's index and whether it
is the last: a chunk moved, dropped, swapped with another file's or cut off at the end does
not open. So a file is written and read in constant memory, whatever its size, and a reader
can stream it out as it opens it.

A case's files live in `<attachments>/cases/<case id>/<name>`, the name made by the case's
key from the file's SHA-256 (`DataKey.name_for`): neither the content, nor its digest, nor
the name the filer gave it (that is in the case's sealed events) lies in the folder. When the
case's key is destroyed the files no longer open; `forget` deletes them too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from shared.sealing import NONCE_BYTES, DataKey, SealingError

MAGIC = b"HYSEALED"
VERSION = 1
CHUNK = 64 * 1024
_TAG = 16
_HEADER = len(MAGIC) + 1 + 4


class SealedFileError(SealingError):
    """A sealed file that is not one, or does not open with the key and digest given."""


def _context(sha256: str, index: int, last: bool) -> bytes:
    return b"attachment\0" + bytes.fromhex(sha256) + index.to_bytes(8, "big") + bytes([last])


def seal_stream(key: DataKey, sha256: str, plain: Iterable[bytes], out: BinaryIO) -> int:
    """Seal the plain bytes `plain` gives, in pieces of any size, into `out`; how many there
    were. They must hash to `sha256` (checked as they are read: a file that changed since it
    was checked is refused, not sealed)."""
    digest = hashlib.sha256()
    out.write(MAGIC + bytes([VERSION]) + CHUNK.to_bytes(4, "big"))
    size, index = 0, 0
    pieces = _rechunked(plain)
    chunk = next(pieces, b"")
    while True:
        following = next(pieces, None)
        last = following is None
        digest.update(chunk)
        out.write(key.seal_bytes(chunk, _context(sha256, index, last)))
        size += len(chunk)
        if following is None:
            break
        chunk, index = following, index + 1
    if digest.hexdigest() != sha256:
        raise SealedFileError(f"the content does not hash to {sha256}")
    return size


def file_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """A stream's bytes from where it stands, a chunk at a time."""
    return iter(lambda: stream.read(CHUNK), b"")


def _rechunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The same bytes in chunks of exactly `CHUNK` (the last shorter, never empty)."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        yield bytes(buffer)


def sealed_size(size: int) -> int:
    """What a file of `size` plain bytes takes once sealed."""
    chunks = max(1, -(-size // CHUNK))
    return _HEADER + size + chunks * (NONCE_BYTES + _TAG)


def open_stream(key: DataKey, sha256: str, sealed: BinaryIO) -> Iterator[bytes]:
    """The plain chunks of a sealed file, each opened and checked before it is given."""
    header = sealed.read(_HEADER)
    if len(header) != _HEADER or header[: len(MAGIC)] != MAGIC or header[len(MAGIC)] != VERSION:
        raise SealedFileError("not a sealed file of this version")
    chunk_size = int.from_bytes(header[len(MAGIC) + 1 :], "big")
    whole = chunk_size + NONCE_BYTES + _TAG
    index = 0
    piece = sealed.read(whole)
    while True:
        following = sealed.read(whole) if len(piece) == whole else b""
        last = not following
        if len(piece) < NONCE_BYTES + _TAG:
            raise SealedFileError("a sealed file was cut short")
        try:
            yield key.open_bytes(piece, _context(sha256, index, last))
        except SealingError:
            raise SealedFileError(f"chunk {index} does not open: altered or cut") from None
        if last:
            return
        piece, index = following, index + 1


def write_sealed(
    key: DataKey, sha256: str, plain: Iterable[bytes], final: Path, scratch: Path
) -> None:
    """Seal `plain` to `final` by way of a temporary file in `scratch`, renamed into place."""
    scratch.mkdir(parents=True, exist_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=scratch, prefix="sealing-")
    try:
        with os.fdopen(handle, "wb") as written:
            seal_stream(key, sha256, plain, written)
            written.flush()
            os.fsync(written.fileno())
        os.replace(temporary, final)
    finally:
        Path(temporary).unlink(missing_ok=True)


class CaseFiles:
    """Each case's attachments, sealed with the case's key, one folder per case."""

    def __init__(self, attachments_root: Path) -> None:
        self.attachments_root = attachments_root
        self.root = attachments_root / "cases"

    def folder(self, case_id: UUID) -> Path:
        return self.root / case_id.hex

    def path_of(self, key: DataKey, sha256: str) -> Path:
        return self.folder(key.case_id) / key.name_for(sha256)

    def holds(self, key: DataKey, sha256: str) -> bool:
        return self.path_of(key, sha256).is_file()

    def seal(self, key: DataKey, sha256: str, plain: Iterable[bytes]) -> None:
        final = self.path_of(key, sha256)
        write_sealed(key, sha256, plain, final, self.attachments_root / "incoming")
        os.utime(final)

    def open(self, key: DataKey, sha256: str) -> Iterator[bytes]:
        """The file's plain chunks; FileNotFoundError if the case does not keep it."""
        handle = self.path_of(key, sha256).open("rb")

        def chunks() -> Iterator[bytes]:
            with handle:
                yield from open_stream(key, sha256, handle)

        return chunks()

    def forget(self, case_id: UUID) -> bool:
        """Delete the case's files (its key is destroyed: they could not be opened anyway)."""
        folder = self.folder(case_id)
        if not folder.is_dir():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True

    def cases(self) -> Iterator[UUID]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            try:
                yield UUID(hex=folder.name)
            except ValueError:
                continue
