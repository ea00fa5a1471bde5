"""Historical import speed: 10,000 CFPB-like rows, against a bare save of the same events.

The baseline is the eventsourcing library's own `Application.save` writing, on the same
store and in batches of the same size, as many aggregates and events as the import writes
(5 per closed case, 3 per open one), carrying the same description text. So the ratio is
what the import's own work costs on top of the store's write floor: reading and checking
the rows, the Case aggregate's rules and chain of hashes, references and idempotency claims.
Reading the CSV alone is shown too, as the other bound.
"""

from __future__ import annotations

import csv
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from complaints.bootstrap import build_services
from complaints.importing.importer import BATCH_SIZE, import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.importing.sources import open_source
from shared.event_store import event_store_env
from tests.bench.measure import table
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.samples import CFPB_SAMPLE
from tests.fixtures.stores import settings_for

ROWS = 10_000
SAMPLE = CFPB_SAMPLE
OPEN = "In progress"


class Note(Aggregate):
    """The baseline's aggregate: a text, then a few small facts, nothing checked or chained."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Moved")
    def move(self, step: int) -> None:
        self.step = step


def generate(path: Path, rows: int = ROWS) -> Path:
    """The sample repeated with fresh ids, each round's dates moved a day earlier."""
    with SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        header, sample = list(reader.fieldnames or []), list(reader)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header)
        writer.writeheader()
        for index in range(rows):
            round_, row = divmod(index, len(sample))
            row = dict(sample[row], **{"Complaint ID": f"{sample[row]['Complaint ID']}-{round_}"})
            for column in ("Date received", "Date sent to company"):
                row[column] = str(date.fromisoformat(row[column]) - timedelta(days=round_))
            writer.writerow(row)
    return path


def timed_import(store: str, data_dir: str, csv_path: Path, database_url: str = "") -> float:
    services = build_services(settings_for(store, data_dir, database_url), create_tables=True)
    try:
        mapping = load_mapping(shipped_mapping("cfpb-2023"), services.routing)
        started = time.perf_counter()
        report = import_file(services.complaints, csv_path, mapping)
        seconds = time.perf_counter() - started
    finally:
        services.close()
    if report.imported != ROWS:
        raise RuntimeError(f"imported {report.imported} of {ROWS}: {report.rejected[:3]}")
    return seconds


def timed_bare_save(store: str, data_dir: str, csv_path: Path, database_url: str = "") -> float:
    settings = settings_for(store, data_dir, database_url)
    env = event_store_env(sqlite_path=Path(data_dir) / "bare.sqlite", postgres=settings.postgres,
                          create_tables=True)
    app = Application(env=env)
    try:
        with open_source(csv_path) as source:
            rows = list(source.rows)
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH_SIZE):
            notes = []
            for row in rows[start:start + BATCH_SIZE]:
                note = Note(text=row.values["Consumer complaint narrative"] + row.values["Issue"])
                for step in range(2 if row.values["Company response to consumer"] == OPEN else 4):
                    note.move(step)
                notes.append(note)
            app.save(*notes)
        return time.perf_counter() - started
    finally:
        app.close()


def timed_read(csv_path: Path) -> float:
    started = time.perf_counter()
    with open_source(csv_path) as source:
        for _ in source.rows:
            pass
    return time.perf_counter() - started


def run() -> str:
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as work:
        csv_path = generate(Path(work) / "cfpb-10k.csv")
        read = timed_read(csv_path)
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            results.append(("sqlite", timed_import("sqlite", a, csv_path),
                            timed_bare_save("sqlite", b, csv_path)))
        with (
            postgres_cluster() as admin,
            fresh_database(admin) as first,
            fresh_database(admin) as second,
            tempfile.TemporaryDirectory() as a,
            tempfile.TemporaryDirectory() as b,
        ):
            results.append(("postgresql", timed_import("postgresql", a, csv_path, first),
                            timed_bare_save("postgresql", b, csv_path, second)))
    rows = [["read the CSV only", f"{read:.2f} s", f"{ROWS / read:,.0f}/s", "", ""]]
    for store, imported, bare in results:
        rows.append([f"{store} import", f"{imported:.1f} s", f"{ROWS / imported:,.0f}/s",
                     f"{ROWS / bare:,.0f}/s", f"{bare / imported:.2f}"])
    header = ["import", "time", "rows/s", "bare save of the same events", "÷ bare save"]
    return (f"Importing {ROWS:,} CFPB rows (the sample repeated with fresh ids), batches of "
            f"{BATCH_SIZE}, against the library's Application.save writing the same number of "
            "aggregates and events on the same store.\n" + table(rows, header))
