"""The cases a similarity model holds: their vectors in two segments, and what a reader may
see of each.

The fitted segment holds every case with text when the model was fitted; cases filed or whose
text changed since are vectorised into the recent segment, which stays small (a refit folds
it in). A case whose status, category or departments changed keeps its vector and only its
row is replaced; a case whose personal data was erased has no text and leaves both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Any

import numpy as np
from scipy import sparse

from complaints.intelligence.facts import SlotFacts
from complaints.intelligence.vectors import Model, Postings, Query, case_text
from complaints.readmodels.case_index import CaseIndex
from complaints.readmodels.case_index.texts import FIRST_KEY

PAGE = 2_000  # rows read from the case index at once


@dataclass(slots=True)
class Shown:
    """What a reader of a similar case may see of it, and what decides whether they may:
    a few of its case index row's columns, kept small (one per case in every worker)."""

    case_id: str
    reference: str
    subject: str
    status: str
    category: str
    lead_department: str | None
    co_departments: tuple[str, ...]
    filed_at: datetime
    language: str
    version: int


@dataclass(slots=True)
class Entry:
    row: Shown
    digest: bytes  # of the text its vector was made from
    segment: int  # 0: fitted, 1: recent
    slot: int


@dataclass
class Corpus:
    model: Model
    fitted: Postings
    fitted_ids: list[str]
    alive: np.ndarray  # of the fitted segment's rows: False once replaced or erased
    entries: dict[str, Entry]
    key: tuple[datetime, str]  # (updated_at, case_id) of the last row read
    position: int  # the case index's store position when last read
    facts: SlotFacts  # by slot, fitted then recent: open or not, departments
    built_at: float = field(default_factory=monotonic)
    recent_ids: list[str] = field(default_factory=list)
    recent_rows: list[sparse.csr_matrix] = field(default_factory=list)
    recent_alive: list[bool] = field(default_factory=list)
    recent: Postings | None = None
    seen: int = 0  # term occurrences of recent cases the vocabulary holds
    unseen: int = 0  # and does not

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def unseen_share(self) -> float:
        return self.unseen / (self.seen + self.unseen) if self.unseen else 0.0

    def scores(self, query: Query) -> np.ndarray:
        """Every slot's cosine with the query, fitted then recent; 0 where a slot is dead."""
        fitted = self.fitted.scores(query) * self.alive
        if self.recent is None:
            return fitted
        recent = self.recent.scores(query) * np.asarray(self.recent_alive, dtype=np.float32)
        return np.concatenate([fitted, recent])

    def slot_of(self, entry: Entry) -> int:
        """The entry's place among all slots, fitted then recent (as `scores` orders them)."""
        return entry.slot if entry.segment == 0 else self.fitted.size + entry.slot

    def entry_at(self, slot: int) -> Entry:
        size = self.fitted.size
        return self.entries[self.fitted_ids[slot] if slot < size else self.recent_ids[slot - size]]

    def shared(self, query: Query, entry: Entry, most: int) -> list[str]:
        postings = self.fitted if entry.segment == 0 else self.recent
        assert postings is not None  # an entry of the recent segment is in its postings
        return postings.shared(query, entry.slot, self.model.vocabulary, most)

    def take_in(self, rows: list[dict[str, Any]]) -> None:
        """Rows read again from the case index: new cases, changed rows, erased text."""
        added: list[tuple[dict[str, Any], str, bytes]] = []
        for row in rows:
            entry = self.entries.get(row["case_id"])
            if entry is not None and entry.row.version >= row["version"]:
                continue
            text = _text_of(row)
            digest = _digest(text)
            if entry is not None and entry.digest == digest and text:
                shown = _shown(row)
                self.facts.update(self.slot_of(entry), entry.row, shown)
                entry.row = shown
                continue
            if entry is not None:
                self._forget(entry)
                del self.entries[row["case_id"]]
            if text:
                added.append((row, text, digest))
        if added:
            self._add(added)

    def _add(self, added: list[tuple[dict[str, Any], str, bytes]]) -> None:
        vectors, seen, unseen = self.model.vectors([text for _row, text, _digest in added])
        self.seen += seen
        self.unseen += unseen
        for number, (row, _text, digest) in enumerate(added):
            self.entries[row["case_id"]] = Entry(_shown(row), digest, 1, len(self.recent_ids))
            self.recent_ids.append(row["case_id"])
            self.recent_rows.append(vectors.getrow(number))
            self.recent_alive.append(True)
        self.facts.extend([self.entries[row["case_id"]].row for row, _text, _digest in added])
        # Words learned since an earlier row was made widen the vocabulary: that row holds
        # none of them, so it is widened with empty columns before the rows are stacked.
        width = max(row.shape[1] for row in self.recent_rows)
        self.recent_rows = [_widened(row, width) for row in self.recent_rows]
        self.recent = Postings(sparse.vstack(self.recent_rows, format="csr"))

    def _forget(self, entry: Entry) -> None:
        if entry.segment == 0:
            self.alive[entry.slot] = 0.0
        else:
            self.recent_alive[entry.slot] = False

    @property
    def nbytes(self) -> int:
        recent = self.recent.nbytes if self.recent else 0
        return self.fitted.nbytes + recent + self.alive.nbytes


def fit(case_index: CaseIndex, model: Model) -> Corpus:
    """Fit `model` on every case with text in the index, read page by page."""
    position = case_index.position()
    kept: list[Shown] = []
    texts: list[bytes] = []
    key = [FIRST_KEY]

    def stream() -> Iterator[str]:
        for row in _rows(case_index, key):
            if text := _text_of(row):
                kept.append(_shown(row))
                texts.append(_digest(text))
                yield text

    matrix = model.fit(stream())
    ids = [row.case_id for row in kept]
    entries = {row.case_id: Entry(row, digest, 0, slot)
               for slot, (row, digest) in enumerate(zip(kept, texts, strict=True))}
    return Corpus(model, Postings(matrix), ids, np.ones(len(ids), dtype=np.float32), entries,
                  key[0], position, SlotFacts(kept))


def _rows(case_index: CaseIndex, key: list[tuple[datetime, str]]) -> Iterator[dict[str, Any]]:
    """Every row from `key[0]` on, keeping `key[0]` at the last one read."""
    while True:
        page = case_index.texts_after(key[0], PAGE)
        yield from page.rows
        if page.last_key is not None:
            key[0] = page.last_key
        if len(page.rows) < PAGE:
            return


def _text_of(row: dict[str, Any]) -> str:
    if row["personal_data_erased"]:
        return ""
    return case_text(row["subject"], row["description"])


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def _shown(row: dict[str, Any]) -> Shown:
    return Shown(row["case_id"], row["reference"], row["subject"], row["status"],
                 row["category"], row["lead_department"], tuple(row["co_departments"]),
                 row["filed_at"], row["filer_language"], row["version"])


def _widened(row: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    if row.shape[1] == width:
        return row
    return sparse.csr_matrix((row.data, row.indices, row.indptr), shape=(row.shape[0], width))
