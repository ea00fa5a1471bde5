"""References in the order the cases were filed: HY-<filing year>-NNNNNN by filing time.

Before anything is written, an import reads its file once to find the rows it will import
(good ones, first of their source id, not claimed before) and numbers them by filing time,
a row's place in the file breaking ties; each year's numbers are reserved in one go. So
within one run the references follow the filing times, whatever the file's order. A later
run (or one resuming a run that died) numbers only the rows it imports, after every number
taken before: each run is in filing order, two runs are not interleaved.

What is kept per row is two machine integers (its filing time and its number), so a file of
a million rows costs some tens of megabytes here, never its text.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from complaints.application.service import Complaints
from complaints.importing.mapping import ImportMapping
from complaints.importing.rows import HistoricalCase, RowRejectedError, read_case, source_id_of
from complaints.importing.sources import SourceRow
from shared.locale import CITY_TIME

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def reference_of(case: HistoricalCase, number: int) -> str:
    return f"HY-{case.filed_at.astimezone(CITY_TIME).year}-{number:06d}"


class References:
    """The reference number of each row numbered in advance, by its row number."""

    def __init__(self, last_row: int) -> None:
        self._numbers = array("q", bytes(8 * (last_row + 1)))  # 0: not numbered

    def planned(self, row_number: int) -> int | None:
        numbers = self._numbers
        return (numbers[row_number] if row_number < len(numbers) else 0) or None

    def set(self, row_number: int, number: int) -> None:
        self._numbers[row_number] = number


def number_by_filing_time(
    app: Complaints, mapping: ImportMapping, rows: Iterator[SourceRow], chunk: int
) -> References:
    """The references the rows to import will bear (see the module's note)."""
    rows_of = array("q")  # row numbers, in file order
    filed = array("q")  # their filing times, microseconds since the epoch
    years = array("h")
    seen: set[str] = set()
    now = app.clock()
    while part := list(islice(rows, chunk)):
        cases = []
        for row in part:
            source_id = source_id_of(mapping, row)
            if not source_id or source_id in seen:
                continue  # refused in the import itself
            seen.add(source_id)
            try:
                cases.append(read_case(mapping, app.routing, row, now=now))
            except RowRejectedError:
                continue
        claimed = app.intake_records.find_idempotency_claims(
            [mapping.claim_key(case.source_id) for case in cases])
        for case in cases:
            if mapping.claim_key(case.source_id) not in claimed:
                rows_of.append(case.row_number)
                filed.append((case.filed_at - _EPOCH) // _MICROSECOND)
                years.append(case.filed_at.astimezone(CITY_TIME).year)
    references = References(rows_of[-1] if rows_of else 0)
    # A stable sort: rows filed at the same moment keep the file's order.
    order = sorted(range(len(rows_of)), key=filed.__getitem__)
    ranges = {year: iter(app.intake_records.reserve_reference_numbers(year, count))
              for year, count in sorted(Counter(years).items())}
    for index in order:
        references.set(rows_of[index], next(ranges[years[index]]))
    return references

