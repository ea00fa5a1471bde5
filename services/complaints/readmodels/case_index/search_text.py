"""Words for the full-text index: Chinese cut into words by jieba, other scripts as written."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator

import jieba

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
WORD = re.compile(r"\w+")

# Both stores see plain space-separated words (SQLite FTS5 `unicode61`, PostgreSQL
# `to_tsvector('simple', …)`), so a word is found the same way on either. A trigram index
# would miss two-character Chinese words such as 退税; jieba's words find them.
_segmenter = jieba.dt


def warm_segmenter() -> None:
    """Load jieba's dictionary now (about a second), not in the first search that needs it."""
    jieba.setLogLevel(logging.WARNING)
    _segmenter.initialize()


def warm_segmenter_in_background() -> None:
    """Start loading the dictionary without waiting; a search meanwhile waits for it."""
    threading.Thread(target=warm_segmenter, name="jieba-warm-up", daemon=True).start()


def index_text(*parts: str) -> str:
    """The words of `parts` for the index, lower-cased, separated by spaces.

    Chinese runs give jieba's search segmentation, which adds the short words inside
    long ones (进出口 → 进出 出口 进出口), without HMM guessing of unknown words so
    that a document and a query are cut the same way.
    """
    words: list[str] = []
    for run, is_han in _runs(" ".join(parts)):
        if is_han:
            words.extend(_segmenter.cut_for_search(run, HMM=False))
        else:
            words.extend(WORD.findall(run))
    return " ".join(word for word in words if word.strip())


def query_terms(text: str) -> list[str]:
    """The words a document must all contain to match `text`.

    A long Chinese word is asked for by the dictionary words inside it when they cover it:
    jieba keeps 中华人民共和国海关 whole, but a document may say 中华人民共和国的海关.
    """
    terms: list[str] = []
    for run, is_han in _runs(text):
        if is_han:
            for word in _segmenter.cut(run, HMM=False):
                terms.extend(_covering_words(word))
        else:
            terms.extend(WORD.findall(run))
    return list(dict.fromkeys(term for term in terms if term.strip()))


def _runs(text: str) -> Iterator[tuple[str, bool]]:
    """Runs of Chinese characters and of everything else, normalised and lower-cased."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    position = 0
    for match in HAN_RUN.finditer(normal):
        if match.start() > position:
            yield normal[position : match.start()], False
        yield match.group(), True
        position = match.end()
    if position < len(normal):
        yield normal[position:], False


def _covering_words(word: str) -> list[str]:
    """The shorter dictionary words (two or three characters) inside `word`, if they cover it."""
    if len(word) <= 2:
        return [word]
    spans = [
        (start, size)
        for size in (2, 3)
        if size < len(word)
        for start in range(len(word) - size + 1)
        if _segmenter.FREQ.get(word[start : start + size])
    ]
    covered = {start + offset for start, size in spans for offset in range(size)}
    if len(covered) < len(word):
        return [word]
    return [word[start : start + size] for start, size in spans]
