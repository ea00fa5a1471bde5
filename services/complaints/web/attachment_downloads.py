"""A case's document handed out as a download, opened with the case's key as it is sent.

The caller has already read the case through the application (whoever may read it); here the
file is found, opened chunk by chunk and streamed, never written anywhere in clear. A case
whose personal data was erased answers 410: its documents went with its key.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import abort, send_file
from werkzeug.wrappers import Response

from complaints.adapters.attachments import Attachment, attachments_of, clean_name
from complaints.adapters.sealed_files import CaseFiles
from complaints.adapters.staging import open_staging
from complaints.domain.case import Case
from complaints.web.runtime import runtime
from shared.sealing import SealingError

log = logging.getLogger(__name__)

ERASED = "this case's personal data was erased, its documents with it"


def erased(case: Case) -> bool:
    return case.personal_data_erased is not None


def case_attachment(case: Case, sha256: str) -> Response:
    """The case's document `sha256` as a download: 404 if the case has none such, 410 if
    the case's personal data was erased."""
    if erased(case):
        abort(410, description=ERASED)
    found = next((each for each in attachments_of(case.attachments) if each.sha256 == sha256),
                 None)
    if found is None:
        abort(404, description="the case has no such document")
    return attachment_download(case, found)


def attachment_download(case: Case, found: Attachment) -> Response:
    """Always a download, never shown in the page's origin, and sandboxed should a browser try.

    A name recorded before names were checked may hold anything: the cleaned name goes out
    as `filename` (ASCII) and `filename*` (RFC 5987) when it is not ASCII.
    """
    staging = open_staging(runtime().services.settings)
    keys = runtime().services.complaints.case_keys
    key = keys.data_key(case.id) if keys is not None else None
    if key is None:
        if erased(case):
            abort(410, description=ERASED)
        return _kept_in_clear(staging.store.path_of(found.sha256), found)
    try:
        chunks = CaseFiles(staging.store.root).open(key, found.sha256)
    except FileNotFoundError:
        # Filed before files were sealed, the case's file may still be kept in clear.
        return _kept_in_clear(staging.store.path_of(found.sha256), found)
    first, chunks = _first_opened(chunks, case, found)
    response = Response(_joined(first, chunks), mimetype=found.media_type,
                        direct_passthrough=True)
    response.content_length = found.size
    _name_it(response, clean_name(found.name))
    return _guarded(response)


def _first_opened(chunks: Iterator[bytes], case: Case, found: Attachment):
    """The first chunk opened before anything is answered: a file that does not open with
    its case's key is a 404 (and logged), not half a download."""
    try:
        return next(chunks, b""), chunks
    except SealingError as error:
        log.error("a sealed attachment does not open",
                  extra={"case_id": str(case.id), "error": str(error)})
        abort(404, description="the document cannot be read")


def _joined(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    try:
        yield from rest
    except SealingError as error:
        # Too late for a status: the download ends short of its Content-Length.
        log.error("a sealed attachment stopped opening part way", extra={"error": str(error)})


def _kept_in_clear(path, found: Attachment) -> Response:
    if not path.is_file():
        abort(404, description="the document is not kept")
    response = send_file(path, mimetype=found.media_type, as_attachment=True,
                         download_name=clean_name(found.name), conditional=True, max_age=0)
    return _guarded(response)


def _name_it(response: Response, name: str) -> None:
    """`Content-Disposition` as werkzeug's `send_file` writes it."""
    try:
        name.encode("ascii")
        names = {"filename": name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+^`|~")}
    response.headers.set("Content-Disposition", "attachment", **names)


def _guarded(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
