"""Removing uploads no case refers to: forms left unfiled, and files of failed filings.

Every case is read first (any case that cannot be read stops the sweep before it deletes
anything), then, with the store locked against new files, each stored file that no case
refers to and that is older than the staging expiry is deleted. Adding a file to a case sets
its time to now, so a case being saved while the sweep runs keeps its files.
"""

from __future__ import annotations

import time
from collections import Counter

from complaints.adapters.attachments import AttachmentStore, attachments_of
from complaints.adapters.staging import StagingArea
from complaints.application.audit import all_case_ids
from complaints.application.service import Complaints


def referenced_files(app: Complaints) -> set[str]:
    """The SHA-256 of every stored file any case refers to, from filing or a later answer."""
    return {
        attachment.sha256
        for case_id in all_case_ids(app)
        for attachment in attachments_of(app.load_case(case_id).attachments)
    }


def sweep_uploads(app: Complaints, staging: StagingArea) -> Counter[str]:
    """One sweep: counts of `staging` folders expired and `unreferenced` stored files removed."""
    done: Counter[str] = Counter(staging=staging.remove_expired(), unreferenced=0, leftovers=0)
    store: AttachmentStore = staging.store
    if not store.root.is_dir():
        return done
    referenced = referenced_files(app)
    cutoff = time.time() - staging.expiry.total_seconds()
    with store.lock(shared=False):
        for path in list(store.blobs()):
            if path.name not in referenced and _older(path, cutoff):
                path.unlink(missing_ok=True)
                done["unreferenced"] += 1
        incoming = store.root / "incoming"
        for path in list(incoming.iterdir()) if incoming.is_dir() else []:
            if _older(path, cutoff):  # a write that died half way
                path.unlink(missing_ok=True)
                done["leftovers"] += 1
    return done


def _older(path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False
