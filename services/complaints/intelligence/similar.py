"""The cases most like a case or a typed text, each with its score and the words they share.

One `SimilarCases` per process (each web worker its own), fitted on first use in a
background thread: the first query waits for it at most `first_wait` seconds, then answers
"not ready" rather than hold a request for a large history. Each query first takes in what the
case index changed since it last read (one look at the index's position; when it moved, the
rows changed since, at most `REFRESH_ROWS`), so a case filed a moment ago is found. The model
is fitted again, in the background while the old one answers, when the cases taken in since
reach a tenth of those it was fitted on, when a fifth of their words are new to its
vocabulary, when a reading was cut short, or after `REFIT_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

import numpy as np

from complaints.intelligence.corpus import Corpus, Entry, fit
from complaints.intelligence.facts import Reach
from complaints.intelligence.text import terms
from complaints.intelligence.vectors import Analyzer, Model, case_text
from complaints.readmodels.case_index import CaseIndex
from complaints.readmodels.case_index.texts import FIRST_KEY

log = logging.getLogger(__name__)

# Rows are read again from this far before the last one read: a case's change is stamped
# before it is committed, so another committed first may carry a later stamp.
OVERLAP = timedelta(seconds=5)
REFRESH_ROWS = 2_000
REFIT_SHARE = 0.1
REFIT_UNSEEN_SHARE = 0.2
REFIT_SECONDS = 6 * 3600
MIN_SCORE = 0.05  # below it two texts share little more than a common word
MAX_LIMIT = 50
SHARED_TERMS = 8


@dataclass(frozen=True)
class SimilarCase:
    case_id: str
    reference: str
    subject: str
    status: str
    category: str
    lead_department: str | None
    filed_at: datetime
    language: str  # what the filer writes in, for the reader's browser to show it right
    score: float
    shared_terms: list[str]


@dataclass(frozen=True)
class Found:
    items: list[SimilarCase]
    ready: bool  # False: the model is still being fitted, nothing was compared
    cases: int  # how many cases were compared


class SimilarCases:
    def __init__(self, case_index: CaseIndex, *, analyzer: Analyzer = terms,
                 first_wait: float = 10.0) -> None:
        self.case_index = case_index
        self.analyzer = analyzer
        self.first_wait = first_wait
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()
        self._fitting: threading.Thread | None = None
        self._fitted = threading.Event()
        self._cut_short = False
        self._first_deadline = 0.0

    def like_text(self, text: str, reach: Reach, limit: int = 10,
                  exclude: str | None = None) -> Found:
        """The cases most like `text` that `reach` allows, best first; not `exclude` (an id)."""
        if not self._ready():
            return Found([], ready=False, cases=0)
        with self._lock:
            corpus = self._corpus  # the newest: a refit may have just swapped it in
            assert corpus is not None  # set once, never unset
            self._take_in(corpus)
            query = corpus.model.query(text)
            scores = corpus.scores(query)
            chosen = _best(corpus, scores, reach, min(limit, MAX_LIMIT), exclude)
            items = [_similar(entry, float(scores[slot]), corpus.shared(query, entry,
                                                                        SHARED_TERMS))
                     for slot, entry in chosen]
            size = corpus.size
        self._refit_if_due(corpus)
        return Found(items, ready=True, cases=size)

    def like_case(self, case_id: str, subject: str, description: str, reach: Reach,
                  limit: int = 10) -> Found:
        return self.like_text(case_text(subject, description), reach, limit, exclude=case_id)

    def fit_now(self) -> Corpus:
        """Fit the model in this thread (at start, a command, a benchmark)."""
        corpus = fit(self.case_index, Model(self.analyzer))
        with self._lock:
            self._corpus = corpus
            self._cut_short = False
        self._fitted.set()
        return corpus

    def stats(self) -> dict[str, Any]:
        corpus = self._corpus
        if corpus is None:
            return {"ready": False}
        return {"ready": True, "cases": corpus.size, "terms": len(corpus.model.vocabulary),
                "matrix_bytes": corpus.nbytes, "recent": len(corpus.recent_ids)}

    def _ready(self) -> bool:
        """Whether a model is fitted; the first fit is started by the first question, and
        questions wait for it until `first_wait` seconds after it started, no longer."""
        if self._corpus is None:
            self._start_fitting()
            self._fitted.wait(max(0.0, self._first_deadline - monotonic()))
        return self._corpus is not None

    def _take_in(self, corpus: Corpus) -> None:
        position = self.case_index.position()
        if position == corpus.position:
            return
        key = (corpus.key[0] - OVERLAP, FIRST_KEY[1]) if corpus.key != FIRST_KEY else FIRST_KEY
        taken = 0
        while True:
            page = self.case_index.texts_after(key, min(500, REFRESH_ROWS - taken))
            corpus.take_in(page.rows)
            taken += len(page.rows)
            if page.last_key is None or len(page.rows) < 500:
                break
            key = page.last_key
            if taken >= REFRESH_ROWS:
                self._cut_short = True
                break
        if page.last_key is not None and page.last_key > corpus.key:
            corpus.key = page.last_key
        corpus.position = position

    def _refit_if_due(self, corpus: Corpus) -> None:
        recent = len(corpus.recent_ids)
        due = (self._cut_short
               or recent > max(100, REFIT_SHARE * corpus.fitted.size)
               or (recent >= 50 and corpus.unseen_share > REFIT_UNSEEN_SHARE)
               or monotonic() - corpus.built_at > REFIT_SECONDS)
        if due:
            self._start_fitting()

    def _start_fitting(self) -> None:
        with self._lock:
            if self._fitting is not None and self._fitting.is_alive():
                return
            if self._corpus is None and not self._first_deadline:
                self._first_deadline = monotonic() + self.first_wait
            self._fitting = threading.Thread(target=self._fit_in_background,
                                             name="similar-cases-fit", daemon=True)
            self._fitting.start()

    def _fit_in_background(self) -> None:
        started = monotonic()
        try:
            corpus = self.fit_now()
        except Exception:  # the next query tries again; the old model answers meanwhile
            log.exception("fitting similar cases failed")
            return
        log.info("similar cases fitted", extra={
            "cases": corpus.size, "seconds": round(monotonic() - started, 2)})


def _best(corpus: Corpus, scores: np.ndarray, reach: Reach, limit: int,
          exclude: str | None) -> list[tuple[int, Entry]]:
    """The best slots that `reach` allows and score at least MIN_SCORE, best first."""
    allowed = (scores >= MIN_SCORE) & corpus.facts.mask(reach)
    if exclude is not None and exclude in corpus.entries:
        allowed[corpus.slot_of(corpus.entries[exclude])] = False
    slots = np.flatnonzero(allowed)
    if len(slots) > limit:
        slots = slots[np.argpartition(-scores[slots], limit - 1)[:limit]]
    slots = slots[np.argsort(-scores[slots], kind="stable")]
    return [(int(slot), corpus.entry_at(int(slot))) for slot in slots]


def _similar(entry: Entry, score: float, shared: list[str]) -> SimilarCase:
    row = entry.row
    return SimilarCase(
        case_id=row.case_id, reference=row.reference, subject=row.subject,
        status=row.status, category=row.category,
        lead_department=row.lead_department, filed_at=row.filed_at, language=row.language,
        score=round(min(score, 1.0), 4), shared_terms=shared)
