"""Hot issues: clusters of similar complaints in a period, ranked by how hot they run.

A supervisor plans targeted inspections where "market entities' complaints are strong and
problems concentrated". Given the cases filed in a period (their text, department, category,
state and a keyed hash of who filed), this finds the groups of complaints about one matter and
ranks them:

1. Each case's subject and description become TF-IDF weights over its character pairs (the
   search index's bigrams for Chinese, words for other scripts: cheap, and robust to typos and
   rephrasing), reduced to `DIMENSIONS` latent topics (LSA: TruncatedSVD) and normalised, so
   that two complaints about one matter are near even when they share few exact words.
2. MiniBatchKMeans cuts them into topics (one per `CASES_PER_TOPIC` cases), and each topic
   into about one group per `CASES_PER_GROUP` cases (so the work grows with the cases, not
   their square); groups whose centres are as near as one matter's (cosine ≥ `SAME_MATTER`)
   are joined, and a group keeps only the cases close to its centre (cosine ≥
   `MEMBER_SIMILARITY`), so a group is a matter, not the remainder of a partition. Groups
   of fewer than `SMALLEST` cases are no issue.
3. Each issue is named by the words (`text.terms`: jieba's, for Chinese) that weigh most in
   its cases against a sample of the period's, its places (addresses written in the text:
   …省 …市 …区 …县 …镇 …路 …小区 …), its departments and categories, and its cases.

The heat index (`heat`), documented on the dashboard and in the API:

    heat = voices × (1 + bad_share + overdue_share) × (1 + log10(1 + per_week))

- voices: each case weighs its recency, 2^(−its age at the end of the period ÷ half-life),
  the half-life a quarter of the period (at least 7 days); a filer's first case counts whole,
  their repeat complaints half (a case whose filer the index cannot tell apart — anonymous, or
  erased — counts as a filer of its own). Many people now outweigh many people long ago;
- bad_share: the share of its cases with a bad review (rated 1 or 2, not ruled out);
- overdue_share: the share whose time limit was breached;
- per_week: its cases per week over the span from its first to its latest case (at least a
  week): a burst outweighs a trickle.

Everything is computed from the rows given, deterministically (fixed seeds): the same period
gives the same issues.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from complaints.intelligence.text import terms
from complaints.readmodels.case_index.search_text import index_words

CASES_PER_GROUP = 10
CASES_PER_TOPIC = 150  # the first step's groups: topics, each cut into matters
DIMENSIONS = 120
COMMON_SHARE = 0.3
FEATURES = 10_000  # the most frequent pairs: enough to tell matters apart, and fast to reduce
MEMBER_SIMILARITY = 0.55
SAME_MATTER = 0.9
# The period's cases a label's words are weighed against (a sample: labels need no more), and
# how much of each case's text they are taken from.
BACKGROUND = 300
LABEL_TEXT = 400
SMALLEST = 3
SEED = 20_190_228
# Review stages of a bad review that counts (rated 1 or 2, not ruled out), as the index says.
BAD_REVIEW_STAGES = frozenset({"recheck", "rectification", "return_visit", "settled"})
# An address as people write one in Chinese: a name and the kind of place it names.
PLACE = re.compile(
    r"[\u4e00-\u9fffA-Za-z0-9]{1,8}?(?:省|自治区|市|区|县|镇|乡|街道|村|路|街|大道|小区|园区|广场|社区|花园)"
)
# What a sentence puts before a place, which the pattern cannot tell from its name.
_LEAD = re.compile(
    r"^(?:.*?(?:投诉|建议|请问|反映|举报|关于|位于|地处|我是|我们|政府及|政府|在|的|和|与|及|到|从))+")
# Words that make a place name by themselves but name none: 小区 alone, 社区 alone.
_NOT_PLACES = frozenset({"小区", "社区", "园区", "广场", "花园", "街道", "地区", "市区", "城区",
                         "郊区", "辖区", "该区", "本市", "我市", "全市", "城市", "本区", "我区"})


@dataclass(frozen=True)
class HotIssue:
    label: str  # its three weightiest terms
    terms: tuple[str, ...]
    places: tuple[str, ...]
    departments: tuple[tuple[str, int], ...]  # (department, cases), most first
    categories: tuple[tuple[str, int], ...]
    references: tuple[str, ...]  # newest first
    cases: int
    filers: int
    first_filed: datetime
    last_filed: datetime
    bad_reviews: int
    overdue: int
    heat: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "terms": list(self.terms), "places": list(self.places),
            "departments": [{"department": d, "cases": n} for d, n in self.departments],
            "categories": [{"category": c, "cases": n} for c, n in self.categories],
            "references": list(self.references), "cases": self.cases, "filers": self.filers,
            "first_filed": self.first_filed, "last_filed": self.last_filed,
            "bad_reviews": self.bad_reviews, "overdue": self.overdue,
            "heat": round(self.heat, 3),
        }


def hot_issues(
    rows: Sequence[Mapping[str, Any]], period_end: datetime, period_days: int, *, limit: int = 10
) -> list[HotIssue]:
    """The period's hot issues, hottest first, at most `limit`. Each row: reference, subject,
    description, filed_at (aware), lead_department, category, deadline_state, review_stage,
    filer (a key telling filers apart, or None)."""
    texts = [row for row in rows if (row.get("subject") or row.get("description"))]
    if len(texts) < SMALLEST:
        return []
    documents = [f"{row['subject']}\n{row['description']}" for row in texts]
    found = [(_issue([texts[i] for i in members], period_end, period_days), members)
             for members in _groups(_vectors(documents))]
    found.sort(key=lambda pair: (-pair[0].heat, pair[0].references[0]))
    chosen = found[:limit]
    labels = _labels([[documents[i] for i in members] for _issue_, members in chosen],
                     documents)
    return [replace(issue, label=" · ".join(words[:3]) or issue.label, terms=tuple(words))
            for (issue, _members), words in zip(chosen, labels, strict=True)]


def heat(
    ages_days: Sequence[float], filers: Sequence[str | None], bad: int, overdue: int,
    first: datetime, last: datetime, period_days: int,
) -> float:
    """The heat index (see the module's description): the cases' ages at the end of the
    period, in days, and each one's filer key, in the same order."""
    half_life = max(7.0, period_days / 4)
    seen: set[str] = set()
    voices = 0.0
    for age, filer in sorted(zip(ages_days, filers, strict=True), key=lambda pair: pair[0]):
        weight = 2 ** (-max(0.0, age) / half_life)
        repeat = filer is not None and filer in seen
        voices += weight * (0.5 if repeat else 1.0)
        if filer is not None:
            seen.add(filer)
    cases = len(ages_days)
    weeks = max(1.0, (last - first).total_seconds() / (7 * 86_400))
    return voices * (1 + bad / cases + overdue / cases) * (1 + math.log10(1 + cases / weeks))


def places_in(text: str) -> list[str]:
    """The addresses written in `text`, each once, in order."""
    found = []
    for match in PLACE.finditer(text):
        place = _LEAD.sub("", match.group())
        if len(place) > 1 and place not in _NOT_PLACES and place not in found:
            found.append(place)
    return found


def _grams(text: str) -> list[str]:
    return [word for word in index_words(text) if len(word) > 1]


def _vectors(documents: list[str]) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    # Pairs in most of a large period's cases say nothing of a matter; in a short period one
    # matter may be most of the cases, so nothing is left out for being common there.
    common = COMMON_SHARE if len(documents) >= 100 else 1.0
    try:
        weights = TfidfVectorizer(analyzer=_grams, min_df=2, max_df=common, sublinear_tf=True,
                                  max_features=FEATURES, dtype=np.float32).fit_transform(documents)
    except ValueError:  # no pair in two cases: nothing in common
        return np.zeros((len(documents), 1))
    dimensions = min(DIMENSIONS, weights.shape[1] - 1, weights.shape[0] - 1)
    if dimensions < 2:
        return normalize(weights.toarray())
    return normalize(TruncatedSVD(dimensions, n_iter=3, random_state=SEED)
                     .fit_transform(weights))


def _groups(vectors: np.ndarray) -> list[list[int]]:
    """Groups of cases about one matter: k-means in two steps (topics, then matters within
    each), so that the work grows with the cases, not with their square."""
    labels = np.zeros(len(vectors), dtype=int)
    topics = _kmeans(vectors, len(vectors) // CASES_PER_TOPIC)
    for topic in np.unique(topics):
        inside = np.flatnonzero(topics == topic)
        # About one group a matter; a few cases get as many groups as a dozen matters could
        # need (near ones are joined again below).
        count = max(len(inside) // CASES_PER_GROUP, min(len(inside) // 4, 12))
        labels[inside] = labels.max() + 1 + _kmeans(vectors[inside], count)
    labels = np.unique(labels, return_inverse=True)[1]
    centres = _normalised(np.array([vectors[labels == label].mean(axis=0)
                                    for label in range(labels.max() + 1)]))
    # Groups whose centres are as near as one matter's are one group.
    labels = _joined(centres @ centres.T >= SAME_MATTER)[labels]
    groups = []
    for label in np.unique(labels):
        inside = np.flatnonzero(labels == label)
        centre = _normalised(vectors[inside].mean(axis=0, keepdims=True))[0]
        members = inside[vectors[inside] @ centre >= MEMBER_SIMILARITY]
        if len(members) >= SMALLEST:
            groups.append(members.tolist())
    return groups


def _kmeans(vectors: np.ndarray, count: int) -> np.ndarray:
    """Each row's group among `count` (one group when there are too few rows for more)."""
    from sklearn.cluster import MiniBatchKMeans

    count = min(count, len(vectors))
    if count <= 1:
        return np.zeros(len(vectors), dtype=int)
    model = MiniBatchKMeans(count, random_state=SEED, n_init=1,
                            batch_size=max(1024, count * 4))
    return model.fit_predict(vectors)


def _normalised(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)


def _joined(near: np.ndarray) -> np.ndarray:
    """Each group's representative, joining every pair that is `near` (union-find)."""
    parent = list(range(len(near)))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for first, second in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        parent[root(int(first))] = root(int(second))
    return np.array([root(node) for node in range(len(near))])


def _issue(rows: list[Mapping[str, Any]], period_end: datetime, period_days: int) -> HotIssue:
    filed = sorted(row["filed_at"] for row in rows)
    keys = [row.get("filer") or None for row in rows]
    known = [key for key in keys if key]
    bad = sum(1 for row in rows if row.get("review_stage") in BAD_REVIEW_STAGES)
    overdue = sum(1 for row in rows if row.get("deadline_state") == "breached")
    places = Counter(place for row in rows
                     for place in places_in(f"{row['subject']} {row['description']}"))
    newest = sorted(rows, key=lambda row: (row["filed_at"], row["reference"]), reverse=True)
    ages = [(period_end - row["filed_at"]).total_seconds() / 86_400 for row in rows]
    return HotIssue(
        label=newest[0]["subject"][:30],
        terms=(),
        places=tuple(place for place, n in places.most_common(5) if n >= 2),
        departments=tuple(Counter(row["lead_department"] or "" for row in rows).most_common()),
        categories=tuple(Counter(row["category"] for row in rows).most_common()),
        references=tuple(row["reference"] for row in newest),
        cases=len(rows),
        filers=len(set(known)) + (len(keys) - len(known)),
        first_filed=filed[0],
        last_filed=filed[-1],
        bad_reviews=bad,
        overdue=overdue,
        heat=heat(ages, keys, bad, overdue, filed[0], filed[-1], period_days),
    )


def _labels(members: list[list[str]], documents: list[str]) -> list[list[str]]:
    """Each issue's eight weightiest words (jieba's): frequent in its cases, rare in a sample
    of the period's."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    step = max(1, len(documents) // BACKGROUND)
    background = [text[:LABEL_TEXT] for text in documents[::step]]
    members = [[text[:LABEL_TEXT] for text in texts[:50]] for texts in members]
    vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True)
    vectorizer.fit(background + [text for texts in members for text in texts])
    words = vectorizer.get_feature_names_out()
    found = []
    for texts in members:
        weights = np.asarray(vectorizer.transform(texts).mean(axis=0)).ravel()
        found.append([str(words[i]) for i in np.argsort(-weights)[:8] if weights[i] > 0])
    return found


def period_of(first_day: Any, last_day: Any) -> tuple[datetime, int]:
    """The end (the moment after the last day, city time) and the length in days of a period
    of days, both included."""
    from shared.locale import CITY_TIME

    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), CITY_TIME)
    return end, (last_day - first_day).days + 1


class HotIssueFinder:
    """A period's hot issues from the case index, computed on asking and kept until the index
    moves on (a few periods at once: the dashboard's and the API's)."""

    KEPT = 8

    def __init__(self, case_index: Any) -> None:
        self.case_index = case_index
        self._kept: dict[tuple, tuple[list[HotIssue], list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def find(
        self, first_day: Any, last_day: Any, department: str | None = None, limit: int = 10
    ) -> tuple[list[HotIssue], list[dict[str, Any]]]:
        """The issues, hottest first, and the period's rows they were found in."""
        key = (first_day, last_day, department, limit, self.case_index.lag().tracked)
        with self._lock:
            if key in self._kept:
                return self._kept[key]
        rows = self.case_index.filed_rows(first_day, last_day, department)
        end, days = period_of(first_day, last_day)
        found = (hot_issues(rows, end, days, limit=limit), rows)
        with self._lock:
            while len(self._kept) >= self.KEPT:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = found
        return found


def concentration(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Cases by category and month (YYYY-MM, city time): where complaints concentrate."""
    from shared.locale import CITY_TIME

    table: dict[str, dict[str, int]] = {}
    for row in rows:
        month = row["filed_at"].astimezone(CITY_TIME).strftime("%Y-%m")
        months = table.setdefault(row["category"], {})
        months[month] = months.get(month, 0) + 1
    return table
