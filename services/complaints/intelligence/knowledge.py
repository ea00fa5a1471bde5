"""Knowledge base entries suggested for a caller's words: TF-IDF over each entry's question
and answer (`text.terms`: jieba's words for Chinese), cosine similarity, best first.

The entries are few, so the vectors are made afresh whenever the entries change (kept for the
same entries, by their revisions), and a suggestion is a product of one small matrix.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from complaints.domain.knowledge import Entry
from complaints.intelligence.text import shared_terms, terms

SMALLEST_SCORE = 0.05


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float
    shared: tuple[str, ...]


class EntryFinder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: tuple[tuple, object, object] | None = None

    def suggest(self, entries: Sequence[Entry], text: str, limit: int = 5) -> list[Suggestion]:
        """The entries nearest `text`, at most `limit`, each with its score and shared words."""
        if not entries or not text.strip():
            return []
        key = tuple((entry.entry_id, entry.revision, entry.withdrawn) for entry in entries)
        made = self._vectors(key, entries)
        if made is None:  # no entry has a word to compare by
            return []
        vectorizer, matrix = made
        query = vectorizer.transform([text])
        scores = np.asarray((matrix @ query.T).todense()).ravel()
        asked = terms(text)
        found = []
        for index in np.argsort(-scores)[:limit]:
            if scores[index] < SMALLEST_SCORE:
                break
            entry = entries[int(index)]
            found.append(Suggestion(entry, round(float(scores[index]), 3), tuple(
                shared_terms(asked, terms(f"{entry.question}\n{entry.answer}")))))
        return found

    def _vectors(self, key: tuple, entries: Sequence[Entry]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        with self._lock:
            if self._made is not None and self._made[0] == key:
                return self._made[1], self._made[2]
        vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True)
        try:
            matrix = vectorizer.fit_transform(
                [f"{entry.question}\n{entry.question}\n{entry.answer}" for entry in entries])
        except ValueError:  # an empty vocabulary: entries of digits and stop words alone
            return None
        with self._lock:
            self._made = (key, vectorizer, matrix)
        return vectorizer, matrix


FINDER = EntryFinder()
