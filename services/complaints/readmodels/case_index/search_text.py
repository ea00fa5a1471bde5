"""The words of the full-text index, and what a search asks of them.

A document's Chinese is indexed as every pair of neighbouring characters, and the last
character of each run alone (the bigrams of Lucene's CJK analyzer); other scripts as their
words. Nothing is cut by a dictionary, so no word can hide inside another word's cut, and
indexing costs next to nothing (cutting each document into words with jieba was a
millisecond's dictionary walk and half of a catch-up's time).

A query asks for each Chinese run it holds as written: the run's pairs in a row (a phrase),
so a document is found exactly when it contains the run, never for its characters scattered
apart; one character asks for the indexed words that begin with it (every character begins
one). Each other word is asked for as a word. A document must hold every term of the query:
`物业 小区` finds the cases that write 物业 and 小区 anywhere.

Both stores see the same words and are asked the same terms: SQLite FTS5 (`unicode61`) the
words separated by spaces, a phrase in quotes; PostgreSQL a `tsvector` literal with each
word's position, a phrase with `<->`. A word is letters, digits and `_` only, so neither needs
quoting.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
# A run of Chinese characters (group 1), or a word of any other script (group 2).
TOKEN = re.compile(f"([{HAN}]+)|([^\\W{HAN}]+)")
# The longest word a tsvector takes is 2047 bytes.
MAX_WORD_BYTES = 2048


@dataclass(frozen=True)
class Term:
    """What a document must contain for one term of a query: `words` in a row, or, `prefix`,
    an indexed word that begins with its one word."""

    words: tuple[str, ...]
    prefix: bool = False


def index_words(*parts: str) -> list[str]:
    """The words of `parts` for the index, lower-cased, in the order they stand: each pair of
    neighbouring Chinese characters and the last character of each Chinese run, and the
    other scripts' words. A word too long for an index (2 KiB) is left out, as PostgreSQL's
    own parser leaves it out."""
    words: list[str] = []
    # findall's pairs of groups, not a match object a word: a rebuild indexes every case.
    for run, word in TOKEN.findall(_normal(" ".join(parts))):
        if run:
            words.extend(_pairs(run))
            words.append(run[-1])
        elif _indexable(word):
            words.append(word)
    return words


def query_terms(text: str) -> list[Term]:
    """The terms a document must all contain to match `text`, each once."""
    terms: list[Term] = []
    for run, word in TOKEN.findall(_normal(text)):
        if run:
            terms.append(Term(tuple(_pairs(run))) if len(run) > 1 else Term((run,), prefix=True))
        elif _indexable(word):
            terms.append(Term((word,)))
    return list(dict.fromkeys(terms))


def _pairs(run: str) -> list[str]:
    """Every two neighbouring characters of `run`; none for a single character."""
    return [run[start : start + 2] for start in range(len(run) - 1)]


def _indexable(word: str) -> bool:
    # Up to 511 characters a word is under 2 KiB in UTF-8 whatever they are.
    return len(word) < 512 or len(word.encode()) < MAX_WORD_BYTES


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
