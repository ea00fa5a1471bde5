"""Similar cases: latency at 10,000 and 100,000 cases on PostgreSQL, the fit's time and
memory, and the planted near-duplicates' precision and recall (tests/bench/duplicates.py).

The corpus: the case index's rows written directly through its recorder (the same `apply`
the projection calls), SIZE rows per size (`SIZES=10000,100000`), their subjects and
descriptions the two samples' texts cycled (tests/bench/scale/history.py: the CFPB's English
complaints and the message board's Chinese posts, interleaved), each under its own id and
reference, one in five still open. This read path reads the case index only, never the
events: rows written directly are what the projection would have written, without the hours
an import and a catch-up of 100,000 cases take here.

In the same run, on the same data, the baselines: the case index's full-text search for two
words of the subject (what a reader does without similar cases; its p50/p99), and the same
cosine computed by brute force over the cases' row matrix (scipy CSR × the query) instead
of the postings of the query's own terms.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import numpy as np
from eventsourcing.persistence import Tracking
from scipy import sparse

from complaints.bootstrap import build_services
from complaints.intelligence.similar import Reach, SimilarCases
from complaints.intelligence.text import terms
from complaints.readmodels.case_index import open_case_index
from complaints.readmodels.case_index.rows import CaseRow
from tests.bench.importing import own_peak_rss, rss
from tests.bench.measure import Sample, table, timed_calls
from tests.bench.scale.history import Text, sample_texts
from tests.bench.similar_duplicates import LIKELY_DUPLICATE, RANKINGS, measure
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.stores import settings_for

SIZES = [int(size) for size in os.environ.get("SIZES", "10000,100000").split(",")]
SAMPLES = int(os.environ.get("SAMPLES", "200"))
PLANTS = int(os.environ.get("PLANTS", "300"))
BATCH = 5_000
OPEN_SHARE = 0.2
THRESHOLDS = (0.3, LIKELY_DUPLICATE, 0.7)
EVERY_CASE = Reach()


def run() -> str:
    texts = sample_texts()
    sections = [latency(size, texts) for size in SIZES]
    return "\n\n".join([*sections, duplicates()])


def latency(size: int, texts: list[Text]) -> str:
    with tempfile.TemporaryDirectory() as data_dir, postgresql(data_dir) as settings:
        services = build_services(settings, create_tables=True)
        index = open_case_index(settings, create_tables=True)
        try:
            write_rows(index, services.routing, texts, size)
            before = own_peak_rss()
            similar = SimilarCases(index)
            started = time.perf_counter()
            similar.fit_now()
            fit_seconds = time.perf_counter() - started
            peak, now = own_peak_rss(), own_rss()
            rows = measured(similar, index, texts, size)
            stats = similar.stats()
        finally:
            index.close()
            services.close()
    header = ["query", "p50 ms", "p99 ms"]
    return (
        f"Similar cases at {size:,} cases on PostgreSQL ({SAMPLES} queries each): fitted in "
        f"{fit_seconds:.1f} s ({stats['cases']:,} cases, {stats['terms']:,} terms; matrix "
        f"{stats['matrix_bytes'] / 2**20:.0f} MiB; the process's peak RSS {rss(before)} "
        f"before the fit, {rss(peak)} after; its RSS after the fit {rss(now)}).\n"
        + table(rows, header))


def measured(similar: SimilarCases, index, texts: list[Text], size: int) -> list[list[str]]:
    chance = random.Random(14)
    asked = [chance.randrange(size) for _ in range(SAMPLES)]

    def like_case(number: int) -> None:
        case = asked[number]
        text = texts[case % len(texts)]
        similar.like_case(case_id(case), text.subject, text.description, EVERY_CASE)

    def like_typed(number: int) -> None:
        similar.like_text(typed(texts[asked[number] % len(texts)]), Reach(open_only=True), 5)

    def like_case_as_handler(number: int) -> None:
        text = texts[asked[number] % len(texts)]
        similar.like_case(case_id(asked[number]), text.subject, text.description,
                          Reach(department="TAX"))

    def search(number: int) -> None:
        words = terms(texts[asked[number] % len(texts)].subject)[:2] or ["credit"]
        index.search(text=" ".join(words), limit=10)

    brute = brute_force(similar)
    samples = [
        timed_calls("similar to a case", like_case, SAMPLES),
        timed_calls("similar to typed text (open only, top 5)", like_typed, SAMPLES),
        timed_calls("similar to a case, as a TAX handler", like_case_as_handler, SAMPLES),
        timed_calls("baseline: full-text search, two words of the subject", search, SAMPLES),
        timed_calls("baseline: the same cosine by brute force (CSR rows × query)",
                    lambda number: brute(texts[asked[number] % len(texts)]), SAMPLES),
    ]
    return [[sample.label, ms(sample, 50), ms(sample, 99)] for sample in samples]


def brute_force(similar: SimilarCases):
    corpus = similar._corpus
    rows = sparse.csr_matrix(corpus.fitted.by_term.T)

    def scores(text: Text) -> np.ndarray:
        query = corpus.model.query(f"{text.subject}\n{text.description}")
        held = query.columns < rows.shape[1]
        vector = sparse.csr_matrix((query.weights[held], query.columns[held],
                                    [0, int(held.sum())]), shape=(1, rows.shape[1]))
        found = (rows @ vector.T).toarray().ravel()
        return np.argpartition(-found, 10)[:10]

    return scores


def own_rss() -> int:
    """This process's resident memory now (KiB)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def typed(text: Text) -> str:
    """What an intake worker has typed a few seconds into a call: the subject and the first
    sentence or so."""
    return f"{text.subject}\n{text.description[:80]}"


def write_rows(index, routing, texts: list[Text], size: int) -> None:
    position = index.position()
    start = datetime(2026, 1, 5, tzinfo=UTC)
    for first in range(0, size, BATCH):
        rows = [row(number, texts[number % len(texts)], routing, start)
                for number in range(first, min(size, first + BATCH))]
        index.recorder.apply(rows, Tracking(index.application_name, position + len(rows)),
                             after=position)
        position += len(rows)


def row(number: int, text: Text, routing, start: datetime) -> CaseRow:
    proposed = routing.propose(text.category)
    filed = start + timedelta(minutes=number)
    closed = number % int(1 / OPEN_SHARE) != 0
    return CaseRow(
        case_id=case_id(number), reference=f"HY-2026-{number + 1:06d}",
        status="closed" if closed else "assigned", round=1, category=text.category,
        subject=text.subject, description=text.description, filer_kind="enterprise",
        filer_language="en" if text.subject.isascii() else "zh",
        enterprise_name=None, person_name=None, credit_code_sealed=None,
        credit_code_hash=None, phone_hash=None, email_hash=None, external_user_hash=None,
        channel="web", lead_department=proposed.lead, co_departments=tuple(proposed.co),
        confidential=False, anonymous=False, filed_at=filed, due_at=None,
        updated_at=filed, version=6 if closed else 3, review_stage="none",
        deadline_stage=None, due_provisional=False, deadline_state=None,
        closed_at=filed + timedelta(days=5) if closed else None, personal_data_erased=False,
    )


def case_id(number: int) -> str:
    return str(uuid5(NAMESPACE_URL, f"bench-similar-{number}"))


def duplicates() -> str:
    names = list(RANKINGS)
    results = measure(None, PLANTS, names, THRESHOLDS)
    header = ["ranking", "recall@5", "first", *[f"P/R ≥ {t}" for t in THRESHOLDS], "s"]
    rows = [[name, f"{score.recall:.3f}", f"{score.first:.3f}",
             *[f"{score.at[t][0]:.2f} / {score.at[t][1]:.2f}" for t in THRESHOLDS],
             f"{seconds:.0f}"] for name, score, seconds in results]
    return (
        f"Duplicates: the message board's messages with {PLANTS} near-duplicates planted "
        "(synonyms, shortened, typos, punctuation, sentences reordered; three or four each, "
        "seed 14). recall@5: the original in the plant's top five; first: ranked first; "
        "P/R ≥ t: precision of the results scoring at least t (true: the original or the "
        "same details posted again) and the share of plants whose original scores that.\n"
        + table(rows, header))


@contextmanager
def postgresql(data_dir: str) -> Iterator:
    with postgres_cluster() as admin, fresh_database(admin) as url:
        yield settings_for("postgresql", data_dir, url, HUIYIN_LOG_LEVEL="WARNING")


def ms(sample: Sample, p: float) -> str:
    return f"{sample.percentile(p) * 1000:.1f}"
