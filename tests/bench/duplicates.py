"""Near-duplicates planted in the message board's 4,326 messages, and how well a ranking finds
each plant's original among its top five.

Each plant is a message rewritten, deterministically from a seed, the ways a repeat caller or
a second filer says the same thing: words swapped for synonyms, shortened to a few of its
sentences, characters mistyped, other punctuation and spacing, the sentences told in another
order; every plant gets three or four of these. The plant is filed as a case of its own;
asked for the cases like it, the ranking should put the original in its top five (recall).
Precision: of the results scoring at least a "likely duplicate" threshold, the share that are
true pairs: the plant's original, or a message the board holds twice (the same details posted
again, under the same or another subject: the board has such real repeats, and they are as
much the plant's duplicate). Any other message found counts against it, although a reader
would often call some of them duplicates too (the same stall reported by two neighbours).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import openpyxl

from complaints.importing.ooxml import decoded

MESSAGE_BOARD = (Path(__file__).resolve().parents[3] / "shared" / "data"
                 / "msgboard-2019-messages.xlsx")
TOP = 5
SYNONYMS = {
    "投诉": "反映", "反映": "投诉", "问题": "情况", "小区": "社区", "希望": "恳请",
    "政府": "有关部门", "领导": "负责同志", "严重": "十分厉害", "解决": "处理", "处理": "解决",
    "居民": "住户", "没有": "未", "现在": "目前", "已经": "已", "非常": "特别", "请问": "想问",
    "业主": "住户", "部门": "单位", "相关": "有关", "要求": "请求", "影响": "妨碍", "道路": "马路",
    "学校": "校方", "孩子": "小孩", "工作": "事务", "公司": "企业", "情况": "状况", "及时": "尽快",
}
PUNCTUATION = str.maketrans({"，": ",", "。": ".", "！": "!", "？": "?", "：": ":", "；": ";",
                             "、": ",", "（": "(", "）": ")"})
SENTENCE_END = re.compile(r"(?<=[。！？!?])")


@dataclass(frozen=True)
class Message:
    subject: str
    description: str


@dataclass(frozen=True)
class Plant:
    original: int  # the index of the message it was made from
    message: Message
    ways: tuple[str, ...]
    twins: frozenset[int]  # the original and the messages with the very same details


def messages(limit: int | None = None) -> list[Message]:
    """The board's messages with a subject and details, in the file's order."""
    book = openpyxl.load_workbook(MESSAGE_BOARD, read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(cell) for cell in next(rows)]
        subject_at, detail_at = header.index("留言主题"), header.index("留言详情")
        found = []
        for row in rows:
            subject = " ".join(decoded(str(row[subject_at] or "")).split())
            detail = " ".join(decoded(str(row[detail_at] or "")).split())
            if subject and detail:
                found.append(Message(subject[:200], detail[:10_000]))
            if limit is not None and len(found) >= limit:
                break
        return found
    finally:
        book.close()


def plant(board: Sequence[Message], count: int, seed: int = 14) -> list[Plant]:
    """`count` near-duplicates of distinct messages, each rewritten three or four ways."""
    chance = random.Random(seed)
    alphabet = sorted({char for message in board[:200] for char in message.description
                       if "\u4e00" <= char <= "\u9fff"})
    posted: dict[str, set[int]] = {}
    for index, message in enumerate(board):
        posted.setdefault(message.description, set()).add(index)
    plants = []
    for original in chance.sample(range(len(board)), count):
        ways = tuple(chance.sample(sorted(REWRITES), chance.choice((3, 4))))
        message = board[original]
        for way in ways:
            message = REWRITES[way](message, chance, alphabet)
        plants.append(Plant(original, message, ways,
                            frozenset(posted[board[original].description])))
    return plants


def _synonyms(message: Message, chance: random.Random, _alphabet: list[str]) -> Message:
    def swap(text: str) -> str:
        for word, other in SYNONYMS.items():
            if word in text and chance.random() < 0.7:
                text = text.replace(word, other)
        return text

    return Message(swap(message.subject), swap(message.description))


def _shortened(message: Message, chance: random.Random, _alphabet: list[str]) -> Message:
    """A fifth to a half of the sentences, from anywhere in the message."""
    sentences = _sentences(message.description)
    kept = max(1, round(len(sentences) * chance.uniform(0.2, 0.5)))
    first = chance.randrange(len(sentences) - kept + 1)
    return Message(message.subject, "".join(sentences[first:first + kept]))


def _retold(message: Message, chance: random.Random, _alphabet: list[str]) -> Message:
    """The sentences in another order, and the subject's words too."""
    sentences = _sentences(message.description)
    chance.shuffle(sentences)
    parts = [part for part in re.split(r"([，,、 ])", message.subject) if part]
    subject = "".join(parts[::-1]) if len(parts) > 1 else message.subject[::-1]
    return Message(subject, "".join(sentences))


def _sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_END.split(text) if part.strip()] or [text]


def _typos(message: Message, chance: random.Random, alphabet: list[str]) -> Message:
    def mistyped(text: str, share: float) -> str:
        chars = list(text)
        han = [i for i, char in enumerate(chars) if "\u4e00" <= char <= "\u9fff"]
        for i in chance.sample(han, max(1, round(len(han) * share))) if han else []:
            chars[i] = chance.choice(alphabet)
        return "".join(chars)

    return Message(mistyped(message.subject, 0.1), mistyped(message.description, 0.08))


def _punctuation(message: Message, chance: random.Random, _alphabet: list[str]) -> Message:
    description = message.description.translate(PUNCTUATION)
    if chance.random() < 0.5:
        description = description.replace(",", " ")
    return Message(message.subject.translate(PUNCTUATION) + "！", "\t" + description + "\n")


REWRITES: dict[str, Callable[[Message, random.Random, list[str]], Message]] = {
    "synonyms": _synonyms, "shortened": _shortened, "typos": _typos,
    "punctuation": _punctuation, "retold": _retold,
}


@dataclass(frozen=True)
class Score:
    recall: float  # plants whose original is in their top five
    first: float  # plants whose original is ranked first
    # At each "likely duplicate" threshold: (precision, recall) of the results scoring at
    # least that: the share of them that are true pairs, and of plants whose original is one.
    at: dict[float, tuple[float, float]]


# ranking(plant number, plant) → the top results as (message index, score), best first.
Ranking = Callable[[int, Plant], list[tuple[int, float]]]


def scored(plants: Sequence[Plant], ranking: Ranking, thresholds: Sequence[float]) -> Score:
    tops = [ranking(number, planted)[:TOP] for number, planted in enumerate(plants)]
    found = sum(any(index == p.original for index, _ in top) for p, top in zip(plants, tops,
                                                                               strict=True))
    first = sum(bool(top) and top[0][0] == p.original for p, top in zip(plants, tops,
                                                                         strict=True))
    at = {}
    for threshold in thresholds:
        above = [[index for index, score in top if score >= threshold] for top in tops]
        kept = sum(len(indexes) for indexes in above)
        true = sum(index in p.twins for p, indexes in zip(plants, above, strict=True)
                   for index in indexes)
        found_above = sum(p.original in indexes for p, indexes in zip(plants, above, strict=True))
        at[threshold] = (true / kept if kept else 1.0, found_above / len(plants))
    return Score(found / len(plants), first / len(plants), at)


def bigrams(text: str) -> set[str]:
    """Character bigrams of the text without spaces and punctuation: the baseline's units."""
    letters = [char for char in text.casefold() if char.isalnum()]
    return {a + b for a, b in pairwise(letters)}


def jaccard_ranking(board: Sequence[Message], plants: Sequence[Plant]) -> Ranking:
    """The baseline: Jaccard similarity of character bigram sets against every message."""
    sets = [bigrams(message.subject + message.description) for message in board]

    def ranking(_number: int, planted: Plant) -> list[tuple[int, float]]:
        mine = bigrams(planted.message.subject + planted.message.description)
        scores = [(index, len(mine & other) / len(mine | other) if mine | other else 0.0)
                  for index, other in enumerate(sets)]
        return sorted(scores, key=lambda pair: -pair[1])[:TOP]

    return ranking
