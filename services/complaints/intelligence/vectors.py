"""Cases as TF-IDF vectors (scikit-learn), kept as postings: for each term, the cases that
hold it and its weight there, so a query touches only the postings of its own terms.

A fitted model is the vocabulary and inverse document frequencies learned from every case
with text at one moment, and the matrix of those cases. Cases filed or changed later are
vectorised with the same vocabulary (`Segment`): a word it never saw is not counted, which is
what `unseen_share` measures, so that the owner knows when to fit again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from complaints.intelligence.text import terms

Analyzer = Callable[[str], list[str]]


def case_text(subject: str, description: str) -> str:
    """What two cases are compared by: the filer's subject and description."""
    return f"{subject}\n{description}".strip()


@dataclass
class Query:
    """A text as the model sees it: its terms' columns and weights (L2-normalised)."""

    columns: np.ndarray
    weights: np.ndarray
    unseen: int  # occurrences of terms the vocabulary does not hold
    seen: int


class Model:
    """The vocabulary and IDF weights fitted on the cases at one moment.

    scikit-learn fits them (`CountVectorizer` on the terms, `TfidfTransformer` with a
    logarithmic term frequency); texts that come later are weighted here by the same formula,
    (1 + ln tf) × idf, L2-normalised, so that they compare with the fitted cases exactly. A
    later case's word the vocabulary lacks is learned with the IDF of a word in one case:
    a case filed about something new is found by its own words before the next fit.
    """

    def __init__(self, analyzer: Analyzer = terms) -> None:
        # The counter is given each text's terms, cut once by `analyzer`.
        self.counter = CountVectorizer(analyzer=_as_given, dtype=np.float32)
        self.weighter = TfidfTransformer(sublinear_tf=True)
        self.analyzer = analyzer
        self.terms: list[str] = []
        self.columns: dict[str, int] = {}
        self.idf: list[float] = []
        self.documents = 0

    def fit(self, texts: Iterable[str]) -> sparse.csr_matrix:
        """Fit on `texts` (read once, so a stream of pages may be given); their matrix."""
        read = [0]

        def analysed() -> Iterable[list[str]]:
            for text in texts:
                read[0] += 1
                yield self.analyzer(text)

        try:
            counts = self.counter.fit_transform(analysed())
        except ValueError as error:
            if "empty vocabulary" not in str(error):
                raise
            # No case yet, or none with a word (digits and stop words alone): nothing to
            # compare until cases with words come, learned then as later cases' words are.
            self.terms, self.columns, self.idf, self.documents = [], {}, [], read[0]
            return sparse.csr_matrix((read[0], 0), dtype=np.float32)
        matrix = sparse.csr_matrix(self.weighter.fit_transform(counts), dtype=np.float32)
        self.terms = list(self.counter.get_feature_names_out())
        self.columns = {term: column for column, term in enumerate(self.terms)}
        self.idf = [float(idf) for idf in self.weighter.idf_]
        self.documents = matrix.shape[0]
        del self.counter.vocabulary_  # kept once, in `columns`
        return matrix

    @property
    def vocabulary(self) -> list[str]:
        return self.terms

    def vectors(self, texts: list[str]) -> tuple[sparse.csr_matrix, int, int]:
        """Later cases' rows (their new words learned), and how many of their term
        occurrences the vocabulary held before and did not."""
        indptr, indices, data, seen, unseen = [0], [], [], 0, 0
        for text in texts:
            row = self._weighted(text, learn=True)
            indices.extend(row.columns)
            data.extend(row.weights)
            indptr.append(len(indices))
            seen, unseen = seen + row.seen, unseen + row.unseen
        matrix = sparse.csr_matrix((np.asarray(data, dtype=np.float32),
                                    np.asarray(indices, dtype=np.int32), indptr),
                                   shape=(len(texts), len(self.terms)))
        return matrix, seen, unseen

    def query(self, text: str) -> Query:
        """A typed text or a case's own text, to compare; it teaches the model nothing."""
        return self._weighted(text, learn=False)

    def _weighted(self, text: str, *, learn: bool) -> Query:
        columns: list[int] = []
        weights: list[float] = []
        unknown = seen = unseen = 0
        # A word no case holds still counts in the text's length, as one in no case would.
        unknown_idf = math.log(1 + self.documents) + 1
        for term, count in Counter(self.analyzer(text)).items():
            column = self.columns.get(term)
            if column is None:
                unseen += count
                if not learn:
                    unknown += ((1 + math.log(count)) * unknown_idf) ** 2
                    continue
                column = self._learn(term)
            else:
                seen += count
            columns.append(column)
            weights.append((1 + math.log(count)) * self.idf[column])
        order = np.argsort(columns, kind="stable")
        weight = np.asarray(weights, dtype=np.float64)[order]
        norm = math.sqrt(float(weight @ weight) + unknown) or 1.0
        return Query(np.asarray(columns, dtype=np.int32)[order],
                     (weight / norm).astype(np.float32), unseen, seen)

    def _learn(self, term: str) -> int:
        self.columns[term] = column = len(self.terms)
        self.terms.append(term)
        self.idf.append(math.log((1 + self.documents) / 2) + 1)
        return column


def _as_given(found: list[str]) -> list[str]:
    return found


class Postings:
    """A matrix of cases as its transpose: a row of terms → cases, for scoring by a query's
    terms alone."""

    def __init__(self, rows: sparse.csr_matrix) -> None:
        self.by_term = sparse.csr_matrix(rows.T, dtype=np.float32)
        self.size = rows.shape[0]

    def scores(self, query: Query) -> np.ndarray:
        """Cosine similarity of the query with every case (rows are L2-normalised)."""
        held = query.columns < self.by_term.shape[0]  # words learned after it was made: none
        if not held.any() or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(query.weights[held] @ self.by_term[query.columns[held]]).ravel()

    def shared(self, query: Query, row: int, vocabulary: list[str], most: int) -> list[str]:
        """The query's terms case `row` holds, the heaviest in the match first."""
        held = query.columns < self.by_term.shape[0]
        columns = query.columns[held]
        weight = self.by_term[columns][:, row].toarray().ravel() * query.weights[held]
        order = np.argsort(-weight, kind="stable")
        return [vocabulary[columns[i]] for i in order[:most] if weight[i] > 0]

    @property
    def nbytes(self) -> int:
        matrix = self.by_term
        return matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
