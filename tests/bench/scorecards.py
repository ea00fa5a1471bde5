"""Rebuilding the scorecards from scratch over imported history, against reading the log raw.

The history is the CFPB sample imported COPIES times under distinct complaint ids (about
10,000 cases, 45,000 events). Three passes over the same notification log, in batches of
the same size, each timed REPEATS times (the median is reported):
- raw read: every notification selected from the store, nothing decoded;
- decoded read: the same, every case event decoded into its domain event with the mapper;
- rebuild: the scorecards' tables emptied, then the projection folding the whole log (it
  decodes only the events a scorecard reads) and writing the facts with their tracking.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from complaints.application.service import Complaints
from complaints.bootstrap import build_services
from complaints.following import BATCH_SIZE, is_case_event, read_batch
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.readmodels.scorecards import ScorecardProjection, open_scorecards
from tests.bench.measure import median, table
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.samples import CFPB_SAMPLE
from tests.fixtures.stores import settings_for

COPIES = 5
REPEATS = 3
WHOLE_HISTORY = (date(2000, 1, 1), date(2030, 1, 1))


def copies_of_the_sample(directory: Path) -> list[Path]:
    """The sample COPIES times, each copy's complaint ids made its own."""
    with CFPB_SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        header, rows = list(reader.fieldnames or []), list(reader)
    paths = []
    for copy in range(COPIES):
        path = directory / f"cfpb-copy-{copy}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, header)
            writer.writeheader()
            writer.writerows({**row, "Complaint ID": f"{row['Complaint ID']}-{copy}"}
                             for row in rows)
        paths.append(path)
    return paths


def read_log(app: Complaints, decode: bool) -> int:
    """Every notification of the log, batch by batch; the number of events read."""
    after, count = 0, 0
    while batch := read_batch(app.recorder, after, BATCH_SIZE).notifications:
        if decode:
            for notification in batch:
                if is_case_event(notification):
                    app.mapper.to_domain_event(notification)
        count += len(batch)
        after = batch[-1].id
    return count


def timed(work: Callable[[], object]) -> float:
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return median(seconds)


def measure(store: str, data_dir: str, database_url: str = "") -> list[list[str]]:
    services = build_services(settings_for(store, data_dir, database_url), create_tables=True)
    app = services.complaints
    try:
        mapping = load_mapping(shipped_mapping("cfpb-2023"), app.routing)
        imported = sum(import_file(app, path, mapping).imported
                       for path in copies_of_the_sample(Path(data_dir)))
        events = read_log(app, decode=False)
        scorecards = open_scorecards(app, create=True)
        projection = ScorecardProjection(app, scorecards)
        raw = timed(lambda: read_log(app, decode=False))
        decoded = timed(lambda: read_log(app, decode=True))
        rebuilt = timed(projection.rebuild)
        report = timed(lambda: scorecards.scorecard(*WHOLE_HISTORY))
        if scorecards.scorecard(*WHOLE_HISTORY).total.figures["received"] != imported:
            raise RuntimeError("the rebuilt scorecards do not count every imported case")
    finally:
        services.close()
    return [
        [store, f"{imported:,}", f"{events:,}", f"{raw:.2f} s", f"{decoded:.2f} s",
         f"{rebuilt:.2f} s", f"{rebuilt / raw:.1f}", f"{rebuilt / decoded:.2f}",
         f"{report * 1000:.0f} ms"],
    ]


def run() -> str:
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        rows += measure("sqlite", data_dir)
    with (
        postgres_cluster() as admin,
        fresh_database(admin) as url,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        rows += measure("postgresql", data_dir, url)
    header = ["store", "cases", "events", "raw read", "decoded read", "rebuild",
              "rebuild ÷ raw", "rebuild ÷ decoded", "scorecard query"]
    return (
        f"Scorecards rebuilt from scratch over the CFPB sample imported {COPIES} times, against "
        f"reading the same events from the store in batches of {BATCH_SIZE} (raw: nothing "
        f"decoded; decoded: every case event through the mapper); median of {REPEATS}. "
        "The query is one scorecard over the whole history.\n" + table(rows, header)
    )
