"""The dispatch model: a case's words → its likely category and lead department, with confidence.

scikit-learn does the learning: TF-IDF over `text.terms` (jieba's words for Chinese, words for
the rest) and one multinomial logistic regression per target (category; the department that
led the case last), classes weighted by their size so a small department is not drowned by
a large one. Logistic regression was picked over a calibrated linear SVM by measurement
(`python -m tests.bench dispatch` prints both): on the CFPB sample they tie on macro-F1, the
regression ranks the top three a little better, trains in about half the time and gives its
probabilities without a calibration fold; they are the confidences shown. Fits run on one
BLAS thread: on a busy two-core machine more threads made training ten times slower.

A model is learned only from enough history: at least `MIN_CASES` examples, and a class is
learned only from `MIN_CLASS_CASES` of its own (thinner ones are left out and named in the
metadata), with at least two classes left. Otherwise `train` raises `TooLittleHistoryError`
and the suggestions fall back to the routing table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from complaints.intelligence.text import terms

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

MIN_CASES = 50
MIN_CLASS_CASES = 5
TOP = 3
CATEGORY, DEPARTMENT = "category", "department"


class TooLittleHistoryError(ValueError):
    """Too few closed cases, or too few in each class, to learn from; the message says which."""


@dataclass(frozen=True)
class Example:
    """One closed case as the model learns it."""

    text: str
    category: str
    department: str | None


@dataclass(frozen=True)
class Ranked:
    code: str
    confidence: float | None  # the model's probability, 0–1; None from the routing table


@dataclass
class DispatchModel:
    vectorizer: TfidfVectorizer
    classifiers: dict[str, LogisticRegression]
    # What a reader is told: when, from how many cases, for which catalogue, what was left out.
    trained_at: datetime
    cases: int
    catalogue: str
    left_out: dict[str, list[str]] = field(default_factory=dict)

    def rank(self, text: str, target: str, top: int = TOP) -> list[Ranked]:
        """The `top` likeliest classes of `target` for the text, likeliest first."""
        classifier = self.classifiers[target]
        probabilities = classifier.predict_proba(self.vectorizer.transform([text]))[0]
        order = np.argsort(-probabilities)[:top]
        return [Ranked(str(classifier.classes_[i]), round(float(probabilities[i]), 4))
                for i in order]

    @property
    def metadata(self) -> dict[str, object]:
        return {"trained_at": self.trained_at.isoformat(), "cases": self.cases,
                "catalogue": self.catalogue, "left_out": self.left_out,
                "classes": {target: [str(c) for c in clf.classes_]
                            for target, clf in self.classifiers.items()}}


def train(examples: Sequence[Example], catalogue: str, *, c: float = 10.0) -> DispatchModel:
    """A model learned from the examples, for the catalogue of that fingerprint."""
    # Imported here: every process imports this module, few of them train (~100 MB of RSS).
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    if len(examples) < MIN_CASES:
        raise TooLittleHistoryError(
            f"{len(examples)} closed case(s) to learn from; suggestions need {MIN_CASES}")
    vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True)
    matrix = vectorizer.fit_transform([example.text for example in examples])
    classifiers, left_out = {}, {}
    for target in (CATEGORY, DEPARTMENT):
        labels = [getattr(example, target) for example in examples]
        sizes = Counter(label for label in labels if label)
        kept = {label for label, n in sizes.items() if n >= MIN_CLASS_CASES}
        left_out[target] = sorted(set(sizes) - kept)
        if len(kept) < 2:
            raise TooLittleHistoryError(
                f"fewer than two {target} classes have {MIN_CLASS_CASES} closed cases each")
        rows = [i for i, label in enumerate(labels) if label in kept]
        classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        with threadpool_limits(limits=1):  # BLAS threads on a busy machine slow it tenfold
            classifier.fit(matrix[rows], [labels[i] for i in rows])
        classifiers[target] = classifier
    return DispatchModel(vectorizer, classifiers, datetime.now(UTC), len(examples), catalogue,
                         left_out)


def words_of(subject: str, description: str) -> str:
    """The text a case is judged by: its subject and description."""
    return f"{subject}\n{description}"
