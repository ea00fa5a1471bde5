"""Where a form's files wait until its case is filed: one folder per form, with a quota.

A form that carries files gets a staging id (random, carried signed in the form), and its
accepted files wait in `<attachments>/staging/<id>/<sha256>`. A form sent back with problems
keeps them there for the next send; filing the case takes them into the store and empties the
folder. Nothing in the staging area belongs to a case: the sweep removes what has waited
longer than the expiry. Each form holds at most the form's limits; all forms together at most
`quota_bytes`, counted as the disk counts them (a small file takes a whole block).
"""

from __future__ import annotations

import fcntl
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from complaints.adapters.attachments import (
    Attachment,
    AttachmentRefusedError,
    AttachmentStore,
    clean_name,
    inspect,
    write_atomically,
)
from complaints.settings import Settings

_STAGING_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_BLOCK = 4096


def new_staging_id() -> str:
    return secrets.token_hex(16)


class StagingArea:
    def __init__(self, store: AttachmentStore, quota_bytes: int, expiry: timedelta) -> None:
        self.store = store
        self.root = store.root / "staging"
        self.quota_bytes = quota_bytes
        self.expiry = expiry

    def folder(self, staging_id: str) -> Path:
        if not _STAGING_ID.match(staging_id):
            raise ValueError(f"not a staging id: {staging_id!r}")
        return self.root / staging_id

    def holds(self, staging_id: str, attachment: Attachment) -> bool:
        return (self.folder(staging_id) / attachment.sha256).is_file()

    def receive(
        self, staging_id: str, uploads: Iterable[tuple[BinaryIO, str]],
        already: Iterable[Attachment] = (),
    ) -> tuple[list[Attachment], list[AttachmentRefusedError]]:
        """Stage each upload that fits beside `already`: (everything staged, what was refused).

        Each file is checked whole before it is written, so a refused file is never written.
        """
        kept = list(already)
        self._keep_only(staging_id, {each.sha256 for each in kept})
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
                self._write(staging_id, checked, attachment)
            except AttachmentRefusedError as refusal:
                refused.append(refusal)
                continue
            kept.append(attachment)
        return kept, refused

    def _keep_only(self, staging_id: str, listed: set[str]) -> None:
        """The folder holds what the form lists, no more: a form sent again with an older
        list cannot pile files up beyond the form's limits."""
        folder = self.folder(staging_id)
        if folder.is_dir():
            for path in folder.iterdir():
                if _SHA256.match(path.name) and path.name not in listed:
                    path.unlink(missing_ok=True)

    def _write(self, staging_id: str, stream: BinaryIO, attachment: Attachment) -> None:
        final = self.folder(staging_id) / attachment.sha256
        with self._quota_lock():
            if self._used() + _on_disk(attachment.size) > self.quota_bytes:
                raise AttachmentRefusedError("staging_full", attachment.name)
            write_atomically(stream, final, final.parent)

    def discard(self, staging_id: str, sha256: str) -> None:
        """A file the reader took off the form before it was filed."""
        if _SHA256.match(sha256):
            (self.folder(staging_id) / sha256).unlink(missing_ok=True)

    def promote(self, staging_id: str, attachments: Iterable[Attachment]) -> None:
        """Take the form's files into the store as its case is filed.

        A file no longer staged is taken only if the store holds it already (the same form
        filed a moment ago, sent twice); otherwise it waited too long and must be chosen again.
        """
        folder = self.folder(staging_id)
        for attachment in attachments:
            staged = folder / attachment.sha256
            if staged.is_file() and staged.stat().st_size == attachment.size:
                self.store.adopt(staged, attachment)
            elif self.store.holds(attachment):
                self.store.adopt(self.store.path_of(attachment.sha256), attachment)
            else:
                raise AttachmentRefusedError("expired", attachment.name)

    def clear(self, staging_id: str) -> None:
        """Empty a form's staging folder once its case is filed."""
        shutil.rmtree(self.folder(staging_id), ignore_errors=True)

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
