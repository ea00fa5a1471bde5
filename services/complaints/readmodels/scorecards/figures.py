"""The figures of a department scorecard, each counted from the case facts behind it.

Every count is a list of entries (a case, with the round or stage it counts for), so a
figure and the cases behind it are one computation and cannot disagree. Rates and times
are computed from those lists. See `complaints.readmodels.scorecards` for the definitions.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from complaints.domain.values import OUTCOME_NOT_RECORDED, Channel, Outcome
from complaints.readmodels.scorecards.facts import (
    ACCEPT,
    RECTIFY,
    REPLY,
    RETURN_VISIT,
    STAGES,
    CaseFacts,
)
from shared.locale import CITY_TIME

GOOD_MIN, BAD_MAX = 4, 2
VALID_RATINGS = ("rated_good", "rated_neutral", "rated_bad")

# The cases received, broken down: how they came in, how their reply ended, and how many are
# still open. Each a count like any other, with the cases behind it. What they were about,
# `received_in_<category>`, follows the catalogue in force (`figure_codes`).
CATEGORY_BREAKDOWN = "received_in_"
VIA_CHANNELS = tuple(f"received_via_{channel.value}" for channel in Channel)
BREAKDOWNS = (
    "open_cases",
    *VIA_CHANNELS,
    *(f"outcome_{outcome.value}" for outcome in Outcome),
    # Imported history whose source keeps no outcome: neither substantiated nor not.
    f"outcome_{OUTCOME_NOT_RECORDED}",
)

COUNTS = (
    "received",
    "accepted",
    "accepted_on_time",
    "accepted_time_not_recorded",
    "replies",
    "replied_on_time",
    "replies_time_not_recorded",
    "replied_cases",
    "ratings",
    "rated_good",
    "rated_neutral",
    "rated_bad",
    "ratings_invalid",
    "ratings_malicious",
    "bad_reviews_upheld",
    "rectified",
    "rectified_on_time",
    "return_visits",
    "reopened_cases",
    "dispatched",
    "first_dispatch_final",
    "answered_at_first_contact",
    "breaches",
    *(f"breaches_{stage}" for stage in STAGES),
    "escalations",
    *(f"escalations_{stage}" for stage in STAGES),
    *BREAKDOWNS,
)
# rate: (numerator counts, denominator count)
RATES = {
    "accepted_on_time_rate": (("accepted_on_time",), "accepted"),
    "replied_on_time_rate": (("replied_on_time",), "replies"),
    "satisfaction_rate": (("rated_good", "rated_neutral"), "ratings"),
    "rectified_on_time_rate": (("rectified_on_time",), "rectified"),
    "return_visit_rate": (("return_visits",), "rectified"),
    "reopen_rate": (("reopened_cases",), "replied_cases"),
    "first_dispatch_accuracy": (("first_dispatch_final",), "dispatched"),
    "answered_at_first_contact_rate": (("answered_at_first_contact",), "received"),
}
# From the start of the reply stage to the reply, over the timed replies: in working days
# (the day after the start up to the reply's day, on the official calendar with its make-up
# days), and in calendar days counted the same way.
WORKING_DAYS, CALENDAR_DAYS = "working_days", "calendar_days"
TIMES = {
    "time_to_reply_median": WORKING_DAYS,
    "time_to_reply_p90": WORKING_DAYS,
    "time_to_reply_calendar_median": CALENDAR_DAYS,
    "time_to_reply_calendar_p90": CALENDAR_DAYS,
}
TIMED_REPLIES = "timed_replies"
FIGURES = (*COUNTS, *RATES, *TIMES)  # every catalogue's; `figure_codes` adds the categories'


@dataclass(frozen=True)
class FigureCodes:
    """The figures of a scorecard under one catalogue: every catalogue's, with the cases
    received in each of its categories after those received through each channel."""

    counts: tuple[str, ...]
    figures: tuple[str, ...]

    def __contains__(self, code: object) -> bool:
        return code in self.figures


@lru_cache(maxsize=8)
def figure_codes(categories: tuple[str, ...]) -> FigureCodes:
    at = COUNTS.index(VIA_CHANNELS[-1]) + 1
    counts = (*COUNTS[:at], *(CATEGORY_BREAKDOWN + name for name in categories), *COUNTS[at:])
    return FigureCodes(counts, (*counts, *RATES, *TIMES))


def is_count(code: str) -> bool:
    """Whether a figure is a count (every catalogue's, or a category's), not a rate or time."""
    return code in _COUNTED or code.startswith(CATEGORY_BREAKDOWN)


# How the figures are counted, for whoever reads them (the API's description says it).
CONVENTIONS = (
    "A period is the cases received (filed) in it, from its first day to its last, both "
    "included, in Asia/Shanghai; every later step of those cases counts, whenever it happened. "
    "A case counts for the department that led it last. Time to reply is counted for each "
    "round's first reply, from the start of its reply stage (the last assignment or transfer) "
    "to the reply: in working days, the working days after the start's day up to and including "
    "the reply's day, on the official calendar (State Council holidays and make-up working "
    "days; weekends and holidays of years without an official schedule by rule), so a reply on "
    "the day of assignment takes 0; and in calendar days counted the same way. The median is "
    "the middle value (the mean of the two middle ones); the 90th percentile is by nearest "
    "rank, the smallest value that at least 90 % of the replies reach. First-dispatch accuracy "
    "is the share of the cases ever assigned (dispatched) whose first assignment was final: "
    "never transferred afterwards, onward or back to intake; per department, of the cases it "
    "led last. The answered-at-first-contact rate is the share of the cases received that "
    "intake answered on the spot from the knowledge base. Rates are fractions of their "
    "denominator, null when it is 0."
)
RATE_DIGITS = 4


class WorkingDays(Protocol):
    def working_days_between(self, start, end) -> int: ...


@dataclass(frozen=True)
class Entry:
    """One thing a figure counts: a case, and the round and stage it counts for."""

    reference: str
    case_id: str
    round: int | None = None
    stage: str | None = None


class Tally:
    """The entries of every count over some cases, and the working days of each reply."""

    def __init__(self, calendar: WorkingDays) -> None:
        self.calendar = calendar
        # Every count's, and those of the categories the cases are in.
        self.entries: defaultdict[str, list[Entry]] = defaultdict(list)
        self.reply_days: list[int] = []
        self.reply_calendar_days: list[int] = []

    def add_all(self, cases: Iterable[CaseFacts]) -> Tally:
        for facts in cases:
            self.add(facts)
        return self

    def add(self, facts: CaseFacts) -> None:
        def count(name: str, number: int | None = None, stage: str | None = None) -> None:
            self.count(facts, name, number, stage)

        count("received")
        for breakdown in (
            f"received_via_{facts.channel}",
            f"{CATEGORY_BREAKDOWN}{facts.category}",
            f"outcome_{facts.outcome}" if facts.outcome else None,
            None if facts.closed else "open_cases",
        ):
            if breakdown is not None and is_count(breakdown):
                count(breakdown)
        for run in facts.runs:
            if not run.done:
                continue
            count(_DONE_FIGURES[run.stage], run.round)
            if not facts.time_recorded(run):
                if run.stage in _NOT_TIMED_FIGURES:
                    count(_NOT_TIMED_FIGURES[run.stage], run.round)
                continue
            if run.stage in _ON_TIME_FIGURES and run.on_time:
                count(_ON_TIME_FIGURES[run.stage], run.round)
            if run.stage == REPLY and run.ended_at is not None:
                self.reply_days.append(
                    self.calendar.working_days_between(run.started_at, run.ended_at))
                self.reply_calendar_days.append(calendar_days_between(run.started_at,
                                                                      run.ended_at))
                count(TIMED_REPLIES, run.round)
        if facts.at_first_contact:
            count("answered_at_first_contact")
        if facts.dispatched:
            count("dispatched")
            if not facts.transferred:
                count("first_dispatch_final")
        if facts.replied_rounds:
            count("replied_cases")
            if facts.reopened_after_reply:
                count("reopened_cases")
        for number, review in sorted(facts.reviews.items()):
            if review.score is not None:
                figure = _rating_figure(review.score, review.invalidated)
                count(figure, number)
                if figure in VALID_RATINGS:
                    count("ratings", number)
            if review.upheld:
                count("bad_reviews_upheld", number)
        for kind, happened in (("breaches", facts.breaches), ("escalations", facts.escalations)):
            for stage, number in happened:
                count(kind, number, stage)
                if stage in STAGES:
                    count(f"{kind}_{stage}", number, stage)

    def count(self, facts: CaseFacts, name: str, number: int | None, stage: str | None) -> None:
        """One entry of a count (a subclass may only count them)."""
        self.entries[name].append(Entry(facts.reference, facts.case_id, number, stage))

    def merge(self, other: Tally) -> Tally:
        """Add another tally's entries (of other cases) to this one."""
        for name, entries in other.entries.items():
            self.entries[name].extend(entries)
        self.reply_days.extend(other.reply_days)
        self.reply_calendar_days.extend(other.reply_calendar_days)
        return self

    def figures(self) -> dict[str, int | float | None]:
        values = figures_of({name: len(entries) for name, entries in self.entries.items()},
                            {}, {})
        for prefix, days in (("time_to_reply", self.reply_days),
                             ("time_to_reply_calendar", self.reply_calendar_days)):
            values[f"{prefix}_median"] = median(days)
            values[f"{prefix}_p90"] = percentile(days, 90)
        return values

    def behind(self, figure: str) -> list[Entry]:
        """The entries behind a figure: its own for a count, its numerator's for a rate,
        the timed replies for a time."""
        if is_count(figure):
            return list(self.entries[figure])
        if figure in RATES:
            numerators, _ = RATES[figure]
            return [entry for name in numerators for entry in self.entries[name]]
        if figure in TIMES:
            return list(self.entries[TIMED_REPLIES])
        raise KeyError(figure)


_COUNTED = frozenset(COUNTS)
_DONE_FIGURES = {ACCEPT: "accepted", REPLY: "replies", RECTIFY: "rectified",
                 RETURN_VISIT: "return_visits"}
_ON_TIME_FIGURES = {ACCEPT: "accepted_on_time", REPLY: "replied_on_time",
                    RECTIFY: "rectified_on_time"}
_NOT_TIMED_FIGURES = {ACCEPT: "accepted_time_not_recorded", REPLY: "replies_time_not_recorded"}
# A done figure → the part of it whose time is not recorded.
_NOT_TIMED = {_DONE_FIGURES[stage]: figure for stage, figure in _NOT_TIMED_FIGURES.items()}


def _rating_figure(score: int, invalidated: str | None) -> str:
    if invalidated is not None:
        return "ratings_malicious" if invalidated == "malicious" else "ratings_invalid"
    if score >= GOOD_MIN:
        return "rated_good"
    return "rated_bad" if score <= BAD_MAX else "rated_neutral"


def figures_of(
    counts: Mapping[str, int], reply_days: Mapping[int, int],
    reply_calendar_days: Mapping[int, int],
) -> dict[str, int | float | None]:
    """The figures from summed counts and histograms of reply times (working days → replies,
    calendar days → replies): the same values `Tally.figures` gives for the cases summed.
    The cases received in a category count under the categories they are in."""
    values = _with_rates({
        **{name: counts.get(name, 0) for name in COUNTS},
        **{name: number for name, number in counts.items()
           if name.startswith(CATEGORY_BREAKDOWN) and number},
    })
    for prefix, days in (("time_to_reply", reply_days),
                         ("time_to_reply_calendar", reply_calendar_days)):
        values[f"{prefix}_median"] = histogram_median(days)
        values[f"{prefix}_p90"] = histogram_percentile(days, 90)
    return values


def calendar_days_between(start: datetime, end: datetime) -> int:
    """Calendar days from `start` to `end` as working days are counted: days d with the
    start's city day < d <= the end's (0 within one day; negative when the end comes first)."""
    return (end.astimezone(CITY_TIME).date() - start.astimezone(CITY_TIME).date()).days


def _with_rates(counts: dict[str, int]) -> dict[str, int | float | None]:
    values: dict[str, int | float | None] = dict(counts)
    for name, (numerators, denominator) in RATES.items():
        total = counts[denominator] - counts.get(_NOT_TIMED.get(denominator, ""), 0)
        part = sum(counts[numerator] for numerator in numerators)
        values[name] = round(part / total, RATE_DIGITS) if total else None
    return values


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile(values: list[int], p: int) -> float | None:
    """The nearest-rank percentile: the smallest value at least p% of the values reach."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)])


def histogram_median(histogram: Mapping[int, int]) -> float | None:
    """`median` of the values a histogram (value → how many) holds: the middle value, or the
    mean of the two middle ones as `statistics.median` takes it."""
    size = sum(histogram.values())
    if not size:
        return None
    if size % 2:
        return float(_nth(histogram, size // 2))
    return float((_nth(histogram, size // 2 - 1) + _nth(histogram, size // 2)) / 2)


def histogram_percentile(histogram: Mapping[int, int], p: int) -> float | None:
    """`percentile` of the values a histogram holds."""
    size = sum(histogram.values())
    if not size:
        return None
    return float(_nth(histogram, max(0, math.ceil(p / 100 * size) - 1)))


def _nth(histogram: Mapping[int, int], index: int) -> int:
    """The value at `index` (from 0) of the histogram's values in ascending order."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if index < seen:
            return value
    raise IndexError(index)
