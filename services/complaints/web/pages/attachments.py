"""The documents a form may carry (the filing form, the filer's answer): received, kept
across a form sent back, refused in the reader's words, and handed out as downloads."""

from __future__ import annotations

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
)
from complaints.web.runtime import runtime

_KEPT_SALT = "huiyin/kept-attachments/v1"
MEGABYTE = 1024 * 1024


def body_limit() -> int:
    """A form with files may carry all the files allowed, besides the usual request limit."""
    limits = attachment_store().limits
    return current_app.config["MAX_CONTENT_LENGTH"] + limits.total_bytes


def attachment_store() -> AttachmentStore:
    return AttachmentStore(runtime().services.settings.data_dir / "attachments")


def _kept_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_KEPT_SALT)


def sign_kept(attachments: list[Attachment]) -> str:
    """The files already received, for a form sent back: signed, so none can be made up."""
    return _kept_serializer().dumps([each.reference for each in attachments])


def kept_from(signed: str | None) -> list[Attachment]:
    if not signed:
        return []
    try:
        references = _kept_serializer().loads(signed)
    except BadSignature:
        return []
    return attachments_of(str(each) for each in references if isinstance(each, str))


def receive_attachments(
    files: MultipleFileField, kept: HiddenField
) -> tuple[list[Attachment], list[str]]:
    """Keep the new files beside those received before: (all kept, refusals in words).

    Files are kept even when the rest of the form has problems, so the reader need not
    choose them again; a file the reader ticked to remove is dropped from the list.
    """
    store = attachment_store()
    removed = set(request.form.getlist("remove_attachment"))
    already = [each for each in kept_from(kept.data) if each.sha256 not in removed]
    uploads = [(upload.stream, upload.filename or "") for upload in files.data or []
               if upload and upload.filename]
    received, refusals = store.keep_all(uploads, already)
    kept.data = sign_kept(received)
    return received, [refusal_message(refusal, store) for refusal in refusals]


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
    response = send_file(path, mimetype=found.media_type, as_attachment=True,
                         download_name=found.name, conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
