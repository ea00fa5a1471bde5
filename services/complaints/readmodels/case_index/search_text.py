"""Words for the full-text index: Chinese as its characters and character pairs, other scripts
as written; a query's Chinese cut into words by jieba, each asked for by its pairs.

Both stores see plain space-separated words (SQLite FTS5 `unicode61`, PostgreSQL
`to_tsvector('simple', …)`), so a word is found the same way on either.

A document's Chinese is indexed as every character and every pair of neighbouring characters
(the unigrams and bigrams of Lucene's CJK analyzer), not cut into words: cutting is a
dictionary walk that costs a millisecond a case and was half of a rebuild's time, while
pairs cost next to nothing, and no word can hide inside another word's cut. A query's
Chinese is cut by jieba into words, and each word asks for its pairs (or its one character):
a document that contains the word contains all of them. Cutting the query first keeps a
pair that spans two of its words from being asked for, so a document may put other
characters between the words; a long dictionary word is asked for by the shorter words
inside it where they cover it (jieba keeps 中华人民共和国海关 whole, whose pair 国海 a
document saying 中华人民共和国的海关 lacks).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator

import jieba

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
WORD = re.compile(r"\w+")

_segmenter = jieba.dt


def warm_segmenter() -> None:
    """Load jieba's dictionary now (about a second), not in the first search that needs it."""
    jieba.setLogLevel(logging.WARNING)
    _segmenter.initialize()


def warm_segmenter_in_background() -> None:
    """Start loading the dictionary without waiting; a search meanwhile waits for it."""
    threading.Thread(target=warm_segmenter, name="jieba-warm-up", daemon=True).start()


def index_text(*parts: str) -> str:
    """The words of `parts` for the index, lower-cased, separated by spaces: each Chinese
    character and pair of characters, and the other scripts' words."""
    words: list[str] = []
    for run, is_han in _runs(" ".join(parts)):
        if is_han:
            words.extend(run)
            words.extend(_pairs(run))
        else:
            words.extend(WORD.findall(run))
    return " ".join(words)


def query_terms(text: str) -> list[str]:
    """The words a document must all contain to match `text`: for Chinese, the pairs of
    characters (or the one character) of each word jieba cuts it into."""
    terms: list[str] = []
    for run, is_han in _runs(text):
        if is_han:
            for word in _segmenter.cut(run, HMM=False):
                for part in _covering_words(word):
                    terms.extend(_pairs(part) or [part])
        else:
            terms.extend(WORD.findall(run))
    return list(dict.fromkeys(term for term in terms if term.strip()))


def _pairs(run: str) -> list[str]:
    """Every two neighbouring characters of `run`; none for a single character."""
    return [run[start : start + 2] for start in range(len(run) - 1)]


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
