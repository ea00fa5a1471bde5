"""Words for the full-text index: Chinese as the pairs of characters it holds, other scripts
as written; a query's Chinese cut into words by jieba, each asked for by its pairs.

Both stores see plain space-separated words (SQLite FTS5 `unicode61`; PostgreSQL a
`tsvector` made from them as they are, with no parser of its own between), and both are
asked with the same terms, so a word is found the same way on either.

A document's Chinese is indexed as every pair of neighbouring characters, and the last
character of each run alone (the bigrams of Lucene's CJK analyzer), not cut into words:
cutting is a dictionary walk that cost a millisecond a case and half of a rebuild's time,
while pairs cost next to nothing, and no word can hide inside another word's cut. Every
character begins one indexed word, so a one-character query asks for the words that begin
with it (a prefix term) and finds every place the character is written.

A query's Chinese is cut by jieba into words, and each word asks for its pairs: a document
that contains the word contains all of them. Cutting the query first keeps a pair that
spans two of its words from being asked for, so a document may put other characters
between the words; a long dictionary word is asked for by the shorter words inside it where
they cover it (jieba keeps 中华人民共和国海关 whole, whose pair 国海 a document saying
中华人民共和国的海关 lacks).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

import jieba

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
HAN_RUN = re.compile(f"[{HAN}]+")
# A run of Chinese characters (group 1), or a word of any other script.
TOKEN = re.compile(f"([{HAN}]+)|[^\\W{HAN}]+")
# The longest word a tsvector takes is 2047 bytes.
MAX_WORD_BYTES = 2048

_segmenter = jieba.dt


def warm_segmenter() -> None:
    """Load jieba's dictionary now (about a second), not in the first search that needs it."""
    jieba.setLogLevel(logging.WARNING)
    _segmenter.initialize()


def warm_segmenter_in_background() -> None:
    """Start loading the dictionary without waiting; a search meanwhile waits for it."""
    threading.Thread(target=warm_segmenter, name="jieba-warm-up", daemon=True).start()


def index_text(*parts: str) -> str:
    """The words of `parts` for the index, lower-cased, separated by spaces: each pair of
    neighbouring Chinese characters and the last character of each Chinese run, and the
    other scripts' words. A word is letters, digits and `_` only, so the text is also a
    `tsvector` literal as it stands; one too long for an index (2 KiB) is left out, as
    PostgreSQL's own parser leaves it out."""
    words: list[str] = []
    for token in TOKEN.finditer(_normal(" ".join(parts))):
        if run := token.group(1):
            words.extend(_pairs(run))
            words.append(run[-1])
        elif _indexable(word := token.group()):
            words.append(word)
    return " ".join(words)


def query_terms(text: str) -> list[str]:
    """The terms a document must all contain to match `text`: for Chinese, the pairs of
    characters of each word jieba cuts it into, or its one character as a prefix term."""
    terms: list[str] = []
    for token in TOKEN.finditer(_normal(text)):
        if run := token.group(1):
            for word in _segmenter.cut(run, HMM=False):
                for part in _covering_words(word):
                    terms.extend(_pairs(part) or [part])
        elif _indexable(word := token.group()):
            terms.append(word)
    return list(dict.fromkeys(term for term in terms if term.strip()))


def is_prefix(term: str) -> bool:
    """Whether a query term matches every indexed word that begins with it: one Chinese
    character, which the index holds only as the first of a pair (or a run's last)."""
    return len(term) == 1 and HAN_RUN.match(term) is not None


def _indexable(word: str) -> bool:
    # Up to 511 characters a word is under 2 KiB in UTF-8 whatever they are.
    return len(word) < 512 or len(word.encode()) < MAX_WORD_BYTES


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


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
