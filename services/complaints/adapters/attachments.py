"""Files filers attach: checked by their content, kept once each under their SHA-256.

A blob lives at `<data dir>/attachments/<first two hex digits>/<sha256>`, written to a
temporary file beside it and renamed into place, so a reader never sees half a file and the
same bytes sent twice (by one filer or by two) are kept once.

What the case records is a reference string, `sha256:<hex>;type=<media type>;size=<bytes>;
name=<file name>`: the content address first, then what the filer's file was. The name sits
in the reference, not in a file beside the blob, because it belongs to the filing and not to
the bytes: two filers may send the same bytes under different names, and neither may learn
the other's. So it is also covered by the case's chain of hashes like the rest of the filing.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PREFIX = "sha256:"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
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


@dataclass(frozen=True)
class Limits:
    files: int = 5
    file_bytes: int = 10 * 1024 * 1024
    total_bytes: int = 20 * 1024 * 1024


class AttachmentRefusedError(Exception):
    """A file that is not kept; `reason` says why (too_many, empty, too_large, total_too_large,
    not_allowed, name_mismatch), `name` which file."""

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


def clean_name(name: str) -> str:
    """The file's own name, without a client's folders or control characters, not too long."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rpartition("/")[2]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > _NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = stem[: _NAME_LENGTH - len(keep) - 1] + "." + keep if keep else name[:_NAME_LENGTH]
    return name or "file"


class AttachmentStore:
    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = root
        self.limits = limits or Limits()

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def holds(self, attachment: Attachment) -> bool:
        return self.path_of(attachment.sha256).is_file()

    def keep_all(
        self, uploads: Iterable[tuple[BinaryIO, str]], already: Iterable[Attachment] = ()
    ) -> tuple[list[Attachment], list[AttachmentRefusedError]]:
        """Keep each upload that fits beside `already`: (everything kept, what was refused)."""
        kept = list(already)
        refused: list[AttachmentRefusedError] = []
        for stream, raw_name in uploads:
            name = clean_name(raw_name)
            try:
                if len(kept) >= self.limits.files:
                    raise AttachmentRefusedError("too_many", name)
                attachment = self.keep(stream, name)
                if sum(each.size for each in kept) + attachment.size > self.limits.total_bytes:
                    raise AttachmentRefusedError("total_too_large", name)
            except AttachmentRefusedError as refusal:
                refused.append(refusal)
                continue
            if all(each.sha256 != attachment.sha256 for each in kept):
                kept.append(attachment)
        return kept, refused

    def keep(self, stream: BinaryIO, name: str) -> Attachment:
        """Check one file and keep it; AttachmentRefusedError if it is not acceptable."""
        name = clean_name(name)
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=incoming, prefix="upload-")
        try:
            with os.fdopen(handle, "wb") as written:
                digest, size = self._copy(stream, written, name)
                written.flush()
                os.fsync(written.fileno())
            kind = _kind_of(Path(temporary), name)
            attachment = Attachment(digest, kind.media_type, size, name)
            final = self.path_of(digest)
            if final.is_file():
                return attachment  # the same bytes are kept already
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, final)
            _sync_directory(final.parent)
            return attachment
        finally:
            Path(temporary).unlink(missing_ok=True)

    def _copy(self, stream: BinaryIO, written: BinaryIO, name: str) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > self.limits.file_bytes:
                raise AttachmentRefusedError("too_large", name)
            digest.update(chunk)
            written.write(chunk)
        if size == 0:
            raise AttachmentRefusedError("empty", name)
        return digest.hexdigest(), size


def _kind_of(path: Path, name: str) -> FileKind:
    """What the file is by its first bytes (and an Office file's parts); its name must agree."""
    with path.open("rb") as content:
        head = content.read(8)
    if head.startswith(b"%PDF-"):
        code = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        code = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        code = "png"
    elif head.startswith(b"PK\x03\x04"):
        code = _office_open_xml(path)
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


def _office_open_xml(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MOST:
                return None
            types = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        return None
    return next((code for code, main in _OOXML_MAIN.items() if f'"{main}"' in types), None)


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
