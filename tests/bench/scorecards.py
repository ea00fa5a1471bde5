"""Scorecards at the size of a province's history: the buckets against the fold over every case.

The history is the CFPB sample imported again and again under distinct complaint ids, its
filing days spread evenly over 2021–2025, until it holds SIZE cases (default 100,000;
`SIZE=` in the environment changes it) in STORE (default postgresql; `STORE=sqlite`). The
case index and the scorecards are caught up from empty; the scorecards' own catch-up is
timed (cases per second: what a rebuild runs at).

Then, in the same run and on the same data:
- the scorecards (every department and the total) of one year, of five years, and of one
  department over five years, as the API asks them (`Scorecards.scorecard`), SAMPLES times
  each; and the dashboard page of one year and of three years (its longest period), server
  time through the application's own WSGI stack (Flask's test client, signed in as a
  supervisor);
- the baseline: the same scorecards and the same page with the fold the scorecards used
  before they were pre-aggregated (every case of the period loaded and counted by `Tally`),
  OLD_SAMPLES times each (it takes seconds per call at this size), and a check that both
  give the same figures.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from complaints.bootstrap import build_services
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.readmodels.case_index import CaseIndexProjection, open_case_index
from complaints.readmodels.scorecards import (
    Scorecard,
    ScorecardProjection,
    ScorecardReport,
    Scorecards,
    open_scorecards,
)
from complaints.readmodels.scorecards.figures import Tally
from complaints.readmodels.scorecards.queries import WeekFigures, _moment, _monday_of
from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION, SCORECARDS
from tests.bench.measure import Sample, table, timed_calls
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.samples import CFPB_SAMPLE
from tests.fixtures.stores import settings_for

SIZE = int(os.environ.get("SIZE", "100000"))
STORE = os.environ.get("STORE", "postgresql")
SAMPLES = int(os.environ.get("SAMPLES", "40"))
OLD_SAMPLES = int(os.environ.get("OLD_SAMPLES", "3"))
FIRST_DAY, DAYS = date(2021, 1, 1), 5 * 365
PASSWORD = "bench-password-1"
ONE_YEAR = (date(2025, 1, 1), date(2026, 1, 1))
FIVE_YEARS = (date(2021, 1, 1), date(2026, 1, 1))
DEPARTMENT = "FINSVC"  # the sample's largest department
PAGES = {"one year": ("2025-01-01", "2025-12-31"), "three years": ("2023-01-01", "2025-12-31")}


def spread_copies(directory: Path, size: int) -> list[Path]:
    """The sample copied until `size` rows, each copy's ids its own, the filing days of all
    rows spread evenly over FIRST_DAY + DAYS (each keeps its gap to being sent on)."""
    with CFPB_SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        header, rows = list(reader.fieldnames or []), list(reader)
    paths, written, copy = [], 0, 0
    while written < size:
        path = directory / f"cfpb-spread-{copy}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, header)
            writer.writeheader()
            for row in rows[: size - written]:
                received = date.fromisoformat(row["Date received"])
                gap = date.fromisoformat(row["Date sent to company"]) - received
                day = FIRST_DAY + timedelta(days=written * DAYS // size)
                writer.writerow({**row, "Complaint ID": f"{row['Complaint ID']}-{copy}",
                                 "Date received": day.isoformat(),
                                 "Date sent to company": (day + gap).isoformat()})
                written += 1
        paths.append(path)
        copy += 1
    return paths


class FoldedScorecards(Scorecards):
    """The scorecards as they were before buckets: every case of the period folded."""

    def scorecard(self, period_from, period_to, department=None) -> ScorecardReport:
        start, end = _moment(period_from), _moment(period_to)
        lag, calendar = self.lag(), self.calendar()
        cases = defaultdict(list)
        for facts in self.recorder.between(start, end):
            cases[facts.department].append(facts)
        tallies = {code: Tally(calendar).add_all(found) for code, found in cases.items()}
        total = Tally(calendar)
        for tally in tallies.values():
            total.merge(tally)
        chosen = [department] if department else sorted(code for code in tallies if code)
        return ScorecardReport(start, end, [
            Scorecard(code, tallies.get(code, Tally(calendar)).figures()) for code in chosen
        ], Scorecard(None, total.figures()), lag)

    def weekly(self, period_from, period_to, department=None) -> list[WeekFigures]:
        start, end = _moment(period_from), _moment(period_to)
        calendar = self.calendar()
        by_week = defaultdict(list)
        for facts in self.recorder.between(start, end, department):
            by_week[_monday_of(facts.filed_at)].append(facts)
        weeks, monday = [], _monday_of(start)
        while _moment(monday) < end:
            following = monday + timedelta(days=7)
            year, week, _ = monday.isocalendar()
            weeks.append(WeekFigures(year, week, max(start, _moment(monday)),
                                     min(end, _moment(following)),
                                     Tally(calendar).add_all(by_week.get(monday, [])).figures()))
            monday = following
        return weeks


def signed_in(app):
    client = app.test_client()
    page = client.get("/staff/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    reply = client.post("/staff/sign-in", data={
        "csrf_token": token.group(1), "username": "supervisor", "password": PASSWORD})
    if reply.status_code != 303:
        raise RuntimeError("the bench's supervisor could not sign in")
    return client


def page_call(client, first: str, last: str) -> Callable[[int], object]:
    def call(_: int) -> None:
        reply = client.get("/staff/dashboard", query_string={"from": first, "to": last})
        if reply.status_code != 200:
            raise RuntimeError(f"the dashboard answered {reply.status_code}")
    return call


def ms(sample: Sample, p: float) -> str:
    return f"{sample.percentile(p) * 1000:,.1f}"


@contextmanager
def store_settings(data_dir: str) -> Iterator:
    if STORE == "sqlite":
        yield settings_for("sqlite", data_dir, HUIYIN_LOG_LEVEL="WARNING")
        return
    with postgres_cluster() as admin, fresh_database(admin) as url:
        yield settings_for("postgresql", data_dir, url, HUIYIN_LOG_LEVEL="WARNING")


def run() -> str:
    with tempfile.TemporaryDirectory() as data_dir, store_settings(data_dir) as settings:
        services = build_services(settings, create_tables=True)
        app = services.complaints
        try:
            services.staff.register("supervisor", PASSWORD, "supervisor")
            mapping = load_mapping(shipped_mapping("cfpb-2023"), app.routing)
            started = time.perf_counter()
            imported = sum(import_file(app, path, mapping).imported
                           for path in spread_copies(Path(data_dir), SIZE))
            import_seconds = time.perf_counter() - started
            index = open_case_index(settings, create_tables=True)
            try:
                CaseIndexProjection(app, index).catch_up()
            finally:
                index.close()
            scorecards = open_scorecards(app, create=True)
            started = time.perf_counter()
            ScorecardProjection(app, scorecards).catch_up()
            catch_up_seconds = time.perf_counter() - started
        finally:
            services.close()
        web = create_app(settings)
        try:
            rows = measure(web)
        finally:
            web.extensions[EXTENSION].close()
    header = ["read", "buckets p50 ms", "buckets p99 ms", "fold p50 ms", "fold p99 ms",
              "fold ÷ buckets (p50)"]
    return (
        f"Scorecards over {imported:,} cases on {STORE} (the CFPB sample spread over "
        f"2021–2025; imported in {import_seconds:.0f} s). Scorecards catch-up from empty: "
        f"{imported / catch_up_seconds:,.0f} cases/s ({catch_up_seconds:.1f} s). Buckets: "
        f"{SAMPLES} calls each; fold (the scorecards before buckets, every case of the period "
        f"folded): {OLD_SAMPLES} calls each, same figures checked.\n" + table(rows, header)
    )


def measure(web) -> list[list[str]]:
    scorecards: Scorecards = web.extensions[SCORECARDS]
    folded = FoldedScorecards(scorecards.recorder, scorecards.events, scorecards.calendar)
    queries = {
        "scorecards, one year": (*ONE_YEAR, None),
        "scorecards, five years": (*FIVE_YEARS, None),
        f"scorecards, five years, {DEPARTMENT}": (*FIVE_YEARS, DEPARTMENT),
    }
    rows = []
    for label, query in queries.items():
        if scorecards.scorecard(*query) != folded.scorecard(*query):
            raise RuntimeError(f"{label}: the buckets and the fold disagree")
        new = timed_calls(label, lambda _, query=query: scorecards.scorecard(*query), SAMPLES)
        old = timed_calls(label, lambda _, query=query: folded.scorecard(*query), OLD_SAMPLES)
        rows.append(row(label, new, old))
    if scorecards.weekly(*ONE_YEAR) != folded.weekly(*ONE_YEAR):
        raise RuntimeError("the weeks of the buckets and of the fold disagree")
    client = signed_in(web)
    for label, (first, last) in PAGES.items():
        call = page_call(client, first, last)
        call(0)
        new = timed_calls(label, call, SAMPLES)
        web.extensions[SCORECARDS] = folded
        try:
            old = timed_calls(label, call, OLD_SAMPLES)
        finally:
            web.extensions[SCORECARDS] = scorecards
        rows.append(row(f"dashboard page, {label}", new, old))
    return rows


def row(label: str, new: Sample, old: Sample) -> list[str]:
    return [label, ms(new, 50), ms(new, 99), ms(old, 50), ms(old, 99),
            f"{old.percentile(50) / new.percentile(50):,.0f}"]

