"""Historical import: each good row of a file becomes a case with its events at their real times.

Every case is built by the Case aggregate's own commands, so it keeps the same rules and
the same chain of hashes as a case filed today; only the stamps differ: the actor is
`import:<source>`, the role `system`, and `occurred_at` the historical time, while each
event's recorded timestamp is the moment of the import. Cases are saved in batches, each
batch in one transaction together with one claim per row (`import:<source>:<source id>`) in
the Idempotency-Key table, so a row is imported once however often the file is, even when an
earlier run died half way. Building the cases is the import's main cost and all computation:
`huiyin import --workers N` shares it among N processes, while the batches are still written
by the one process, in order, each with its claims and the data keys its cases made.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice
from multiprocessing.pool import Pool
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from complaints.application.intake_records import IdempotencyClaim
from complaints.application.service import Complaints
from complaints.domain.deadline import DueTime
from complaints.domain.errors import DomainError
from complaints.domain.values import Stage
from complaints.importing.history import historical_case
from complaints.importing.mapping import ImportMapping
from complaints.importing.numbering import References, number_by_filing_time, reference_of
from complaints.importing.rows import HistoricalCase, RowRejectedError, read_case, source_id_of
from complaints.importing.sources import SourceRow, open_source
from shared.locale import CITY_TIME
from shared.sealing import WrappedKey

BATCH_SIZE = 500
# Processes building cases for `huiyin import` (see `builders`). One, building them in the
# importing process: forked builders cost ~15 % more CPU in all (pickling, forking) and only
# pay where cores stand idle; on a machine shared with the database and other work they
# were slower when measured (tests/bench/importing.py prints both).
DEFAULT_WORKERS = 1
# A batch refused because another import claimed some of its rows meanwhile is tried again,
# without those rows, at most this many times.
CONCURRENT_RETRIES = 3


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    source_id: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped_existing: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    seconds: float = 0.0
    # The rows each category rule took (by the rule's name, "default" for the default),
    # of those read as cases: imported now or before.
    category_rules: Counter[str] = field(default_factory=Counter)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def import_file(
    app: Complaints,
    path: Path,
    mapping: ImportMapping,
    *,
    format: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import every good row of `path`; report the rows imported, skipped and rejected.

    Raises MappingError, before anything is written, when the file's header lacks a column
    the mapping names, and SourceError when the file cannot be read: at once, or at the row
    where it stops being readable (the batches before it stay imported; a run after the file
    is mended skips them). The file is read twice: first to number the rows to import by
    filing time (`numbering`), then to import them. `workers` processes build the cases
    (see `builders`); the batches are written here, in order, whatever their number.
    """
    if batch_size < 1:
        raise ValueError("the batch size is at least 1")
    report = ImportReport()
    started = time.perf_counter()
    with open_source(path, format) as source:
        mapping.check_header(source.columns)
        references = number_by_filing_time(app, mapping, source.rows, batch_size)
    with open_source(path, format) as source:
        mapping.check_header(source.columns)
        seen: dict[str, int] = {}
        with builders(app, mapping, workers) as build:
            for batch in _batches(source.rows, batch_size):
                report.rows += len(batch)
                cases = _read_batch(app, mapping, batch, seen, report)
                _save_batch(app, mapping, cases, references, report, build)
                report.seconds = time.perf_counter() - started
                if progress is not None:
                    progress(report)
    report.seconds = time.perf_counter() - started
    report.rejected.sort(key=lambda rejected: rejected.row_number)
    return report


def _batches(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _read_batch(
    app: Complaints,
    mapping: ImportMapping,
    batch: list[SourceRow],
    seen: dict[str, int],
    report: ImportReport,
) -> list[HistoricalCase]:
    """The batch's good rows, each a first occurrence of its source id in the file."""
    now = app.clock()
    cases = []
    for row in batch:
        source_id = source_id_of(mapping, row)
        try:
            if source_id and source_id in seen:
                raise RowRejectedError(
                    f"source id {source_id} is also on row {seen[source_id]} of this file"
                )
            if source_id:
                seen[source_id] = row.number
            case = read_case(mapping, app.routing, row, now=now)
            cases.append(case)
            report.category_rules[case.category_rule] += 1
        except RowRejectedError as error:
            report.rejected.append(RejectedRow(row.number, source_id, str(error)))
    return cases


def _save_batch(
    app: Complaints,
    mapping: ImportMapping,
    cases: list[HistoricalCase],
    references: References,
    report: ImportReport,
    build: Builder,
) -> None:
    for _ in range(CONCURRENT_RETRIES + 1):
        cases = _unclaimed(app, mapping, cases, report)
        if not cases:
            return
        items = list(zip(cases, _references(app, cases, references), strict=True))
        stored: list[StoredEvent] = []
        claims: list[IdempotencyClaim] = []
        keys: list[WrappedKey] = []  # each case's new data key, in the batch's transaction
        rejected: list[RejectedRow] = []
        for (case, _reference), built in zip(items, build(items), strict=True):
            if isinstance(built, str):
                rejected.append(RejectedRow(case.row_number, case.source_id, built))
                continue
            stored.extend(built.events)
            claims.append(IdempotencyClaim(mapping.claim_key(case.source_id), built.case_id,
                                           case.digest))
            if built.key is not None:
                keys.append(built.key)
        try:
            # What Application.save does with the built cases' events (the events were
            # turned into stored events where they were built), in the store's fastest way.
            if stored:
                app.intake_records.insert_new_cases(stored, claims, keys)
        except IntegrityError:
            # Another import of the same rows won the race for some claims; look again.
            continue
        report.rejected.extend(rejected)
        report.imported += len(claims)
        return
    raise IntegrityError("the batch kept colliding with another import of the same rows")


@dataclass(frozen=True)
class BuiltCase:
    """A case built from its row, as the store keeps it: its events, the data key it made."""

    case_id: UUID
    events: list[StoredEvent]
    key: WrappedKey | None


# Builds each (case, reference) of a batch, in order: the case, or why it breaks a rule.
Builder = Callable[[list[tuple[HistoricalCase, str]]], list[BuiltCase | str]]


def build_cases(
    app: Complaints, mapping: ImportMapping, items: list[tuple[HistoricalCase, str]]
) -> list[BuiltCase | str]:
    """Each (case, reference) built by the Case aggregate's commands and turned into the
    stored events `Application.save` would write; a DomainError's message for a case that
    breaks a rule."""
    known: dict[tuple[Stage, str, datetime], DueTime] = {}
    results: list[BuiltCase | str] = []
    now = app.clock()
    for case, reference in items:
        try:
            aggregate = historical_case(app, mapping, case, reference, now, known)
        except DomainError as error:
            results.append(error.message)
            continue
        sealer = aggregate.sealer
        results.append(BuiltCase(
            aggregate.id,
            [app.mapper.to_stored_event(event) for event in aggregate.collect_events()],
            sealer.created if sealer is not None else None,
        ))
    return results


@contextmanager
def builders(app: Complaints, mapping: ImportMapping, workers: int) -> Iterator[Builder]:
    """Builds cases here (`workers` 1), or shares each batch among `workers` processes.

    Building is the import's main cost, all of it computation (the aggregate's rules,
    sealing, the chain of hashes, encoding): the processes are forked from this one, so they
    have its application (key ring, routing, calendar), and never touch its store; they hand
    back stored events, which this process writes with the batch's claims and keys.
    """
    if workers <= 1:
        yield partial(build_cases, app, mapping)
        return
    context = multiprocessing.get_context("fork")
    pool: Pool | None = None  # started for the first batch with cases to build

    def build(items: list[tuple[HistoricalCase, str]]) -> list[BuiltCase | str]:
        nonlocal pool
        if pool is None:
            pool = context.Pool(workers, initializer=_start_builder, initargs=(app, mapping))
        size = -(-len(items) // workers)
        chunks = [items[start:start + size] for start in range(0, len(items), size)]
        return [built for part in pool.map(_build_in_worker, chunks) for built in part]

    try:
        yield build
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


_builder: tuple[Complaints, ImportMapping] | None = None


def _start_builder(app: Complaints, mapping: ImportMapping) -> None:
    global _builder
    _builder = (app, mapping)


def _build_in_worker(items: list[tuple[HistoricalCase, str]]) -> list[BuiltCase | str]:
    if _builder is None:
        raise RuntimeError("the import's builder process was not started")
    return build_cases(*_builder, items)


def _unclaimed(
    app: Complaints, mapping: ImportMapping, cases: list[HistoricalCase], report: ImportReport
) -> list[HistoricalCase]:
    """The cases not imported before; the others counted as skipped, or rejected if changed."""
    claimed = app.intake_records.find_idempotency_claims(
        [mapping.claim_key(case.source_id) for case in cases]
    )
    fresh = []
    for case in cases:
        claim = claimed.get(mapping.claim_key(case.source_id))
        if claim is None:
            fresh.append(case)
        elif claim.digest == case.digest:
            report.skipped_existing += 1
        else:
            report.rejected.append(RejectedRow(
                case.row_number, case.source_id,
                "imported before with different content; an import never changes a case",
            ))
    return fresh


def _references(
    app: Complaints, cases: list[HistoricalCase], references: References
) -> Iterator[str]:
    """Each case's reference: the one numbered for it, or (a row the numbering did not see:
    the file changed meanwhile) one reserved now, per filing year."""
    late = Counter(case.filed_at.astimezone(CITY_TIME).year for case in cases
                   if references.planned(case.row_number) is None)
    numbers = {year: iter(app.intake_records.reserve_reference_numbers(year, count))
               for year, count in late.items()}
    for case in cases:
        number = references.planned(case.row_number)
        if number is None:
            number = next(numbers[case.filed_at.astimezone(CITY_TIME).year])
        yield reference_of(case, number)
