"""A short slice of the duplicate benchmark (tests/bench/duplicates.py): near-duplicates
planted among the message board's first 400 messages are found in their top five. No timing:
the benchmark (`python -m tests.bench similar`) measures the whole board and the latency."""

from __future__ import annotations

import os

import pytest

from tests.bench.duplicates import MESSAGE_BOARD
from tests.bench.similar_duplicates import LIKELY_DUPLICATE, measure

SIMILAR = "similar cases (TF-IDF, jieba words)"
BASELINE = "baseline: full-text OR of words"


@pytest.fixture(scope="module")
def scores():
    if not MESSAGE_BOARD.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the message board's file is missing: {MESSAGE_BOARD}", pytrace=False)
        pytest.skip(f"no {MESSAGE_BOARD} on this machine")
    return {name: score for name, score, _seconds in measure(400, 60, (SIMILAR, BASELINE))}


def test_planted_near_duplicates_find_their_original_in_the_top_five(scores):
    assert scores[SIMILAR].recall >= 0.95
    assert scores[SIMILAR].first >= 0.9


def test_a_likely_duplicate_score_is_mostly_a_true_pair(scores):
    precision, recall = scores[SIMILAR].at[LIKELY_DUPLICATE]

    assert precision >= 0.8
    assert recall >= 0.7


def test_the_ranking_is_no_worse_than_counting_shared_words(scores):
    assert scores[SIMILAR].first >= scores[BASELINE].first - 0.02
