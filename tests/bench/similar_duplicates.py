"""Similar cases as a duplicate finder, on the message board with planted near-duplicates
(tests/bench/duplicates.py): recall and precision of the top five, for Huiyin's ranking (its
TF-IDF over jieba's words, and over those words with the Chinese text's character bigrams)
beside two baselines, Jaccard on character bigrams and the full-text search's OR of words
(ranked by the share of the query's words a message holds)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from functools import partial

from complaints.intelligence.similar import Reach, SimilarCases
from complaints.intelligence.text import terms
from complaints.intelligence.vectors import Analyzer
from complaints.readmodels.case_index.search_text import HAN
from tests.bench.duplicates import (
    TOP,
    Message,
    Plant,
    Ranking,
    Score,
    jaccard_ranking,
    messages,
    plant,
    scored,
)
from tests.fixtures.case_texts import CaseTexts

# A score at which the intake desk may say "likely the same matter".
LIKELY_DUPLICATE = 0.5
HAN_RUN = re.compile(f"[{HAN}]+")
EVERY_CASE = Reach()


def reference(index: int) -> str:
    return f"HY-2019-{index:06d}"


def similar_ranking(board: Sequence[Message], plants: Sequence[Plant],
                    analyzer: Analyzer = terms) -> Ranking:
    """Huiyin's: each message and each plant a case; a plant's similar cases, top five."""
    texts = CaseTexts()
    for index, message in enumerate(board):
        texts.file(reference(index), message.subject, message.description)
    plant_ids = [texts.file(f"HY-2020-{number:06d}", planted.message.subject,
                            planted.message.description)
                 for number, planted in enumerate(plants)]
    similar = SimilarCases(texts, analyzer=analyzer)
    similar.fit_now()
    index_of = {reference(index): index for index in range(len(board))}

    def ranking(number: int, planted: Plant) -> list[tuple[int, float]]:
        found = similar.like_case(plant_ids[number], planted.message.subject,
                                  planted.message.description, EVERY_CASE, TOP)
        return [(index_of.get(item.reference, -1), item.score) for item in found.items]

    return ranking


def words_ranking(board: Sequence[Message], plants: Sequence[Plant]) -> Ranking:
    """The full-text search's OR of words: messages by the share of the query's words they
    hold (jieba's words, as the search index cuts them)."""
    held = [set(terms(f"{message.subject}\n{message.description}")) for message in board]

    def ranking(_number: int, planted: Plant) -> list[tuple[int, float]]:
        asked = set(terms(f"{planted.message.subject}\n{planted.message.description}"))
        scores = [(index, len(asked & words) / len(asked) if asked else 0.0)
                  for index, words in enumerate(held)]
        return sorted(scores, key=lambda pair: -pair[1])[:TOP]

    return ranking


def with_bigrams(text: str) -> list[str]:
    """jieba's words and, for typos that cut a word apart, the Chinese runs' character
    bigrams: a variant measured beside the shipped analyser."""
    found = terms(text)
    for run in HAN_RUN.findall(text):
        found.extend(run[i:i + 2] for i in range(len(run) - 1))
    return found


RANKINGS: dict[str, Callable[[Sequence[Message], Sequence[Plant]], Ranking]] = {
    "similar cases (TF-IDF, jieba words)": similar_ranking,
    "TF-IDF, words + character bigrams": partial(similar_ranking, analyzer=with_bigrams),
    "baseline: Jaccard of character bigrams": jaccard_ranking,
    "baseline: full-text OR of words": words_ranking,
}


def measure(size: int | None, plants: int, names: Sequence[str] = tuple(RANKINGS),
            thresholds: Sequence[float] = (LIKELY_DUPLICATE,)
            ) -> list[tuple[str, Score, float]]:
    """Each ranking's score on `size` messages (None: all) with `plants` planted, and its
    seconds (fitting and asking)."""
    board = messages(size)
    planted = plant(board, plants)
    results = []
    for name in names:
        started = time.perf_counter()
        score = scored(planted, RANKINGS[name](board, planted), thresholds)
        results.append((name, score, time.perf_counter() - started))
    return results
