"""The terms a complaint's text is compared by, in Chinese, English and Russian.

Chinese is cut into words by jieba (its own dictionary, shipped in the package: nothing is
downloaded), in search mode, so that a long word also yields the shorter words inside it
(营业执照 → 营业, 执照, 营业执照) and a rephrased message still shares them. Other scripts are
their words, case-folded. Stop words, single characters that are not Chinese, digits alone and
punctuation are dropped. `terms` is what vectorisers take as their analyser; `shared_terms`
names what two texts have in common, for a reader to see why they were found alike.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from importlib import resources

from complaints.readmodels.case_index.search_text import HAN

_TOKEN = re.compile(f"([{HAN}]+)|[^\\W\\d_{HAN}][^\\W{HAN}]*")
# Words that say nothing about what a complaint is about, in the three languages.
STOP_WORDS = frozenset(
    word
    for line in resources.files("complaints").joinpath("data/stop_words.txt")
    .read_text("utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)

_lock = threading.Lock()
_cutter = None


def _jieba():
    """jieba's tokenizer, loaded once per process (its dictionary takes about a second)."""
    global _cutter
    with _lock:
        if _cutter is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            cutter = jieba.Tokenizer()
            cutter.initialize()
            _cutter = cutter
        return _cutter


def terms(text: str) -> list[str]:
    """The text's terms, in order, repeats kept (vectorisers count them)."""
    found: list[str] = []
    normal = unicodedata.normalize("NFKC", text).casefold()
    for token in _TOKEN.finditer(normal):
        if run := token.group(1):
            found.extend(word for word in _jieba().cut_for_search(run, HMM=True)
                         if word not in STOP_WORDS and (len(word) > 1 or run == word))
        elif len(word := token.group()) > 1 and word not in STOP_WORDS:
            found.append(word)
    return found


def shared_terms(first: Iterable[str], second: Iterable[str], most: int = 8) -> list[str]:
    """The terms both texts hold, longest first (the most telling), at most `most`."""
    common = set(first) & set(second)
    return sorted(common, key=lambda term: (-len(term), term))[:most]


def warm() -> None:
    """Load jieba's dictionary now, not in the first request that needs it."""
    _jieba()
