"""XLSX cells read as what they are: text character for character, dates as dates."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from complaints.importing.ooxml import decoded
from complaints.importing.sources import open_source


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("各位领导好_x000D_\n谢谢", "各位领导好\r\n谢谢"),
        ("_x000d_", "\r"),  # hex digits in either case
        ("_x005F_x000D_", "_x000D_"),  # an escaped underscore: the text "_x000D_" itself
        ("a_x005F_b", "a_b"),
        ("_x0009__x000A_", "\t\n"),
        ("_xD83D__xDE00_", "😀"),  # a surrogate pair is one character
        ("_xD83D_", "_xD83D_"),  # half of one is none: kept as written
        ("_x00G0_ _x12_ x000D_", "_x00G0_ _x12_ x000D_"),  # not escapes
        ("  两头有空格  ", "  两头有空格  "),
    ],
)
def test_ooxml_escapes_decode_to_the_characters_they_stand_for(written, meant):
    assert decoded(written) == meant


def write_book(path, *rows, number_formats: dict[str, str] | None = None):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in (number_formats or {}).items():
        sheet[coordinate].number_format = number_format
    book.save(path)
    return path


def test_xlsx_text_cells_keep_every_character_their_escapes_decoded(tmp_path):
    # openpyxl writes text as given: these cells hold the escapes, as Excel would write them.
    path = write_book(
        tmp_path / "text.xlsx",
        ["id", "text"],
        [1, "各位领导好_x000D_\n  您好  "],
        [2, "literal _x005F_x000D_ here"],
        [3, "\n\t\t留言\t\n"],
    )

    with open_source(path) as source:
        texts = [row.values["text"] for row in source.rows]

    assert texts == ["各位领导好\r\n  您好  ", "literal _x000D_ here", "\n\t\t留言\t\n"]


def test_xlsx_date_and_time_cells_are_kept_as_what_they_are(tmp_path):
    path = write_book(
        tmp_path / "dates.xlsx",
        ["id", "at"],
        [1, datetime(2019, 11, 13, 11, 20, 21)],
        [2, datetime(2019, 8, 1)],  # a date and time at midnight
        [3, datetime(2019, 8, 2)],  # a date alone: its format shows no time
        [4, time(11, 20)],
        [5, "2019/2/28 11:25:05"],
        number_formats={"B3": "yyyy-mm-dd hh:mm:ss", "B4": "yyyy/m/d"},
    )

    with open_source(path) as source:
        rows = list(source.rows)

    assert [row.moments.get("at") for row in rows] == [
        datetime(2019, 11, 13, 11, 20, 21), datetime(2019, 8, 1), date(2019, 8, 2),
        time(11, 20), None,
    ]
    # The text is what it always was, so the digests of rows imported before stay the same.
    assert [row.values["at"] for row in rows] == [
        "2019-11-13 11:20:21", "2019-08-01", "2019-08-02", "11:20:00", "2019/2/28 11:25:05"]
