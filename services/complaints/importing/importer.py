"""Historical import: each good row of a file becomes a case with its events at their real times.

Every case is built by the Case aggregate's own commands, so it keeps the same rules and
the same chain of hashes as a case filed today; only the stamps differ: the actor is
`import:<source>`, the role `system`, and `occurred_at` the historical time, while each
event's recorded timestamp is the moment of the import. Cases are saved in batches, each
batch in one transaction together with one claim per row (`import:<source>:<source id>`) in
the Idempotency-Key table, so a row is imported once however often the file is, even when an
earlier run died half way.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from eventsourcing.persistence import IntegrityError

from complaints.application.access_codes import derive_access_code, hash_access_code
from complaints.application.intake_records import IdempotencyClaim
from complaints.application.service import Complaints
from complaints.domain.case import Case, case_id_for
from complaints.domain.deadline import DueTime
from complaints.domain.errors import DomainError
from complaints.domain.filer import Filer
from complaints.domain.values import STAFF_CHANNELS, Role, Stage, Stamp
from complaints.importing.mapping import ImportMapping
from complaints.importing.rows import HistoricalCase, RowRejectedError, read_case, source_id_of
from complaints.importing.sources import SourceRow, open_source
from shared.locale import CITY_TIME

BATCH_SIZE = 500
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

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class DueTimes:
    accept: DueTime  # recorded by Filed
    reply: DueTime  # recorded by Assigned


def import_file(
    app: Complaints,
    path: Path,
    mapping: ImportMapping,
    *,
    format: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every good row of `path`; report the rows imported, skipped and rejected.

    Raises MappingError, before anything is written, when the file's header lacks a column
    the mapping names, and SourceError when the file cannot be read: at once, or at the row
    where it stops being readable (the batches before it stay imported; a run after the file
    is mended skips them).
    """
    if batch_size < 1:
        raise ValueError("the batch size is at least 1")
    report = ImportReport()
    started = time.perf_counter()
    with open_source(path, format) as source:
        mapping.check_header(source.columns)
        seen: dict[str, int] = {}
        for batch in _batches(source.rows, batch_size):
            report.rows += len(batch)
            cases = _read_batch(app, mapping, batch, seen, report)
            _save_batch(app, mapping, cases, report)
            report.seconds = time.perf_counter() - started
            if progress is not None:
                progress(report)
    report.seconds = time.perf_counter() - started
    report.rejected.sort(key=lambda rejected: rejected.row_number)
    return report


def due_times(app: Complaints, case: HistoricalCase) -> DueTimes:
    """The due times an imported case records: the one place the import computes them."""
    return DueTimes(
        accept=app.deadlines.start(Stage.ACCEPT, case.category, case.filed_at),
        reply=app.deadlines.start(Stage.REPLY, case.category, case.assigned_at),
    )


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
            cases.append(read_case(mapping, app.routing, row, now=now))
        except RowRejectedError as error:
            report.rejected.append(RejectedRow(row.number, source_id, str(error)))
    return cases


def _save_batch(
    app: Complaints, mapping: ImportMapping, cases: list[HistoricalCase], report: ImportReport
) -> None:
    for _ in range(CONCURRENT_RETRIES + 1):
        cases = _unclaimed(app, mapping, cases, report)
        if not cases:
            return
        built, claims = _build(app, mapping, cases, report)
        try:
            app.save(*built, claims=claims)
        except IntegrityError:
            # Another import of the same rows won the race for some claims; look again.
            continue
        report.imported += len(built)
        return
    raise IntegrityError("the batch kept colliding with another import of the same rows")


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


def _build(
    app: Complaints, mapping: ImportMapping, cases: list[HistoricalCase], report: ImportReport
) -> tuple[list[Case], list[IdempotencyClaim]]:
    built: list[Case] = []
    claims: list[IdempotencyClaim] = []
    for case, reference in zip(cases, _references(app, cases), strict=True):
        try:
            aggregate = _historical_case(app, mapping, case, reference)
        except DomainError as error:
            report.rejected.append(RejectedRow(case.row_number, case.source_id, error.message))
            continue
        built.append(aggregate)
        claims.append(IdempotencyClaim(mapping.claim_key(case.source_id), aggregate.id,
                                       case.digest))
    return built, claims


def _references(app: Complaints, cases: Iterable[HistoricalCase]) -> Iterator[str]:
    """HY-<filing year>-NNNNNN, numbers reserved once per year per batch, in row order."""
    years = [case.filed_at.astimezone(CITY_TIME).year for case in cases]
    numbers = {
        year: iter(app.intake_records.reserve_reference_numbers(year, count))
        for year, count in Counter(years).items()
    }
    for year in years:
        yield f"HY-{year}-{next(numbers[year]):06d}"


def _historical_case(
    app: Complaints, mapping: ImportMapping, case: HistoricalCase, reference: str
) -> Case:
    """Filed → Accepted → Assigned, and for a closed one Responded (→ Rated) → Closed."""

    def at(moment: datetime) -> Stamp:
        return Stamp(mapping.actor_id, Role.SYSTEM.value, moment)

    route = app.routing.propose(case.category)
    lead = case.department or route.lead
    due = due_times(app, case)
    aggregate = Case.file(
        at(case.filed_at),
        reference,
        # The filer is an anonymous member of the public; the source keeps no contact.
        Filer(language=mapping.language),
        due.accept,
        channel=case.channel,
        on_behalf_of=case.channel in STAFF_CHANNELS,
        category=case.category,
        subject=case.subject,
        description=case.description,
        happened_on=None,
        happened_at_place=case.place,
        attachments=[],
        confidential=False,
        anonymous=True,
        access_code_hash=hash_access_code(derive_access_code(app.secret_key,
                                                             case_id_for(reference))),
        submission_digest=case.digest,
    )
    # The source says when the case was sent on, not when it was accepted: by then, at least.
    aggregate.accept(at(case.assigned_at), lead=route.lead, co=list(route.co))
    aggregate.assign(at(case.assigned_at), lead, [code for code in route.co if code != lead],
                     due.reply)
    if case.outcome is None:
        return aggregate
    aggregate.respond(at(case.reply_at), case.outcome, case.reply_text, [])
    closed_at = case.reply_at
    if case.rating is not None and case.rating_at is not None:
        aggregate.rate(at(case.rating_at), case.rating, case.rating_comment, case.channel)
        closed_at = case.rating_at
    # A bad review keeps the case open for its re-check, as it would today.
    if aggregate.review.blocker is None:
        aggregate.close(at(closed_at))
    return aggregate
