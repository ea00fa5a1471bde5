"""Where a form's files wait until its case is filed: one folder per form, sealed with a key
the form alone carries, with a quota.

A form that carries files gets a staging key: a random id and a random 256-bit key, carried
signed in the form itself and kept nowhere on the server. Its accepted files wait in
`<attachments>/staging/<id>/`, each sealed with that key (`sealed_files`) under a name the key
makes: an abandoned form's files cannot be read, nor their digests or names learnt, by anyone
who has not got the form. A form sent back with problems keeps them there for the next send.
Filing the case seals each file again with the case's key into the case's folder
(`CaseFiles`), then empties the staging folder, leaving a note of the case it was filed as: a
form sent twice finds its files there. The sweep removes what has waited longer than the
expiry. Each form holds at most the form's limits; all forms together at most `quota_bytes`,
counted as the disk counts them (a small file takes a whole block).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from complaints.adapters.attachments import (
    Attachment,
    AttachmentRefusedError,
    AttachmentStore,
    clean_name,
    inspect,
)
from complaints.adapters.sealed_files import (
    CaseFiles,
    file_chunks,
    open_stream,
    sealed_size,
    write_sealed,
)
from complaints.settings import Settings
from shared.sealing import KEY_BYTES, DataKey

_STAGING_ID = re.compile(r"^[0-9a-f]{32}$")
_BLOCK = 4096
FILED_AS = ".case"  # the note a filed form's folder keeps: the case its files went to

CaseKeyFinder = Callable[[UUID], DataKey | None]


class StagingKey:
    """A form's staging folder and the key its files are sealed with; `key_text` is how the
    form carries the key."""

    __slots__ = ("_raw", "key", "staging_id")

    def __init__(self, staging_id: str, raw: bytes) -> None:
        if not _STAGING_ID.match(staging_id):
            raise ValueError(f"not a staging id: {staging_id!r}")
        self.staging_id = staging_id
        self._raw = raw
        self.key = DataKey(UUID(hex=staging_id), raw)

    @classmethod
    def new(cls) -> StagingKey:
        return cls(secrets.token_hex(16), secrets.token_bytes(KEY_BYTES))

    @classmethod
    def parse(cls, staging_id: object, key_text: object) -> StagingKey | None:
        """The key a form carries; None for anything that is not one."""
        if not isinstance(staging_id, str) or not isinstance(key_text, str):
            return None
        try:
            raw = base64.urlsafe_b64decode(key_text.encode("ascii"))
            return cls(staging_id, raw)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None

    @property
    def key_text(self) -> str:
        return base64.urlsafe_b64encode(self._raw).decode("ascii")


class StagingArea:
    def __init__(self, store: AttachmentStore, quota_bytes: int, expiry: timedelta) -> None:
        self.store = store
        self.root = store.root / "staging"
        self.case_files = CaseFiles(store.root)
        self.quota_bytes = quota_bytes
        self.expiry = expiry

    def folder(self, form: StagingKey) -> Path:
        return self.root / form.staging_id

    def _path(self, form: StagingKey, sha256: str) -> Path:
        return self.folder(form) / form.key.name_for(sha256)

    def holds(self, form: StagingKey, attachment: Attachment) -> bool:
        return self._path(form, attachment.sha256).is_file()

    def receive(
        self, form: StagingKey, uploads: Iterable[tuple[BinaryIO, str]],
        already: Iterable[Attachment] = (),
    ) -> tuple[list[Attachment], list[AttachmentRefusedError]]:
        """Stage each upload that fits beside `already`: (everything staged, what was refused).

        Each file is checked whole before it is written, so a refused file is never written.
        """
        kept = list(already)
        self._keep_only(form, {each.sha256 for each in kept})
        refused: list[AttachmentRefusedError] = []
        limits = self.store.limits
        for stream, raw_name in uploads:
            name = clean_name(raw_name)
            try:
                if len(kept) >= limits.files:
                    raise AttachmentRefusedError("too_many", name)
                attachment, checked = inspect(stream, name, limits)
                if any(each.sha256 == attachment.sha256 for each in kept):
                    continue
                if sum(each.size for each in kept) + attachment.size > limits.total_bytes:
                    raise AttachmentRefusedError("total_too_large", name)
                self._write(form, checked, attachment)
            except AttachmentRefusedError as refusal:
                refused.append(refusal)
                continue
            kept.append(attachment)
        return kept, refused

    def _keep_only(self, form: StagingKey, listed: set[str]) -> None:
        """The folder holds what the form lists, no more: a form sent again with an older
        list cannot pile files up beyond the form's limits."""
        folder = self.folder(form)
        if folder.is_dir():
            names = {form.key.name_for(sha256) for sha256 in listed}
            for path in folder.iterdir():
                if not path.name.startswith(".") and path.name not in names:
                    path.unlink(missing_ok=True)

    def _write(self, form: StagingKey, stream: BinaryIO, attachment: Attachment) -> None:
        final = self._path(form, attachment.sha256)
        with self._quota_lock():
            if self._used() + _on_disk(sealed_size(attachment.size)) > self.quota_bytes:
                raise AttachmentRefusedError("staging_full", attachment.name)
            write_sealed(form.key, attachment.sha256, file_chunks(stream), final, final.parent)

    def discard(self, form: StagingKey, sha256: str) -> None:
        """A file the reader took off the form before it was filed."""
        self._path(form, sha256).unlink(missing_ok=True)

    # -- filing ---------------------------------------------------------------------------

    def filed_as(self, form: StagingKey) -> UUID | None:
        """The case this form's files went to, if it was filed already."""
        try:
            return UUID(hex=(self.folder(form) / FILED_AS).read_text().strip())
        except (OSError, ValueError):
            return None

    def missing(
        self, form: StagingKey, attachments: Iterable[Attachment], case_keys: CaseKeyFinder
    ) -> Attachment | None:
        """The first of the form's files that is neither staged nor filed with an earlier case
        (it waited too long and must be chosen again); None when every one can be taken.

        The folder's time is set to now, so the sweep spares it while the case is saved."""
        earlier = self.filed_as(form)
        earlier_key = case_keys(earlier) if earlier is not None else None
        for attachment in attachments:
            if self.holds(form, attachment):
                continue
            if earlier_key is not None and self.case_files.holds(earlier_key, attachment.sha256):
                continue
            return attachment
        if self.folder(form).is_dir():
            os.utime(self.folder(form))
        return None

    def file_with(
        self, form: StagingKey, case_key: DataKey, attachments: Iterable[Attachment],
        case_keys: CaseKeyFinder,
    ) -> None:
        """Seal the form's files with the case's key into the case's folder, then empty the
        staging folder but for a note of the case.

        A file already filed with an earlier case from this form (a form sent again after a
        case was filed with it) is opened with that case's key and sealed again with this one.
        """
        earlier = self.filed_as(form)
        folder = self.folder(form)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FILED_AS).write_text(case_key.case_id.hex)
        for attachment in attachments:
            sha256 = attachment.sha256
            if self.case_files.holds(case_key, sha256):
                continue
            staged = self._path(form, sha256)
            with self.store.lock(shared=True):
                if staged.is_file():
                    with staged.open("rb") as sealed:
                        self.case_files.seal(case_key, sha256,
                                             open_stream(form.key, sha256, sealed))
                    continue
                earlier_key = case_keys(earlier) if earlier not in (None, case_key.case_id) \
                    else None
                if earlier_key is None or not self.case_files.holds(earlier_key, sha256):
                    raise AttachmentRefusedError("expired", attachment.name)
                self.case_files.seal(case_key, sha256,
                                     self.case_files.open(earlier_key, sha256))
        self._keep_only(form, set())

    # -- the sweep ------------------------------------------------------------------------

    def remove_expired(self) -> int:
        """Remove the folders of forms left longer than the expiry; how many were removed."""
        cutoff = time.time() - self.expiry.total_seconds()
        removed = 0
        for folder in self._folders():
            try:
                last = max([folder.stat().st_mtime,
                            *(path.stat().st_mtime for path in folder.iterdir())])
            except FileNotFoundError:
                continue
            if last < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def _folders(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from (path for path in self.root.iterdir()
                        if path.is_dir() and _STAGING_ID.match(path.name))

    def _used(self) -> int:
        used = 0
        for folder in self._folders():
            for path in folder.iterdir():
                try:
                    used += _on_disk(path.stat().st_size)
                except FileNotFoundError:
                    continue
        return used

    @contextmanager
    def _quota_lock(self) -> Iterator[None]:
        """One writer at a time across workers, so two uploads cannot both pass the quota."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _on_disk(size: int) -> int:
    return max(_BLOCK, -(-size // _BLOCK) * _BLOCK)


def open_staging(settings: Settings) -> StagingArea:
    """The store and its staging area under the data directory, as the settings say."""
    return StagingArea(AttachmentStore(settings.attachments_dir), settings.upload_staging_bytes,
                       timedelta(hours=settings.upload_staging_hours))
