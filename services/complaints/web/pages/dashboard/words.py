"""The dashboard's words for case states, deadline stages and scorecard figures, translated,
and its numbers in the reader's locale."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import format_number, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints.domain.values import Stage, Status

STAGES = [stage.value for stage in Stage]

STATE_NAMES = {
    Status.FILED: _l("Filed, not yet accepted"),
    Status.ACCEPTED: _l("Accepted, not yet assigned"),
    Status.REFERRED: _l("Referred elsewhere"),
    Status.ASSIGNED: _l("With a department"),
    Status.AWAITING_INFORMATION: _l("Waiting for the filer"),
    Status.RESPONDED: _l("Replied"),
    Status.CLOSED: _l("Closed"),
}

STAGE_NAMES = {
    Stage.ACCEPT: _l("accept and dispatch"),
    Stage.REPLY: _l("reply"),
    Stage.RECTIFY: _l("rectification"),
    Stage.RETURN_VISIT: _l("return visit"),
}

# The figures the dashboard links to; any other is named by its code.
FIGURE_NAMES = {
    "received": _l("Cases received"),
    "accepted": _l("Accepted or referred"),
    "accepted_on_time": _l("Accepted or referred on time"),
    "replies": _l("Replies"),
    "replied_on_time": _l("Replied on time"),
    "replied_cases": _l("Cases replied"),
    "ratings": _l("Valid ratings"),
    "satisfaction_rate": _l("Satisfied ratings (basic or better)"),
    "rated_bad": _l("Bad reviews"),
    "ratings_invalid": _l("Ratings ruled invalid"),
    "ratings_malicious": _l("Ratings ruled malicious"),
    "breaches": _l("Breaches"),
    "escalations": _l("Escalations"),
    "dispatched": _l("Cases dispatched"),
    "first_dispatch_final": _l("Cases final at first dispatch"),
}


def state_name(state: str) -> str:
    return str(STATE_NAMES.get(Status(state), state))


def stage_name(stage: str | None) -> str:
    if not stage:
        return ""
    try:
        return str(STAGE_NAMES[Stage(stage)])
    except ValueError:
        return stage


def figure_name(code: str) -> str:
    """`breaches_reply` → "Breaches: reply"; a figure without a name here, its code."""
    if code in FIGURE_NAMES:
        return str(FIGURE_NAMES[code])
    kind, _separator, stage = code.partition("_")
    if kind in ("breaches", "escalations") and stage in set(Stage):
        return _("%(figure)s: %(stage)s", figure=FIGURE_NAMES[kind], stage=stage_name(stage))
    return code


def shown(value: int | float | None, percent: bool = False) -> str:
    """A number as the tables show it, in the reader's locale; a dash for none."""
    if value is None:
        return "—"
    # A page shows hundreds of numbers, most of them the same few: each is formatted once
    # per locale (Babel's formatting is most of a long period's page otherwise).
    return _formatted(str(get_locale()), type(value), value, percent)


@lru_cache(maxsize=8192)
def _formatted(locale: str, kind: type, value: int | float, percent: bool) -> str:
    """`shown` in the request's locale, which `locale` names (the cache's key)."""
    return format_percent(value) if percent else format_number(value)


def lag_text(behind: int) -> str:
    # No plural forms: the catalogue check reads singular messages only.
    return _("Recorded changes not yet counted in these figures: %(num)d. They will be within "
             "moments.", num=behind)


def vocabulary() -> dict[str, Any]:
    """What the dashboard's templates use to put numbers and names into words."""
    return {"shown": shown, "lag_text": lag_text, "figure_name": figure_name,
            "stage_name": stage_name, "stages": STAGES}
