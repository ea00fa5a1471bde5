"""Dispatch suggestions for a case at acceptance: the category and lead department, top three.

From the model learned on the city's closed cases when there is one for the catalogue in
force; otherwise from the routing table, and the suggestion says so and why: the catalogue's
keyword rules rank the categories (hits of each category's keywords in the case's words),
the category the filer chose first among equals, and each category's lead from the table.
A suggestion is never applied: intake confirms it.

The model lives in the data directory (`dispatch-model.joblib`, beside it its metadata in
`dispatch-model.json`), written whole and then renamed into place, so a process reading it
never sees half a file; each process reloads it when the file changes. joblib unpickles the
file, so it must stay a file only this installation writes (its data directory).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from complaints.application.routing import RoutingTable
from complaints.intelligence.dispatch import (
    CATEGORY,
    DEPARTMENT,
    TOP,
    DispatchModel,
    Example,
    Ranked,
    TooLittleHistoryError,
    train,
    words_of,
)
from complaints.intelligence.text import terms

log = logging.getLogger(__name__)

MODEL_FILE, METADATA_FILE = "dispatch-model.joblib", "dispatch-model.json"
RETRAIN_EVERY = timedelta(days=1)
MODEL, ROUTING_TABLE = "model", "routing_table"
# Why the routing table answered.
NO_MODEL = "no model has been trained yet"
OTHER_CATALOGUE = "the model was trained for another catalogue"
UNREADABLE = "the model file cannot be read"


@dataclass(frozen=True)
class Suggestion:
    source: str  # MODEL or ROUTING_TABLE
    categories: list[Ranked]  # likeliest first; no confidence from the routing table
    departments: list[Ranked]
    reason: str = ""  # why the routing table answered
    model: dict[str, Any] | None = None  # the model's metadata, when it answered


@dataclass(frozen=True)
class TrainingReport:
    trained: bool
    cases: int
    message: str


class Dispatcher:
    """The suggestions of one installation: its model file and its routing table."""

    def __init__(self, data_dir: Path, routing: RoutingTable) -> None:
        self.path = data_dir / MODEL_FILE
        self.metadata_path = data_dir / METADATA_FILE
        self.routing = routing
        self._lock = threading.Lock()
        self._loaded: tuple[float, DispatchModel | None, str] | None = None
        self._postponed_until: datetime | None = None

    def suggest(self, subject: str, description: str, category: str) -> Suggestion:
        text = words_of(subject, description)
        model, why = self.model()
        if model is None:
            return self._from_routing(text, category, why)
        return Suggestion(MODEL, model.rank(text, CATEGORY), model.rank(text, DEPARTMENT),
                          model=model.metadata)

    def model(self) -> tuple[DispatchModel | None, str]:
        """The model for the catalogue in force, or None and why not."""
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError:
            return None, NO_MODEL
        with self._lock:
            if self._loaded is None or self._loaded[0] != stamp:
                self._loaded = (stamp, *self._read())
            return self._loaded[1], self._loaded[2]

    def _read(self) -> tuple[DispatchModel | None, str]:
        import joblib  # imported where a model is read or written, as scikit-learn is

        try:
            model = joblib.load(self.path)
        except Exception as error:  # any unreadable file (unpickling raises anything): no model
            log.warning("dispatch: cannot read %s (%s)", self.path, error)
            return None, UNREADABLE
        if not isinstance(model, DispatchModel) or model.catalogue != self.routing.fingerprint:
            return None, OTHER_CATALOGUE
        return model, ""

    def _from_routing(self, text: str, category: str, why: str) -> Suggestion:
        categories = keyword_ranking(self.routing, text, category)[:TOP]
        departments = list(dict.fromkeys(self.routing.propose(code).lead for code in categories))
        return Suggestion(ROUTING_TABLE, [Ranked(code, None) for code in categories],
                          [Ranked(code, None) for code in departments], reason=why)

    # -- learning ------------------------------------------------------------------------------

    def train(self, rows: Iterable[dict[str, Any]]) -> TrainingReport:
        """Learn from closed cases (case index rows) of the catalogue's categories, and put
        the model in place; too little history leaves any earlier model where it is."""
        examples = [Example(words_of(row["subject"], row["description"]), row["category"],
                            row["lead_department"])
                    for row in rows if row["category"] in self.routing.categories]
        try:
            model = train(examples, self.routing.fingerprint)
        except TooLittleHistoryError as error:
            return TrainingReport(False, len(examples), str(error))
        self._write(model)
        left = {target: codes for target, codes in model.left_out.items() if codes}
        note = f"; too few cases to learn: {left}" if left else ""
        return TrainingReport(True, len(examples),
                              f"learned from {len(examples)} closed case(s){note}")

    def due(self, now: datetime | None = None) -> bool:
        """Whether to train again: no model for this catalogue, or one a day old."""
        now = now or datetime.now(UTC)
        if self._postponed_until and now < self._postponed_until:
            return False
        try:
            metadata = json.loads(self.metadata_path.read_text("utf-8"))
            trained_at = datetime.fromisoformat(metadata["trained_at"])
        except (OSError, ValueError, KeyError):
            return True
        if metadata.get("catalogue") != self.routing.fingerprint:
            return True
        return now - trained_at >= RETRAIN_EVERY

    def postpone(self) -> None:
        """Try again a day from now (after too little history), whatever `due` says."""
        self._postponed_until = datetime.now(UTC) + RETRAIN_EVERY

    def _write(self, model: DispatchModel) -> None:
        import joblib

        self.path.parent.mkdir(parents=True, exist_ok=True)
        for target, write in ((self.path, lambda p: joblib.dump(model, p)),
                              (self.metadata_path, lambda p: p.write_text(
                                  json.dumps(model.metadata, ensure_ascii=False), "utf-8"))):
            partial = target.with_name(f".{target.name}.{os.getpid()}")
            write(partial)
            os.replace(partial, target)


def keyword_ranking(routing: RoutingTable, text: str, chosen: str) -> list[str]:
    """The catalogue's categories by hits of their keywords in the text (the fallback's rule);
    the filer's chosen category first among equals, then the catalogue's order."""
    order = list(routing.categories)
    if not any(routing.keywords(code) for code in order):  # nothing to match: no jieba load
        return sorted(order, key=lambda code: (code != chosen, order.index(code)))
    words = set(terms(text))
    lowered = text.casefold()

    def hits(code: str) -> int:
        return sum(1 for word in routing.keywords(code)
                   if word.casefold() in words or word.casefold() in lowered)

    return sorted(order, key=lambda code: (-hits(code), code != chosen, order.index(code)))
