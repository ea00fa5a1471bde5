"""A province's history, made up from real complaints: the CSV the importer reads, and the
later life (re-checks, rectifications, return visits, reopenings) that an import cannot say.

Texts come from the handbook's two samples: the CFPB's English complaints and a Chinese city's
message-board posts, cycled, each case under its own id. Everything else is drawn from a seeded
generator in proportions a provincial hotline sees, so two runs of one size make one history:

- filed evenly over 2021-01-01 .. 2026-08-31, on the channels a hotline's intake mixes;
- still open with their department: half of the last 90 days' cases and 1 % of older ones
  (a hotline's open work follows its recent intake, not the years behind it); the rest
  replied after 1 to 20 days;
- 70 % of replies rated: 60 % fives, 22 % fours, 10 % threes, 5 % twos, 3 % ones; a bad
  rating (1-2) keeps the case open for its re-check;
- later life: every older bad review re-checked and 3 in 4 of the last 90 days' (2 in 5 of
  those upheld, rectified and visited again), and 2 % of closed cases reopened, answered again
  and closed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from uuid import UUID

import openpyxl

from complaints.application.routing import RoutingTable
from complaints.application.service import Complaints
from complaints.domain.case import Case
from complaints.domain.values import Role, Stage, Stamp
from shared.locale import CITY_TIME
from tests.fixtures.samples import CFPB_SAMPLE

MESSAGE_BOARD = CFPB_SAMPLE.parents[3] / "shared" / "data" / "msgboard-2019-messages.xlsx"
MAPPING = Path(__file__).with_name("mapping.toml")
COLUMNS = ["id", "filed", "assigned", "channel", "category", "department", "subject",
           "description", "place", "outcome", "reply", "replied", "rating", "rated"]
# The last filing leaves its later life (two months at most) in the past.
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2026, 8, 31)
CHANNELS = (("web", 45), ("hotline", 30), ("window", 10), ("api", 8), ("letter", 4),
            ("email", 3))
OUTCOMES = (("resolved", 55), ("explained", 35), ("not_substantiated", 10))
SCORES = ((5, 60), (4, 22), (3, 10), (2, 5), (1, 3))
RECENT_DAYS, OPEN_RECENT_SHARE, OPEN_OLD_SHARE, RATED_SHARE = 90, 0.5, 0.01, 0.70
RECHECKED_SHARE, UPHELD_SHARE, REOPENED_SHARE = 0.75, 0.40, 0.02
ACTOR = "import:scale"
STAMP_FORMAT = "%Y-%m-%d %H:%M"
SUPERVISOR = "bench-supervisor"


@dataclass(frozen=True)
class Text:
    subject: str
    description: str
    place: str
    category: str


def leads() -> dict[str, str]:
    """Each category's lead department, as the shipped routing proposes it."""
    routing = RoutingTable.load()
    return {category: routing.propose(category).lead for category in routing.categories}


def sample_texts() -> list[Text]:
    """Every complaint of both samples, English and Chinese interleaved."""
    english = list(_cfpb_texts())
    chinese = list(_message_board_texts())
    mixed: list[Text] = []
    for index in range(max(len(english), len(chinese))):
        mixed.extend(texts[index] for texts in (english, chinese) if index < len(texts))
    return mixed


def write_rows(path: Path, texts: Sequence[Text], first: int, count: int,
               departments: dict[str, str], seed: int = 12) -> None:
    """Rows `first` .. `first + count - 1` of the history, as the bench mapping reads them."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number in range(first, first + count):
            writer.writerow(_row(number, texts[number % len(texts)], departments, seed))


def _row(number: int, text: Text, departments: dict[str, str], seed: int) -> list[str]:
    draw = random.Random(seed * 1_000_003 + number)
    span = (LAST_DAY - FIRST_DAY).days
    filed = datetime.combine(FIRST_DAY + timedelta(days=draw.randrange(span)),
                             time(8 + draw.randrange(10), draw.randrange(60)), CITY_TIME)
    assigned = filed + timedelta(hours=draw.randrange(1, 30))
    department = "" if draw.random() < 0.9 else draw.choice(sorted(set(departments.values())))
    outcome, reply, replied, rating, rated = "open", "", "", "", ""
    if draw.random() >= (OPEN_RECENT_SHARE if _recent(filed) else OPEN_OLD_SHARE):
        outcome = _weighted(draw, OUTCOMES)
        replied_at = assigned + timedelta(days=draw.randrange(1, 21), hours=draw.randrange(8))
        reply, replied = f"已答复：{text.subject[:60]}", _stamp(replied_at)
        if draw.random() < RATED_SHARE:
            rating = str(_weighted(draw, SCORES))
            rated = _stamp(replied_at + timedelta(days=draw.randrange(1, 5)))
    return [f"S{number:08d}", _stamp(filed), _stamp(assigned), _weighted(draw, CHANNELS),
            text.category, department, text.subject, text.description, text.place, outcome,
            reply, replied, rating, rated]


RECHECK, REOPEN = "recheck", "reopen"


def later_life(app: Complaints, texts: Sequence[Text], first: int, count: int,
               departments: dict[str, str], *, seed: int = 12, batch: int = 500,
               part: int = 0, parts: int = 1) -> dict[str, int]:
    """Re-checks, rectifications and return visits of the bad reviews among rows `first` ..,
    and reopenings of some closed cases. The rows say which cases live on, so only those are
    loaded; each is taken on by the Case aggregate's own commands at historical times, and
    saved in batches. Returns how many of each.

    With `parts`, only every `parts`-th row from `first + part` is looked at: the processes
    that take the parts 0 .. parts - 1 together give the rows the same life as one would."""
    done = {"rechecked": 0, "upheld": 0, "reopened": 0}
    pending: list[Case] = []
    numbers = range(first + part, first + count, parts)
    for turn, case in _cases(app, _turns(texts, numbers, departments, seed)):
        _live(app, case, turn, done)
        pending.append(case)
        if len(pending) >= batch:
            app.save(*pending)
            pending = []
    if pending:
        app.save(*pending)
    return done


def turns(texts: Sequence[Text], first: int, count: int, departments: dict[str, str], *,
          seed: int = 12) -> dict[str, int]:
    """How many of rows `first` .. are re-checked and how many reopened: what `later_life`
    gives them, in one process or in parts."""
    counted = {RECHECK: 0, REOPEN: 0}
    for turn in _turns(texts, range(first, first + count), departments, seed):
        counted[turn.what] += 1
    return counted


@dataclass(frozen=True)
class Turn:
    """What happens next to the case of one row: a re-check or a reopening."""

    number: int
    what: str
    last: datetime  # the last thing the row says happened
    draw: random.Random


def _turns(texts: Sequence[Text], numbers: range, departments: dict[str, str],
           seed: int) -> Iterator[Turn]:
    for number in numbers:
        row = dict(zip(COLUMNS, _row(number, texts[number % len(texts)], departments, seed),
                       strict=True))
        if row["outcome"] == "open":
            continue
        draw = random.Random(seed * 7_919 + number)
        last = _moment(row["rated"] or row["replied"])
        if row["rating"] in ("1", "2"):
            if draw.random() < RECHECKED_SHARE or not _recent(_moment(row["filed"])):
                yield Turn(number, RECHECK, last, draw)
        elif draw.random() < REOPENED_SHARE:
            yield Turn(number, REOPEN, last, draw)


def _cases(app: Complaints, turns: Iterator[Turn]) -> Iterator[tuple[Turn, Case]]:
    """The imported case of each turn's row, found by the import's claim on the row."""
    while chunk := list(islice(turns, 1000)):
        wanted = {f"{ACTOR}:S{turn.number:08d}": turn for turn in chunk}
        claims = app.intake_records.find_idempotency_claims(list(wanted))
        for key, claim in claims.items():
            yield wanted[key], app.repository.get(UUID(str(claim.case_id)))


def _live(app: Complaints, case: Case, turn: Turn, done: dict[str, int]) -> None:
    draw = turn.draw
    _seal(app, case)
    if turn.what == RECHECK:
        upheld = draw.random() < UPHELD_SHARE
        at = _after(turn.last, draw, 2, 10)
        case.conclude_review(_by(SUPERVISOR, Role.SUPERVISOR, at), upheld,
                             "复核结论：" + ("属实" if upheld else "不属实"),
                             _due(app, case, Stage.RECTIFY, at) if upheld else None)
        done["rechecked"] += 1
        if upheld:
            done["upheld"] += 1
            at = _after(at, draw, 3, 15)
            case.rectify(_by(ACTOR, Role.SYSTEM, at), ["已整改"],
                         _due(app, case, Stage.RETURN_VISIT, at))
            at = _after(at, draw, 1, 5)
            case.follow_up(_by(ACTOR, Role.SYSTEM, at), "phone", draw.random() < 0.8, "回访")
        case.close(_by(ACTOR, Role.SYSTEM, _after(at, draw, 0, 2)))
        return
    at = _after(turn.last, draw, 1, 20)
    case.reopen(_by(SUPERVISOR, Role.SUPERVISOR, at), "投诉人反映问题仍未解决",
                _due(app, case, case.reopening_stage, at))
    at = _after(at, draw, 1, 15)
    case.respond(_by(ACTOR, Role.SYSTEM, at), "resolved", "再次答复：已处理。", [])
    case.close(_by(ACTOR, Role.SYSTEM, _after(at, draw, 1, 5)))
    done["reopened"] += 1


def _recent(filed: datetime) -> bool:
    return filed.date() > LAST_DAY - timedelta(days=RECENT_DAYS)


def _seal(app: Complaints, case: Case) -> None:
    case.sealer = app.case_keys.sealer(case.id) if app.case_keys is not None else None


def _due(app: Complaints, case: Case, stage: Stage, at: datetime):
    return app.deadlines.start(stage, case.category, at)


def _by(actor: str, role: Role, at: datetime) -> Stamp:
    return Stamp(actor, role.value, at)


def _after(moment: datetime, draw: random.Random, low: int, high: int) -> datetime:
    return moment + timedelta(days=draw.randint(low, high), hours=draw.randrange(1, 8))


def _weighted(draw: random.Random, choices: Sequence[tuple[object, int]]):
    values, weights = zip(*choices, strict=True)
    return draw.choices(values, weights)[0]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(CITY_TIME).strftime(STAMP_FORMAT)


def _moment(text: str) -> datetime:
    return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=CITY_TIME)


def _cfpb_texts() -> Iterator[Text]:
    with CFPB_SAMPLE.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            narrative = row["Consumer complaint narrative"].strip()
            issue = row["Issue"].strip()
            described = narrative or f"{row['Product']}: {issue}. {row['Sub-issue']}".strip()
            credit = "credit" in row["Product"].lower() or "report" in issue.lower()
            yield Text(f"{row['Company']}: {issue}"[:200], described[:10_000],
                       f"{row['State']} {row['ZIP code']}".strip(),
                       "credit" if credit else "financing")


# Message-board posts carry no category: a first word of the subject decides, else "other".
_BOARD_CATEGORIES = (("税", "tax"), ("物业", "utilities"), ("电", "utilities"),
                     ("水", "utilities"), ("工资", "talent"), ("拖欠", "talent"),
                     ("执法", "law_enforcement"), ("执照", "business_registration"),
                     ("许可", "licensing"), ("建", "construction_permits"), ("地", "land"),
                     ("贷", "financing"), ("补贴", "policy_benefits"), ("政策", "policy_benefits"),
                     ("办事", "government_services"), ("审批", "government_services"))


def _message_board_texts() -> Iterator[Text]:
    book = openpyxl.load_workbook(MESSAGE_BOARD, read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(cell) for cell in next(rows)]
        subject_at, detail_at = header.index("留言主题"), header.index("留言详情")
        for row in rows:
            subject = str(row[subject_at] or "").strip()
            detail = str(row[detail_at] or "").strip()
            if not subject or not detail:
                continue
            category = next((code for word, code in _BOARD_CATEGORIES if word in subject),
                            "other")
            place = subject.split("区")[0] + "区" if "区" in subject[:8] else ""
            yield Text(subject[:200], detail[:10_000], place, category)
    finally:
        book.close()


