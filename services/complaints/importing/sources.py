"""The rows of a source file by column name, streamed: CSV (UTF-8) or XLSX.

Row numbers are the spreadsheet's: the header is row 1, the first data row is row 2 (a CSV
record that spans several lines still counts as one row). Blank rows are passed over.
Every cell is also the text a CSV export would hold (`SourceRow.values`, what a row's digest
is made of): XLSX text cells character for character, their `_xHHHH_` escapes decoded
(`ooxml`); dates as ISO 8601 (`2023-08-25`, or `2023-08-25 14:30:00` with a time of day);
numbers as written, whole ones without a decimal point. A cell Excel types as a date or a
time is also kept as what it is (`SourceRow.moments`): a date with its time of day, a date
alone when its number format shows none, or a time, so no date format has to read it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.styles.numbers import is_datetime
from openpyxl.utils.exceptions import InvalidFileException

from complaints.importing.ooxml import ExactTextReader, decoded

FORMATS = ("csv", "xlsx")


class SourceError(ValueError):
    """The file cannot be read as a table with a header row; the message says why."""


# What an XLSX cell typed as a date or a time holds: a `date` when its format shows no time.
Moment = datetime | date | time


@dataclass(frozen=True)
class SourceRow:
    number: int
    values: dict[str, str]
    # What is wrong with the row's shape (more cells than the header names), if anything.
    problem: str | None = None
    # The cells typed as dates or times, by column (XLSX only).
    moments: dict[str, Moment] = field(default_factory=dict)


@dataclass(frozen=True)
class _Cell:
    text: str
    moment: Moment | None = None


@dataclass(frozen=True)
class Source:
    columns: tuple[str, ...]
    rows: Iterator[SourceRow]


def format_of(path: Path, given: str | None = None) -> str:
    chosen = (given or path.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise SourceError(f"cannot tell the format of {path.name}: give --format csv or xlsx")
    return chosen


@contextmanager
def open_source(path: Path, format: str | None = None) -> Iterator[Source]:
    """The header and a stream of rows of `path`; the file stays open until the block ends."""
    if not path.is_file():
        raise SourceError(f"no such file: {path}")
    if format_of(path, format) == "csv":
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield _source([_Cell(text) for text in row] for row in _csv_cells(text, path))
    else:
        try:
            reader = ExactTextReader(path, read_only=True, data_only=True)
            reader.read()
        except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
            raise SourceError(f"{path.name} is not a readable XLSX workbook: {error}") from None
        book = reader.wb
        try:
            sheet = book.worksheets[0]
            yield _source([_xlsx_cell(cell) for cell in row] for row in sheet.iter_rows())
        finally:
            book.close()


def _csv_cells(text: Any, path: Path) -> Iterator[list[str]]:
    reader = csv.reader(text)
    try:
        yield from reader
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{path.name} is not UTF-8 text (near row {reader.line_num + 1}): {error.reason}"
        ) from None
    except csv.Error as error:
        raise SourceError(f"{path.name} row {reader.line_num}: {error}") from None


def _source(cells: Iterator[list[_Cell]]) -> Source:
    cells = iter(cells)
    number = 0
    for header in cells:
        number += 1
        if any(cell.text.strip() for cell in header):
            break
    else:
        raise SourceError("the file has no header row")
    columns = tuple(cell.text.strip() for cell in header)
    named = [name for name in columns if name]
    if len(set(named)) != len(named):
        doubled = sorted({name for name in named if named.count(name) > 1})
        raise SourceError(f"the header names a column twice: {', '.join(doubled)}")
    return Source(columns, _rows(columns, cells, number))


def _rows(
    columns: tuple[str, ...], cells: Iterator[list[_Cell]], number: int
) -> Iterator[SourceRow]:
    width = len(columns)
    named = [(i, name) for i, name in enumerate(columns) if name]
    for row in cells:
        number += 1
        if not any(cell.text.strip() for cell in row):
            continue
        extra = [cell for cell in row[width:] if cell.text.strip()]
        values = {name: (row[i].text if i < len(row) else "") for i, name in named}
        moments = {name: moment for i, name in named
                   if i < len(row) and (moment := row[i].moment) is not None}
        problem = f"{len(row)} cells where the header names {width}" if extra else None
        yield SourceRow(number, values, problem, moments)


def _xlsx_cell(cell: ReadOnlyCell | EmptyCell) -> _Cell:
    value = cell.value
    if value is None:
        return _Cell("")
    if isinstance(value, str):
        return _Cell(decoded(value))
    if isinstance(value, datetime):
        # The text is what it always was (rows imported before keep their digests).
        text = value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
        shown = is_datetime(cell.number_format)
        return _Cell(text, value.date() if shown == "date" else value)
    if isinstance(value, date | time):
        return _Cell(value.isoformat(), value)
    if isinstance(value, float) and value.is_integer():
        return _Cell(str(int(value)))
    return _Cell(str(value))
