"""Hot issues: are planted matters found, how pure are they, and how long does a period take.

Quality: the message board's 4,326 messages with eight planted matters (12–25 complaints each,
rephrased, shortened, with typos and other punctuation, filed in the last three weeks by
distinct users; tests/fixtures/planted.py). How many planted matters lead one of the ten
hottest issues, and how pure those issues are, against a baseline in the same run: grouping by
each case's single weightiest word (TF-IDF over jieba's words), ranked by size.

Time: `hot_issues` over the board's period, and over a period as large as a year's cases at a
province's rate (100,000 cases over six years: about 17,000 a year; the board's messages
cycled with new references and spread over the year), each with its parts' share.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta

import numpy as np

from complaints.intelligence.hot import hot_issues
from complaints.intelligence.text import terms, warm
from tests.bench.measure import table
from tests.fixtures.planted import MATTERS, board_rows, found_planted, planted

TOP = 10
YEAR_OF_A_PROVINCE = 17_000


class _Issue:
    def __init__(self, references: list[str]) -> None:
        self.references = references


def baseline(rows: list[dict]) -> list[_Issue]:
    """Each case under its weightiest word; the largest groups first."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = [f"{row['subject']}\n{row['description']}" for row in rows]
    vectorizer = TfidfVectorizer(analyzer=terms, min_df=2, max_df=0.3, sublinear_tf=True)
    weights = vectorizer.fit_transform(documents)
    top = np.asarray(weights.argmax(axis=1)).ravel()
    groups: dict[int, list[str]] = defaultdict(list)
    for row, word in zip(rows, top, strict=True):
        groups[int(word)].append(row["reference"])
    ordered = sorted(groups.values(), key=len, reverse=True)
    return [_Issue(references) for references in ordered[:TOP]]


def year_of(rows: list[dict], size: int) -> list[dict]:
    """`size` cases: the board's cycled with new references, spread over the year before the
    board's last message."""
    end = max(row["filed_at"] for row in rows)
    grown = []
    for number in range(size):
        row = rows[number % len(rows)]
        grown.append({**row, "reference": f"Y-{number:06d}", "filer": f"{row['filer']}-{number}",
                      "filed_at": end - timedelta(days=365 * number / size)})
    return grown


def run() -> str:
    warm()
    board = board_rows()
    case = planted(board)
    started = time.perf_counter()
    found = hot_issues(case.rows, case.period_end, case.period_days, limit=TOP)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    naive = baseline(case.rows)
    naive_seconds = time.perf_counter() - started
    ours, purities = found_planted(found, case.truth)
    theirs, naive_purities = found_planted(naive, case.truth)
    quality = table([
        ["hot issues (LSA + k-means, heat)", f"{ours} of {len(MATTERS)}",
         f"{np.mean(purities):.2f}" if purities else "-", f"{seconds:.1f} s"],
        ["baseline: weightiest word, by size", f"{theirs} of {len(MATTERS)}",
         f"{np.mean(naive_purities):.2f}" if naive_purities else "-", f"{naive_seconds:.1f} s"],
    ], ["method", f"planted matters in the top {TOP}", "mean purity", "time"])

    year = year_of(board, YEAR_OF_A_PROVINCE)
    timings = []
    for label, rows, end, days in (
        (f"the board's period, {len(case.rows):,} cases", case.rows, case.period_end,
         case.period_days),
        (f"a province's year, {len(year):,} cases", year, year[0]["filed_at"], 366),
    ):
        started = time.perf_counter()
        hot_issues(rows, end + timedelta(seconds=1), days, limit=TOP)
        timings.append([label, f"{time.perf_counter() - started:.1f} s"])
    latency = table(timings, ["period", "hot issues computed (then kept until cases change)"])
    return ("hot issues on the message board with planted matters\n" + quality
            + "\n\n" + latency)
