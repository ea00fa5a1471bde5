"""Dispatch suggestions as the intake desk and the case page show them, in the reader's words."""

from __future__ import annotations

from typing import Any

from flask_babel import format_percent
from flask_babel import lazy_gettext as _l

from complaints.intelligence.suggestions import (
    MODEL,
    NO_MODEL,
    OTHER_CATALOGUE,
    UNREADABLE,
    Suggestion,
)
from complaints.web.pages.labels import category_name, department_name
from complaints.web.runtime import dispatcher, runtime


def suggestion_shown(subject: str, description: str, category: str) -> dict[str, Any]:
    """Names and confidences (a locale's percent) of a suggestion, and where it came from."""
    suggestion = dispatcher().suggest(subject, description, category)
    return _shown(suggestion)


def suggestions_for(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The suggestion for each listed case (rows of the case index), in their order."""
    texts = runtime().case_index.recorder.texts([row["reference"] for row in rows])
    return [suggestion_shown(*texts.get(row["reference"], ("", "")), row["category"])
            for row in rows]


def _shown(suggestion: Suggestion) -> dict[str, Any]:
    def confidence(value: float | None) -> str:
        return "" if value is None else format_percent(value)

    return {
        "learned": suggestion.source == MODEL,
        "reason": _REASONS.get(suggestion.reason, suggestion.reason),
        "cases": (suggestion.model or {}).get("cases"),
        "categories": [(category_name(r.code), confidence(r.confidence))
                       for r in suggestion.categories],
        "departments": [(department_name(r.code), confidence(r.confidence))
                        for r in suggestion.departments],
    }


_REASONS = {
    NO_MODEL: _l("too little history has been learned yet"),
    OTHER_CATALOGUE: _l("the model was learned for another catalogue"),
    UNREADABLE: _l("the model file cannot be read"),
}
