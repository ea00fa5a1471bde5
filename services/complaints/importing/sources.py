"""The rows of a source file as text by column name, streamed: CSV (UTF-8) or XLSX.

Row numbers are the spreadsheet's: the header is row 1, the first data row is row 2 (a CSV
record that spans several lines still counts as one row). Blank rows are passed over.
XLSX cells become the text a CSV export would hold: dates as ISO 8601 (`2023-08-25`, or
`2023-08-25 14:30:00` with a time of day), whole numbers without a decimal point.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

FORMATS = ("csv", "xlsx")


class SourceError(ValueError):
    """The file cannot be read as a table with a header row; the message says why."""


@dataclass(frozen=True)
class SourceRow:
    number: int
    values: dict[str, str]
    # What is wrong with the row's shape (more cells than the header names), if anything.
    problem: str | None = None


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
            yield _source(_csv_cells(text, path))
    else:
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
            raise SourceError(f"{path.name} is not a readable XLSX workbook: {error}") from None
        try:
            sheet = book.worksheets[0]
            yield _source(
                [_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)
            )
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


def _source(cells: Iterator[list[str]]) -> Source:
    cells = iter(cells)
    number = 0
    for header in cells:
        number += 1
        if any(cell.strip() for cell in header):
            break
    else:
        raise SourceError("the file has no header row")
    columns = tuple(cell.strip() for cell in header)
    named = [name for name in columns if name]
    if len(set(named)) != len(named):
        doubled = sorted({name for name in named if named.count(name) > 1})
        raise SourceError(f"the header names a column twice: {', '.join(doubled)}")
    return Source(columns, _rows(columns, cells, number))


def _rows(columns: tuple[str, ...], cells: Iterator[list[str]], number: int) -> Iterator[SourceRow]:
    width = len(columns)
    for row in cells:
        number += 1
        if not any(cell.strip() for cell in row):
            continue
        extra = [cell for cell in row[width:] if cell.strip()]
        values = {name: (row[i] if i < len(row) else "") for i, name in enumerate(columns) if name}
        problem = f"{len(row)} cells where the header names {width}" if extra else None
        yield SourceRow(number, values, problem)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
