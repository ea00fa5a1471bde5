"""Dispatch suggestions learn from closed cases, and fall back to the routing table, saying so."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sklearn.metrics import f1_score

from complaints.application.routing import RoutingTable
from complaints.intelligence.dispatch import (
    MIN_CASES,
    Example,
    Ranked,
    TooLittleHistoryError,
    train,
)
from complaints.intelligence.suggestions import MODEL, ROUTING_TABLE, Dispatcher
from tests.fixtures.samples import CFPB_SAMPLE

ROUTING = RoutingTable.load()
TAX_WORDS = ["出口退税迟迟未到账", "增值税发票无法开具", "税务检查反复要求补充材料"]
POWER_WORDS = ["工厂用电报装排队三个月", "供电公司拖延接电", "变压器增容收费不合理"]


def closed(n: int, words: list[str], category: str, department: str) -> list[dict]:
    return [{"reference": f"HY-2026-{category}-{i:04d}", "category": category,
             "lead_department": department, "subject": words[i % len(words)],
             "description": f"{words[(i + 1) % len(words)]}，请尽快处理。第{i}号"}
            for i in range(n)]


def history(n: int = 40) -> list[dict]:
    # Filed as "other" and moved by staff: the model learns where they ended, not the filing.
    return closed(n, TAX_WORDS, "tax", "TAX") + closed(n, POWER_WORDS, "utilities", "POWER")


def test_a_model_learns_category_and_final_department_with_top_three(tmp_path):
    dispatcher = Dispatcher(tmp_path, ROUTING)

    report = dispatcher.train(history())
    suggestion = dispatcher.suggest("企业用电报装被拖延", "供电公司说变压器要增容", "other")

    assert report.trained and report.cases == 80
    assert suggestion.source == MODEL
    assert suggestion.categories[0].code == "utilities"
    assert suggestion.departments[0].code == "POWER"
    assert suggestion.categories[0].confidence > suggestion.categories[1].confidence
    assert len(suggestion.categories) <= 3 and suggestion.model["cases"] == 80


def test_too_little_history_falls_back_to_the_routing_table_and_says_why(tmp_path):
    dispatcher = Dispatcher(tmp_path, ROUTING)

    report = dispatcher.train(history(10))
    suggestion = dispatcher.suggest("出口退税", "三个月未到账", "tax")

    assert not report.trained and f"need {MIN_CASES}" in report.message
    assert suggestion.source == ROUTING_TABLE
    assert suggestion.reason == "no model has been trained yet"
    assert suggestion.categories[0] == Ranked("tax", None)
    assert suggestion.departments[0] == Ranked("TAX", None)


def test_the_fallback_ranks_categories_by_the_catalogues_keywords(tmp_path):
    raw = {code: dict(entry) for code, entry in ROUTING.categories.items()}
    raw["utilities"]["keywords"] = ["用电", "供电"]
    routing = replace(ROUTING, categories=raw)

    suggestion = Dispatcher(tmp_path, routing).suggest("用电报装", "供电公司拖延", "tax")

    assert [ranked.code for ranked in suggestion.categories[:2]] == ["utilities", "tax"]
    assert [ranked.code for ranked in suggestion.departments[:2]] == ["HOUSING", "TAX"]


def test_a_model_of_another_catalogue_is_not_used(tmp_path):
    Dispatcher(tmp_path, ROUTING).train(history())
    other = replace(ROUTING, fingerprint="another-catalogue")

    suggestion = Dispatcher(tmp_path, other).suggest("用电", "供电", "utilities")

    assert suggestion.source == ROUTING_TABLE
    assert suggestion.reason == "the model was trained for another catalogue"
    assert Dispatcher(tmp_path, other).due()


def test_a_model_is_due_again_after_a_day(tmp_path):
    dispatcher = Dispatcher(tmp_path, ROUTING)
    assert dispatcher.due()

    dispatcher.train(history())

    assert not dispatcher.due()
    assert dispatcher.due(datetime.now(UTC) + timedelta(days=1, minutes=1))


def test_thin_classes_are_left_out_and_named():
    examples = [Example(row["subject"], row["category"], row["lead_department"])
                for row in history() + closed(3, ["停车难"], "land", "LAND")]

    model = train(examples, ROUTING.fingerprint)

    assert model.left_out == {"category": ["land"], "department": ["LAND"]}
    with pytest.raises(TooLittleHistoryError):
        train(examples[:30], ROUTING.fingerprint)


def test_on_part_of_the_cfpb_sample_the_model_beats_the_majority_class_by_far():
    with CFPB_SAMPLE.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    random.Random(14).shuffle(rows)
    examples = [Example(" ".join((r["Issue"], r["Sub-issue"], r["Company"],
                                  r["Consumer complaint narrative"])), r["Product"], None)
                for r in rows[:1200]]
    learn, held_out = examples[:900], examples[900:]
    model = train([replace(e, department=e.category) for e in learn], "cfpb")

    predicted = [model.rank(e.text, "category", 1)[0].code for e in held_out]
    truth = [e.category for e in held_out]
    majority = max(set(truth), key=[e.category for e in learn].count)

    ours = f1_score(truth, predicted, average="macro", zero_division=0)
    baseline = f1_score(truth, [majority] * len(truth), average="macro", zero_division=0)
    assert ours > baseline + 0.3, (ours, baseline)
