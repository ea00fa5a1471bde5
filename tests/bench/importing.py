"""Historical import speed and memory: CFPB-like rows, against a bare save of the same events.

ROWS rows (HUIYIN_BENCH_ROWS, default 10,000; the issue's figure is for 100,000) are the
CFPB sample repeated with fresh ids. The baseline is the eventsourcing library's own
`Application.save` writing, on the same store and in batches of the same size, as many
aggregates and events as the import writes (5 per closed case, 3 per open one), carrying the
same description text: the store's write floor. So the ratio is what the import's own work
costs on top of it: reading and checking the rows, the Case aggregate's rules, sealing and
chain of hashes, references and idempotency claims. Reading the CSV alone is shown too, and
a second import of the same file (every row skipped as imported before).

Each measurement runs in a process of its own, so its peak resident memory (`ru_maxrss`) is
its own: the import's must not grow with the size of the file.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import resource
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from complaints.bootstrap import build_services
from complaints.importing.importer import BATCH_SIZE, DEFAULT_WORKERS, import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.importing.sources import open_source
from shared.event_store import event_store_env
from tests.bench.measure import table
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.samples import CFPB_SAMPLE
from tests.fixtures.stores import settings_for

ROWS = int(os.environ.get("HUIYIN_BENCH_ROWS", "10000"))
SAMPLE = CFPB_SAMPLE
OPEN = "In progress"
# Builders forked by the second import of each store: one per core.
FORKED = max(2, os.cpu_count() or 1)


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


def in_child(function: Callable[..., Any], *args: Any) -> tuple[Any, int]:
    """`function(*args)` run in a fresh process: its result and that process's peak RSS (KiB)."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_measured, args=(sending, function, args))
    child.start()
    sending.close()
    try:
        outcome, value, peak = receiving.recv()
    finally:
        child.join()
    if outcome == "failed":
        raise RuntimeError(f"{function.__name__} failed in its process:\n{value}")
    return value, peak


def _measured(sending: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Sends the result, and the peak RSS of this process or of the largest of its own (the
    import's builders), whichever is more."""
    try:
        result: tuple[str, Any] = ("done", function(*args))
    except Exception:  # reported by the parent, which raises it
        result = ("failed", traceback.format_exc())
    peak = max(own_peak_rss(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sending.send((*result, peak))
    sending.close()


def own_peak_rss() -> int:
    """This process's peak RSS (KiB). Linux carries ru_maxrss across exec, so a spawned
    child's would be at least its parent's when it started; VmHWM is its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@contextmanager
def postgres_admin() -> Iterator[str]:
    """HUIYIN_TEST_POSTGRES_URL's server (as the tests share one), or a cluster started here."""
    url = os.environ.get("HUIYIN_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with postgres_cluster() as admin:
        yield admin


def rss(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def timed_import(store: str, data_dir: str, csv_path: Path, database_url: str = "",
                 workers: int = DEFAULT_WORKERS, expected: int = ROWS) -> tuple[float, float]:
    """Seconds to import the file, then seconds to import it again (every row skipped)."""
    services = build_services(settings_for(store, data_dir, database_url), create_tables=True)
    try:
        mapping = load_mapping(shipped_mapping("cfpb-2023"), services.routing)
        started = time.perf_counter()
        report = import_file(services.complaints, csv_path, mapping, workers=workers)
        seconds = time.perf_counter() - started
        if report.imported != expected:
            raise RuntimeError(f"imported {report.imported} of {expected}: {report.rejected[:3]}")
        started = time.perf_counter()
        again = import_file(services.complaints, csv_path, mapping, workers=workers)
        again_seconds = time.perf_counter() - started
        if again.skipped_existing != expected or again.imported:
            raise RuntimeError(f"the second import imported {again.imported}")
    finally:
        services.close()
    return seconds, again_seconds


def timed_bare_save(store: str, data_dir: str, csv_path: Path, database_url: str = "") -> float:
    settings = settings_for(store, data_dir, database_url)
    env = event_store_env(sqlite_path=Path(data_dir) / "bare.sqlite", postgres=settings.postgres,
                          create_tables=True)
    app = Application(env=env)
    try:
        started = time.perf_counter()
        with open_source(csv_path) as source:
            notes = []
            for row in source.rows:
                note = Note(text=row.values["Consumer complaint narrative"] + row.values["Issue"])
                for step in range(2 if row.values["Company response to consumer"] == OPEN else 4):
                    note.move(step)
                notes.append(note)
                if len(notes) == BATCH_SIZE:
                    app.save(*notes)
                    notes = []
            if notes:
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


def measure(store: str, csv_path: Path, urls: tuple[str, ...] = ("", "", "")) -> list[list[str]]:
    with (tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b,
          tempfile.TemporaryDirectory() as c):
        bare, bare_rss = in_child(timed_bare_save, store, a, csv_path, urls[0])
        rows = []
        for workers, data_dir, url in ((DEFAULT_WORKERS, b, urls[1]), (FORKED, c, urls[2])):
            (imported, again), peak = in_child(timed_import, store, data_dir, csv_path, url,
                                               workers)
            rows.append([f"{store} import, {workers} builder(s)", f"{imported:.1f} s",
                         f"{ROWS / imported:,.0f}/s", rss(peak), f"{ROWS / again:,.0f}/s",
                         f"{ROWS / bare:,.0f}/s", rss(bare_rss), f"{bare / imported:.2f}"])
    return rows


def run() -> str:
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as work:
        csv_path = generate(Path(work) / "cfpb.csv")
        read, read_rss = in_child(timed_read, csv_path)
        rows.append(["read the CSV only", f"{read:.2f} s", f"{ROWS / read:,.0f}/s",
                     rss(read_rss), "", "", "", ""])
        rows.extend(measure("sqlite", csv_path))
        with (
            postgres_admin() as admin,
            fresh_database(admin) as first,
            fresh_database(admin) as second,
            fresh_database(admin) as third,
        ):
            rows.extend(measure("postgresql", csv_path, (first, second, third)))
    header = ["import", "time", "rows/s", "peak RSS", "again (all skipped)",
              "bare save of the same events", "its peak RSS", "÷ bare save"]
    return (f"Importing {ROWS:,} CFPB rows (the sample repeated with fresh ids; "
            "HUIYIN_BENCH_ROWS sets how many), batches of "
            f"{BATCH_SIZE}, against the library's Application.save writing the same number of "
            "aggregates and events on the same store; each in a process of its own (peak RSS: "
            "the largest of it and its builders), built in the importing process (huiyin "
            f"import's default) or by {FORKED} forked builders (--workers {FORKED}).\n"
            + table(rows, header))
