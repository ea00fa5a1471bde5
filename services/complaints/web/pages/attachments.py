"""The documents a form may carry (the filing form, the filer's answer): received, kept
across a form sent back, refused in the reader's words, and sealed into their case once it
is saved."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from uuid import UUID

from flask import current_app, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.file import MultipleFileField
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField

from complaints.adapters.attachments import (
    Attachment,
    AttachmentRefusedError,
    AttachmentStore,
    attachments_of,
)
from complaints.adapters.staging import StagingArea, StagingKey, open_staging
from complaints.web.runtime import runtime
from shared.sealing import DataKey, SealingError

log = logging.getLogger(__name__)

_KEPT_SALT = "huiyin/staged-attachments/v3"
MEGABYTE = 1024 * 1024


@dataclass
class Received:
    """A form's files: its staging folder and key, the files waiting there, and refusals in
    words."""

    staging: StagingKey
    attachments: list[Attachment]
    refusals: list[str] = field(default_factory=list)

    @property
    def references(self) -> list[str]:
        return [each.reference for each in self.attachments]


def body_limit() -> int:
    """A form with files may carry all the files allowed, besides the usual request limit."""
    limits = attachment_store().limits
    return current_app.config["MAX_CONTENT_LENGTH"] + limits.total_bytes


def staging_area() -> StagingArea:
    return open_staging(runtime().services.settings)


def attachment_store() -> AttachmentStore:
    return staging_area().store


def case_key(case_id: UUID, *, fresh: bool = False) -> DataKey | None:
    """The case's key; `fresh`, read from the store (the command just saved may have made it
    while this process still remembers the case as having none)."""
    keys = runtime().services.complaints.case_keys
    if keys is None:
        return None
    if fresh:
        keys.forget(case_id)
    return keys.data_key(case_id)


def _kept_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_KEPT_SALT)


def sign_kept(received: Received) -> str:
    """The form's staging folder, the key its files are sealed with, and its files, for a
    form sent back: signed, so that no form can name another's folder or a file it did not
    upload. The key is kept nowhere else: a form left unsent leaves files no one can read."""
    return _kept_serializer().dumps({"staging": received.staging.staging_id,
                                     "key": received.staging.key_text,
                                     "files": received.references})


def kept_from(signed: str | None) -> tuple[StagingKey | None, list[Attachment]]:
    if not signed:
        return None, []
    try:
        kept = _kept_serializer().loads(signed)
    except BadSignature:
        return None, []
    if not isinstance(kept, dict):
        return None, []
    staging = StagingKey.parse(kept.get("staging"), kept.get("key"))
    if staging is None:
        return None, []
    files = kept.get("files") if isinstance(kept.get("files"), list) else []
    return staging, attachments_of(str(each) for each in files if isinstance(each, str))


def receive_attachments(files: MultipleFileField, kept: HiddenField) -> Received:
    """Stage the new files beside those received before with this form.

    Files are staged even when the rest of the form has problems, so the reader need not
    choose them again; a file the reader ticked to remove leaves the staging folder, and one
    that waited too long (swept) is asked for again.
    """
    staging = staging_area()
    form, listed = kept_from(kept.data)
    form = form or StagingKey.new()
    removed = set(request.form.getlist("remove_attachment"))
    already, expired = [], []
    for each in listed:
        if each.sha256 in removed:
            staging.discard(form, each.sha256)
        elif staging.missing(form, [each], case_key) is None:
            already.append(each)
        else:
            expired.append(AttachmentRefusedError("expired", each.name))
    uploads = [(upload.stream, upload.filename or "") for upload in files.data or []
               if upload and upload.filename]
    staged, refusals = staging.receive(form, uploads, already)
    received = Received(form, staged)
    received.refusals = [refusal_message(each, staging.store) for each in expired + refusals]
    kept.data = sign_kept(received)
    return received


def take_attachments(received: Received) -> str | None:
    """Before the case is saved: the problem in the reader's words if one of the form's files
    is gone (it waited too long), so that a saved case never names a file it does not have."""
    staging = staging_area()
    gone = staging.missing(received.staging, received.attachments, case_key)
    if gone is not None:
        return refusal_message(AttachmentRefusedError("expired", gone.name), staging.store)
    return None


def filed_with(received: Received, case_id: UUID) -> None:
    """The case is saved: its form's files are sealed with its key into its folder, and the
    staging folder emptied. The case stands whatever happens here: a failure is logged, and
    the form sent again (the same submission, answered again) seals what is still staged."""
    if not received.attachments:
        return
    key = case_key(case_id, fresh=True)
    try:
        if key is None:
            raise SealingError(f"case {case_id} has no key to seal its files with")
        staging_area().file_with(received.staging, key, received.attachments, case_key)
    except (OSError, SealingError, AttachmentRefusedError) as error:
        log.error("a filed case's attachments were not sealed into it",
                  extra={"case_id": str(case_id), "error": str(error)})


def refusal_message(refusal: AttachmentRefusedError, store: AttachmentStore) -> str:
    limits = store.limits
    name = refusal.name
    messages = {
        "too_many": _("%(name)s was not attached: at most %(count)d files can be attached.",
                      name=name, count=limits.files),
        "empty": _("%(name)s is empty.", name=name),
        "too_large": _("%(name)s is larger than %(size)d MB.", name=name,
                       size=limits.file_bytes // MEGABYTE),
        "total_too_large": _("%(name)s was not attached: all the files together may be at "
                             "most %(size)d MB.", name=name,
                             size=limits.total_bytes // MEGABYTE),
        "not_allowed": _("%(name)s is not a PDF, JPEG, PNG, Word, Excel or PowerPoint file.",
                         name=name),
        "name_mismatch": _("%(name)s does not contain what its name's ending says. Save it "
                           "again as PDF, JPEG, PNG, Word, Excel or PowerPoint.", name=name),
        "out_of_proportion": _("%(name)s unpacks to far more than its size and cannot be "
                               "taken. Save it again, or as PDF.", name=name),
        "staging_full": _("%(name)s could not be received now: too many files are waiting. "
                          "Try again later.", name=name),
        "expired": _("%(name)s was received too long ago and is no longer kept. Choose it "
                     "again.", name=name),
    }
    return messages[refusal.reason]


def file_size(size: int) -> str:
    """A file's size in the reader's numbers: 850 KB, 1.2 MB."""
    if size < MEGABYTE:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / MEGABYTE, 1)))


def limits_text() -> str:
    limits = attachment_store().limits
    return _("Up to %(count)d files: PDF, JPEG, PNG, Word, Excel or PowerPoint. Each may be up "
             "to %(each)d MB, and all together up to %(total)d MB.", count=limits.files,
             each=limits.file_bytes // MEGABYTE, total=limits.total_bytes // MEGABYTE)
