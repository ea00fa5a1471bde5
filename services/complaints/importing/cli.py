"""`huiyin import FILE --mapping MAPPING`: historical cases from a CSV or XLSX file.

Exit status: 0 when every row was imported or had been before, 1 when some rows were
rejected (the others are imported), 2 when the mapping or the file cannot be used (nothing
was imported), 3 when the import failed part way (the store, say): what was written stays,
and running it again finishes it.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from complaints.application.routing import RoutingTable
from complaints.bootstrap import build_services
from complaints.importing.importer import BATCH_SIZE, DEFAULT_WORKERS, ImportReport, import_file
from complaints.importing.mapping import ImportMapping, MappingError, load_mapping, shipped_mapping
from complaints.importing.sources import FORMATS, SourceError
from complaints.retention.periods import RetentionError, RetentionPeriods
from complaints.settings import Settings
from shared.locale import CITY_TIME

REJECTED = 1
UNUSABLE = 2
FAILED = 3
# A progress line at least this often, on long files.
PROGRESS_ROWS = 5_000
PROGRESS_SECONDS = 3.0
# Rejected rows listed on the terminal; --rejected FILE has them all.
SHOWN_REJECTIONS = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the CSV (UTF-8) or XLSX file")
    parser.add_argument(
        "--mapping", required=True,
        help="the mapping file (TOML), or the name of one shipped with Huiyin, e.g. cfpb-2023",
    )
    parser.add_argument("--format", choices=FORMATS, help="default: from the file's extension")
    parser.add_argument("--batch-size", type=_positive, default=BATCH_SIZE,
                        help=f"cases saved per transaction (default {BATCH_SIZE})")
    parser.add_argument("--workers", type=_positive, default=DEFAULT_WORKERS,
                        help="processes building the cases, worth more than 1 only where "
                        f"cores stand idle (default {DEFAULT_WORKERS}: built in this one)")
    parser.add_argument("--rejected", type=Path, metavar="FILE",
                        help="write the rejected rows, with the reasons, to this CSV file")


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        mapping = _mapping(arguments.mapping, services.routing)
        periods = RetentionPeriods.load(settings.retention_file, services.routing.categories)
        report = import_file(
            services.complaints, arguments.file, mapping, format=arguments.format,
            batch_size=arguments.batch_size, progress=Progress(sys.stderr),
            workers=arguments.workers,
        )
    except (MappingError, SourceError, RetentionError) as error:
        print(f"huiyin import: {error}; nothing was imported", file=sys.stderr)
        return UNUSABLE
    except Exception as error:  # a traceback's exit status would read as "rows rejected"
        print(f"huiyin import: failed: {type(error).__name__}: {error}; the rows saved so far "
              "stay imported, and running the import again finishes it", file=sys.stderr)
        return FAILED
    finally:
        services.close()
    print(summary(report))
    if report.imported:
        print(retention_notice(periods, datetime.now(UTC)))
    _list_rejected(report, sys.stdout, arguments.rejected)
    if arguments.rejected:
        write_rejected(report, arguments.rejected)
    return REJECTED if report.rejected else 0


def summary(report: ImportReport) -> str:
    line = (
        f"huiyin import: {report.rows:,} row(s) in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s): {report.imported:,} imported, "
        f"{report.skipped_existing:,} imported before and skipped, "
        f"{len(report.rejected):,} rejected"
    )
    if report.rejected:
        line += " (those rows were not imported; fix them and run the import again)"
    rules = ", ".join(f"{name} {count:,}" for name, count in report.category_rules.most_common())
    if rules:
        line += f"\ncategory rules (rows each took): {rules}"
    return line


def retention_notice(periods: RetentionPeriods, now: datetime) -> str:
    """What the retention periods will do to imported history: said before it happens."""
    cutoff = periods.default.cutoff(now).astimezone(CITY_TIME).date()
    own = f"; {len(periods.overrides)} categories have periods of their own" if (
        periods.overrides) else ""
    return (
        f"retention: a case closed more than {periods.default} ago (before {cutoff}{own}) "
        "has its filer's personal data erased, subject and description included, by the next "
        "retention run (the watchdog's sweep, or huiyin personal-data retention); "
        "huiyin personal-data retention --dry-run lists them, and HUIYIN_RETENTION_FILE sets "
        "the periods"
    )


def write_rejected(report: ImportReport, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "source_id", "reason"])
        for rejected in report.rejected:
            writer.writerow([rejected.row_number, rejected.source_id, rejected.reason])


class Progress:
    """A line on `out` every PROGRESS_ROWS rows or PROGRESS_SECONDS, whichever comes first."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.next_rows = PROGRESS_ROWS
        self.next_time = time.monotonic() + PROGRESS_SECONDS

    def __call__(self, report: ImportReport) -> None:
        if report.rows < self.next_rows and time.monotonic() < self.next_time:
            return
        self.next_rows = report.rows + PROGRESS_ROWS
        self.next_time = time.monotonic() + PROGRESS_SECONDS
        print(
            f"huiyin import: {report.rows:,} rows, {report.rows_per_second:,.0f} rows/s "
            f"({report.imported:,} imported, {report.skipped_existing:,} skipped, "
            f"{len(report.rejected):,} rejected)",
            file=self.out, flush=True,
        )


def _mapping(given: str, routing: RoutingTable) -> ImportMapping:
    path = Path(given)
    if not path.exists() and path.suffix != ".toml" and (shipped := shipped_mapping(given)):
        path = shipped
    return load_mapping(path, routing)


def _list_rejected(report: ImportReport, out: TextIO, saved_to: Path | None) -> None:
    for rejected in report.rejected[:SHOWN_REJECTIONS]:
        source = f" ({rejected.source_id})" if rejected.source_id else ""
        print(f"rejected row {rejected.row_number}{source}: {rejected.reason}", file=out)
    hidden = len(report.rejected) - SHOWN_REJECTIONS
    if hidden > 0:
        where = f"all of them are in {saved_to}" if saved_to else "--rejected FILE lists all"
        print(f"… and {hidden:,} more rejected row(s); {where}", file=out)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
