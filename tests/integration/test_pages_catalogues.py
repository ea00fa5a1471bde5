"""The pages' message catalogues: every string translated, and the committed .mo files current."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "services" / "complaints" / "web"
CATALOGUES = ROOT / "services" / "complaints" / "translations"
TRANSLATED = ["zh", "ru"]  # English is the source language: its msgstr may stay empty
LANGUAGES = ["zh", "en", "ru"]
HOW_TO_FIX = "run `make translations`, translate the new entries in the .po, run it again"


def catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def singular(message_id) -> str:
    """A message's id as the pages write it: a plural entry's (singular, plural) by its
    singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def plain(value):
    """A plural entry's ids or strings as a tuple, so that either catalogue compares alike."""
    return value if isinstance(value, str) else tuple(value)


def translated(string) -> bool:
    return all(plain(string)) if not isinstance(string, str) else bool(string)


def extracted_strings() -> set[str]:
    """What `make translations` extracts, read with the same babel.cfg."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCES), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def page_strings() -> set[str]:
    return extracted_strings()


def test_the_pages_have_strings_to_translate(page_strings):
    assert {"File a complaint", "Staff sign-in", "Page not found"} <= page_strings


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_pages_is_in_each_catalogue(language, page_strings):
    missing = page_strings - {singular(message.id) for message in catalogue(language)
                              if message.id}
    assert not missing, f"{language}: {sorted(missing)} are not in the catalogue; {HOW_TO_FIX}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_into_chinese_and_russian(language, page_strings):
    untranslated = sorted(
        singular(message.id) for message in catalogue(language)
        if message.id and singular(message.id) in page_strings
        and (not translated(message.string) or message.fuzzy)
    )
    assert not untranslated, f"{language}: translate {untranslated}; {HOW_TO_FIX}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language):
    problems = [(message.id, [str(error) for error in errors])
                for message, errors in catalogue(language).check()]
    assert not problems, problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_says_what_its_po_file_says(language):
    """The .mo files are committed (a plain `pip install .` compiles nothing)."""
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        # An untranslated plural entry is compiled with its ids as its strings.
        compiled = {plain(message.id): plain(message.string) for message in read_mo(mo)
                    if message.id and not (isinstance(message.id, tuple | list)
                                           and plain(message.string) == plain(message.id))}
    written = {plain(message.id): plain(message.string) for message in catalogue(language)
               if message.id and translated(message.string) and not message.fuzzy}
    assert compiled == written, f"{language}: messages.mo is stale; {HOW_TO_FIX}"
