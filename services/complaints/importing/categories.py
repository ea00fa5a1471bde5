"""A mapping's category rules: a column's exact values, or words and patterns in the text.

The rules are tried in their order and the first that matches decides; a row none matches
takes the default. Each rule has a name (its own, or `rule N`), so an import can say how
many rows each one took.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from complaints.importing.toml_reader import MappingError, TomlTable

DEFAULT = "default"  # the name the default goes by in an import's counts
# Where a text rule looks: the source columns the case's subject or description is made of.
TEXTS = ("subject", "description")
RULE_KEYS = ("name", "column", "values", "category", "keywords", "patterns", "in")


@dataclass(frozen=True)
class ValueRule:
    """A category for each of a column's values (compared without surrounding spaces)."""

    name: str
    column: str
    values: Mapping[str, str]

    def match(self, row: Mapping[str, str], texts: Mapping[str, str]) -> str | None:
        return self.values.get(row[self.column].strip())


@dataclass(frozen=True)
class TextRule:
    """One category for a row whose subject or description holds a keyword or a pattern."""

    name: str
    category: str
    patterns: tuple[re.Pattern[str], ...]  # the keywords as one, then each pattern
    where: tuple[str, ...]  # of TEXTS

    def match(self, row: Mapping[str, str], texts: Mapping[str, str]) -> str | None:
        found = any(pattern.search(texts[where])
                    for where in self.where for pattern in self.patterns)
        return self.category if found else None


@dataclass(frozen=True)
class CategoryRules:
    rules: tuple[ValueRule | TextRule, ...]
    default: str | None

    def decide(
        self, row: Mapping[str, str], texts: Mapping[str, str]
    ) -> tuple[str, str] | None:
        """(category, the name of the rule that chose it); None when nothing does."""
        for rule in self.rules:
            found = rule.match(row, texts)
            if found is not None:
                return found, rule.name
        return None if self.default is None else (self.default, DEFAULT)

    def columns(self) -> set[str]:
        return {rule.column for rule in self.rules if isinstance(rule, ValueRule)}

    def names(self) -> list[str]:
        """Every rule's name in order, and the default's when there is one."""
        return [rule.name for rule in self.rules] + ([DEFAULT] if self.default else [])


def category_rules(section: TomlTable, codes: Collection[str]) -> CategoryRules:
    if "rules" not in section and "default" not in section:
        raise MappingError("[category] needs rules, a default, or both")
    rules = tuple(_rule(table, i, codes)
                  for i, table in enumerate(section.tables("rules", RULE_KEYS)))
    names = [rule.name for rule in rules]
    doubled = sorted({name for name in names if names.count(name) > 1 or name == DEFAULT})
    if doubled:
        raise MappingError(f"category.rules name {', '.join(map(repr, doubled))} twice "
                           f"(or as {DEFAULT!r}, the default's name)")
    return CategoryRules(rules, section.choice("default", codes, None))


def _rule(table: TomlTable, index: int, codes: Collection[str]) -> ValueRule | TextRule:
    where = table.path
    name = table.text("name", f"rule {index + 1}")
    if "column" in table or "values" in table:
        stray = sorted(key for key in ("category", "keywords", "patterns", "in") if key in table)
        if stray:
            raise MappingError(f"{where} maps a column's values; {', '.join(stray)} belong to "
                               "a rule on the text")
        values = table.table("values")
        _check_codes(where, values.values(), codes)
        if not values:
            raise MappingError(f"{where}.values maps no value")
        return ValueRule(name, table.text("column"),
                         {str(k).strip(): str(v) for k, v in values.items()})
    category = table.choice("category", codes, None)
    if category is None:
        raise MappingError(f"{where} needs column and values, or category with keywords "
                           "or patterns")
    keywords = table.texts("keywords", (), what="keyword")
    patterns = table.patterns("patterns")
    if not keywords and not patterns:
        raise MappingError(f"{where} needs keywords, patterns, or both")
    words = (re.compile("|".join(map(re.escape, keywords))),) if keywords else ()
    looks_in = table.texts("in", TEXTS, what="text")
    wrong = sorted(set(looks_in) - set(TEXTS))
    if wrong:
        raise MappingError(f"{where}.in names {', '.join(map(repr, wrong))}; "
                           f"known: {', '.join(TEXTS)}")
    return TextRule(name, category, words + patterns, looks_in)


def _check_codes(where: str, given: Collection[str], codes: Collection[str]) -> None:
    wrong = sorted(set(given) - set(codes))
    if wrong:
        raise MappingError(f"{where}.values names unknown category {', '.join(map(repr, wrong))}; "
                           f"known: {', '.join(sorted(codes))}")
