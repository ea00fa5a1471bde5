"""Files filers attach: checked by their content, named by their SHA-256.

A file is checked whole (size, kind, an Office file's parts) from the stream the request
already holds, before anything is written: a refused file is never written. Forms stage their
files sealed with a key of the form's own (`staging.py`); a filed case's files are sealed with
the case's key in its own folder (`sealed_files.py`). Versions before sealing kept each file
once, in clear, at `<data dir>/attachments/<first two hex digits>/<sha256>`: such files are
still read for the cases that name them (cases filed before their personal data was sealed),
and swept once no case does.

What the case records is a reference string, `sha256:<hex>;type=<media type>;size=<bytes>;
name=<file name>`: the content address first, then what the filer's file was. The name sits
in the reference, not in a file beside the blob, because it belongs to the filing and not to
the bytes: two filers may send the same bytes under different names, and neither may learn
the other's. So it is also covered by the case's chain of hashes like the rest of the filing.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PREFIX = "sha256:"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_BLOB_FOLDER = re.compile(r"^[0-9a-f]{2}$")
_CHUNK = 64 * 1024
_NAME_LENGTH = 120
# Office Open XML names its kind of document in [Content_Types].xml; a macro-enabled one
# (docm, xlsm, pptm) names another type and is refused with everything unknown.
_OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_CONTENT_TYPES_MOST = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    code: str
    media_type: str
    extensions: tuple[str, ...]


KINDS = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "application/pdf", (".pdf",)),
        FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        FileKind("png", "image/png", (".png",)),
        FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml"
                 ".document", (".docx",)),
        FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 (".xlsx",)),
        FileKind("pptx", "application/vnd.openxmlformats-officedocument.presentationml"
                 ".presentation", (".pptx",)),
        FileKind("doc", "application/msword", (".doc",)),
        FileKind("xls", "application/vnd.ms-excel", (".xls",)),
        FileKind("ppt", "application/vnd.ms-powerpoint", (".ppt",)),
    )
}


_OLE2 = ("doc", "xls", "ppt")  # one container format: the name's extension says which
_MEDIA_TYPES = frozenset(kind.media_type for kind in KINDS.values())


@dataclass(frozen=True)
class Limits:
    files: int = 5
    file_bytes: int = 10 * 1024 * 1024
    total_bytes: int = 20 * 1024 * 1024
    # An Office file is a zip. Read from its central directory: what all its parts unpack to
    # (never more than this, nor this many times the file once past `file_bytes`), and how
    # many parts it has. Real documents stay far inside; a zip bomb does not.
    unpacked_bytes: int = 100 * 1024 * 1024
    unpacked_ratio: int = 100
    parts: int = 1000


class AttachmentRefusedError(Exception):
    """A file that is not kept; `reason` says why (too_many, empty, too_large, total_too_large,
    not_allowed, name_mismatch, out_of_proportion, staging_full, expired), `name` which file."""

    def __init__(self, reason: str, name: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.reason = reason
        self.name = name


@dataclass(frozen=True)
class Attachment:
    sha256: str
    media_type: str
    size: int
    name: str

    @property
    def reference(self) -> str:
        return f"{PREFIX}{self.sha256};type={self.media_type};size={self.size};name={self.name}"

    @classmethod
    def parse(cls, reference: str) -> Attachment | None:
        """The attachment a case's reference names; None for references of another kind."""
        if not reference.startswith(PREFIX):
            return None
        # The name comes last and may itself hold ";" or "=".
        parts = reference[len(PREFIX):].split(";", 3)
        if len(parts) != 4 or not _SHA256.match(parts[0]):
            return None
        values = dict(part.partition("=")[::2] for part in parts[1:])
        if not values.get("size", "").isdigit() or values.get("type") is None:
            return None
        return cls(parts[0], values["type"], int(values["size"]), values.get("name", ""))


def attachments_of(references: Iterable[str]) -> list[Attachment]:
    """The stored files among a case's attachment references, in order."""
    return [found for reference in references if (found := Attachment.parse(reference))]


def _control(character: str) -> bool:
    """Control, format and unassigned characters, and the line and paragraph separators."""
    return unicodedata.category(character)[0] == "C" or character in "\u2028\u2029"


def clean_name(name: str) -> str:
    """The file's own name, without a client's folders or control characters, not too long."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rpartition("/")[2]
    name = "".join(ch for ch in name if not _control(ch)).strip()
    if len(name) > _NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = stem[: _NAME_LENGTH - len(keep) - 1] + "." + keep if keep else name[:_NAME_LENGTH]
    return name or "file"


def reference_problem(reference: str) -> str | None:
    """Why a reference string may not be recorded in a case; None when it may.

    A stored file's reference must be exactly what `Attachment.reference` writes: the hex
    digest, a kind this service takes, a size in digits and a name as `clean_name` leaves it.
    """
    if any(_control(ch) for ch in reference):
        return "holds control characters"
    if not reference.startswith(PREFIX):
        return None
    found = Attachment.parse(reference)
    if found is None or found.media_type not in _MEDIA_TYPES:
        return "is not a stored file's reference: sha256:<64 hex digits>;type=…;size=…;name=…"
    name = found.name
    if not name or name != clean_name(name) or "/" in name or name in (".", ".."):
        return "names its file with characters a file name may not hold"
    return None




def inspect(stream: BinaryIO, name: str, limits: Limits) -> tuple[Attachment, BinaryIO]:
    """Check one file whole, writing nothing: what it is, and a stream of it from its start.

    Its kind and size come from its bytes, never from what the client said. The request's
    parser holds each upload in a seekable file already; a stream that is not seekable is
    read into memory, never past the size limit.
    """
    name = clean_name(name)
    if not stream.seekable():
        stream = _bounded_copy(stream, limits.file_bytes, name)
    size = stream.seek(0, os.SEEK_END)
    if size > limits.file_bytes:
        raise AttachmentRefusedError("too_large", name)
    if size == 0:
        raise AttachmentRefusedError("empty", name)
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    kind = _kind_of(stream, size, name, limits)
    stream.seek(0)
    return Attachment(digest.hexdigest(), kind.media_type, size, name), stream


def _bounded_copy(stream: BinaryIO, most: int, name: str) -> BinaryIO:
    copy = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        if copy.tell() + len(chunk) > most:
            raise AttachmentRefusedError("too_large", name)
        copy.write(chunk)
    return copy


class AttachmentStore:
    """Where attachments live, their limits, and the files kept in clear before sealing (each
    under its SHA-256); `lock()` keeps the sweep off a file that is being added to a case."""

    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = root
        self.limits = limits or Limits()

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def holds(self, attachment: Attachment) -> bool:
        return self.path_of(attachment.sha256).is_file()

    def blobs(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.is_dir() and _BLOB_FOLDER.match(folder.name):
                yield from (path for path in folder.iterdir() if _SHA256.match(path.name))

    @contextmanager
    def lock(self, *, shared: bool) -> Iterator[None]:
        """Adding files takes it shared; the sweep takes it alone while it deletes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _kind_of(content: BinaryIO, size: int, name: str, limits: Limits) -> FileKind:
    """What the file is by its first bytes (and an Office file's parts); its name must agree."""
    content.seek(0)
    head = content.read(8)
    if head.startswith(b"%PDF-"):
        code = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        code = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        code = "png"
    elif head.startswith(b"PK\x03\x04"):
        code = _office_open_xml(content, size, name, limits)
    elif head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # The old Office formats share this container; its name's extension says which it is.
        code = next((each for each in _OLE2 if _extension(name) in KINDS[each].extensions), None)
        if code is None:
            raise AttachmentRefusedError("name_mismatch", name)
    else:
        code = None
    if code is None:
        raise AttachmentRefusedError("not_allowed", name)
    kind = KINDS[code]
    if _extension(name) not in kind.extensions:
        raise AttachmentRefusedError("name_mismatch", name)
    return kind


def _office_open_xml(content: BinaryIO, size: int, name: str, limits: Limits) -> str | None:
    content.seek(0)
    try:
        with zipfile.ZipFile(content) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if (len(parts) > limits.parts or unpacked > limits.unpacked_bytes
                    or (unpacked > limits.file_bytes
                        and unpacked > limits.unpacked_ratio * size)):
                raise AttachmentRefusedError("out_of_proportion", name)
            with archive.open("[Content_Types].xml") as part:
                types = part.read(_CONTENT_TYPES_MOST + 1)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError,
            EOFError, ValueError):
        return None
    if len(types) > _CONTENT_TYPES_MOST:
        return None
    text = types.decode("utf-8", "replace")
    return next((code for code, main in _OOXML_MAIN.items() if f'"{main}"' in text), None)


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
