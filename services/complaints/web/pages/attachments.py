"""The documents a form may carry (the filing form, the filer's answer): received, kept
across a form sent back, refused in the reader's words, and handed out as downloads."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app, request, send_file
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.file import MultipleFileField
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response
from wtforms import HiddenField

from complaints.adapters.attachments import (
    Attachment,
    AttachmentRefusedError,
    AttachmentStore,
    attachments_of,
    clean_name,
)
from complaints.adapters.staging import StagingArea, new_staging_id, open_staging
from complaints.web.runtime import runtime

_KEPT_SALT = "huiyin/staged-attachments/v2"
MEGABYTE = 1024 * 1024


@dataclass
class Received:
    """A form's files: its staging folder, the files waiting there, and refusals in words."""

    staging_id: str
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


def _kept_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_KEPT_SALT)


def sign_kept(received: Received) -> str:
    """The form's staging folder and its files, for a form sent back: signed, so that no form
    can name another's folder or a file it did not upload."""
    return _kept_serializer().dumps({"staging": received.staging_id,
                                     "files": received.references})


def kept_from(signed: str | None) -> tuple[str | None, list[Attachment]]:
    if not signed:
        return None, []
    try:
        kept = _kept_serializer().loads(signed)
    except BadSignature:
        return None, []
    if not isinstance(kept, dict) or not isinstance(kept.get("staging"), str):
        return None, []
    files = kept.get("files") if isinstance(kept.get("files"), list) else []
    return kept["staging"], attachments_of(str(each) for each in files if isinstance(each, str))


def receive_attachments(files: MultipleFileField, kept: HiddenField) -> Received:
    """Stage the new files beside those received before with this form.

    Files are staged even when the rest of the form has problems, so the reader need not
    choose them again; a file the reader ticked to remove leaves the staging folder, and one
    that waited too long (swept) is asked for again.
    """
    staging = staging_area()
    staging_id, listed = kept_from(kept.data)
    staging_id = staging_id or new_staging_id()
    removed = set(request.form.getlist("remove_attachment"))
    already, expired = [], []
    for each in listed:
        if each.sha256 in removed:
            staging.discard(staging_id, each.sha256)
        elif staging.holds(staging_id, each) or staging.store.holds(each):
            already.append(each)
        else:
            expired.append(AttachmentRefusedError("expired", each.name))
    uploads = [(upload.stream, upload.filename or "") for upload in files.data or []
               if upload and upload.filename]
    staged, refusals = staging.receive(staging_id, uploads, already)
    received = Received(staging_id, staged)
    received.refusals = [refusal_message(each, staging.store) for each in expired + refusals]
    kept.data = sign_kept(received)
    return received


def take_attachments(received: Received) -> str | None:
    """Take the form's staged files into the store before its case is saved; the problem in
    the reader's words if one of them is gone."""
    staging = staging_area()
    try:
        staging.promote(received.staging_id, received.attachments)
    except AttachmentRefusedError as refusal:
        return refusal_message(refusal, staging.store)
    return None


def filed_with(received: Received) -> None:
    """The case is saved: its form's staging folder is emptied."""
    staging_area().clear(received.staging_id)


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


def attachment_download(store: AttachmentStore, found: Attachment) -> Response:
    """A stored document as a download under its own name; staff pages may send theirs so.

    Always a download, never shown in the page's origin, and sandboxed should a browser try.
    """
    path = store.path_of(found.sha256)
    if not path.is_file():
        abort(404)
    # A name recorded before names were checked may hold anything: werkzeug writes the
    # cleaned name as filename (ASCII) and filename* (RFC 5987) when it is not ASCII.
    response = send_file(path, mimetype=found.media_type, as_attachment=True,
                         download_name=clean_name(found.name), conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
