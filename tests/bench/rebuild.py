"""Read-model rebuild: its speed and memory over an imported history, and what sealing costs it.

Throughput: ROWS CFPB rows (HUIYIN_BENCH_ROWS, default 10,000) are imported, then in a fresh
process each, the case index alone is rebuilt, then both read models as `huiyin projections
rebuild` does; the floor is reading the whole notification log in the same batches, nothing
decoded. Each process's peak resident memory (`ru_maxrss`) is printed: it must not grow with
the size of the history. On PostgreSQL `huiyin projections rebuild` takes the case index in
parts, each in a process (`complaints.processes`); it is timed once more with the case index
in one process, as before.

An import writes each case's life in a row; a log written in use does not: a case's events
stand thousands of positions apart, each in a batch of its own. So the same is measured over
LIVE_CASES cases written as in use (`write_history`: every case filed, then every case
accepted, and so on), the case index rebuilt keeping only one batch's folded cases between
batches (as it did before it kept the last `RECENT_CASES`) as the baseline.

Sealing's cost:
Two stores hold the same history: CASES cases filed with every personal field, then
accepted, assigned, answered, rated with a comment and closed (6 events each). One store was
written by the application with the installation's key ring (personal values sealed, a data
key per case), the other by the same application built with `key_ring=None` (plain values).
Each rebuild empties the case index and the scorecards and projects the whole log again, as
`huiyin projections rebuild` does, in a freshly built process (cold key cache); the runs of
the two stores alternate, REPEATS each, and the medians are compared (and the best runs,
steadier on a busy machine). The ratio is what opening the sealed values costs a rebuild.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from complaints import processes
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.following import BATCH_SIZE, read_batch
from complaints.importing.importer import DEFAULT_WORKERS, import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.readmodels import projection
from complaints.readmodels.case_index import CaseIndexProjection, open_case_index
from complaints.readmodels.case_index import queries as case_index_queries
from complaints.readmodels.case_index.projection import RECENT_CASES
from complaints.readmodels.projection import Follower
from complaints.readmodels.scorecards import ScorecardProjection, open_scorecards
from complaints.settings import Settings
from tests.bench.importing import ROWS, generate, in_child, postgres_admin, rss
from tests.bench.measure import median, table
from tests.fixtures.filing import filing_command
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.stores import settings_for

CASES = 2000
LIVE_CASES = 5000
EVENTS_PER_CASE = 6
ONE_PART = "the case index in one process"
REPEATS = 5
INTAKE = Principal("intake", Role.INTAKE)
TAX = Principal("handler-tax", Role.HANDLER, department="TAX")


def plain(settings: Settings) -> Settings:
    """The same installation with no key ring: the application stores personal values plain."""
    return dataclasses.replace(settings, key_ring=None)


def write_history(settings: Settings, cases: int = CASES) -> None:
    """`cases` cases written as in use: each step taken on every case before the next, so a
    case's events stand `cases` positions apart in the log."""
    services = build_services(settings, create_tables=True)
    app = services.complaints
    try:
        filings = [
            app.file_case(INTAKE, filing_command({
                "channel": "hotline", "category": "tax",
                "subject": f"出口退税迟迟未到账 {number}",
                "description": "我公司三月申请出口退税，至今未到账，窗口称系统故障。" * 3,
                "happened_at_place": "黑河市政务服务中心",
                "filer": {"enterprise_name": f"黑河市远东贸易有限公司{number}",
                          "credit_code": "91350100M000100Y43", "contact_person": "王丽",
                          "phone": f"+86 456 823 {number:04d}",
                          "email": f"filer{number}@example.cn"},
            })).case_id
            for number in range(cases)
        ]
        for step in (lambda case_id: app.accept_case(INTAKE, case_id),
                     lambda case_id: app.assign_case(INTAKE, case_id),
                     lambda case_id: app.respond(TAX, case_id, "resolved", "已办结，税款已退。"),
                     lambda case_id: app.rate_case(INTAKE, case_id, 4, "处理及时，但等待较久。"),
                     lambda case_id: app.close_case(TAX, case_id)):
            for case_id in filings:
                step(case_id)
    finally:
        services.close()


@contextmanager
def read_models(settings: Settings, recent: int = RECENT_CASES) -> Iterator[list[Follower]]:
    """The followers `huiyin projections rebuild` rebuilds, built afresh (cold key cache); the
    case index keeping `recent` folded cases between batches."""
    services = build_services(settings)
    index = open_case_index(settings, create_tables=True)
    app = services.complaints
    scorecards = open_scorecards(app, create=True)
    try:
        yield [
            Follower("case_index", CaseIndexProjection(app, index, recent=recent), index.lag,
                     index.recorder.recreate_tables),
            Follower("scorecards", ScorecardProjection(app, scorecards), scorecards.lag,
                     scorecards.recorder.recreate_tables),
        ]
    finally:
        index.close()
        services.close()


def timed_rebuild(settings: Settings) -> float:
    with read_models(settings) as followers:
        started = time.perf_counter()
        processed = projection.rebuild(followers)
        seconds = time.perf_counter() - started
    if processed < CASES * EVENTS_PER_CASE:
        raise RuntimeError(f"the rebuild processed {processed} notifications, not all")
    return seconds


def measure(store: str, sealed: Settings, unsealed: Settings) -> list[str]:
    write_history(sealed)
    write_history(unsealed)
    with_keys, without = [], []
    for _ in range(REPEATS):
        with_keys.append(timed_rebuild(sealed))
        without.append(timed_rebuild(unsealed))
    sealed_s, plain_s = median(with_keys), median(without)
    best = min(with_keys) / min(without)
    events = CASES * EVENTS_PER_CASE
    return [store, f"{CASES:,}", f"{events:,}",
            f"{plain_s:.2f} s", f"{events / plain_s:,.0f}/s",
            f"{sealed_s:.2f} s", f"{events / sealed_s:,.0f}/s",
            f"{sealed_s / plain_s:.3f}", f"{best:.3f}",
            f"{(sealed_s / plain_s - 1) * 100:+.1f} %"]


def imported_history(settings: Settings, csv_path: Path) -> int:
    services = build_services(settings, create_tables=True)
    try:
        mapping = load_mapping(shipped_mapping("cfpb-2023"), services.routing)
        return import_file(services.complaints, csv_path, mapping,
                           workers=DEFAULT_WORKERS).imported
    finally:
        services.close()


def timed_case_index_rebuild(settings: Settings, recent: int = RECENT_CASES) -> float:
    with read_models(settings, recent) as followers:
        started = time.perf_counter()
        projection.rebuild(followers[:1])
        return time.perf_counter() - started


def timed_projections_rebuild(settings: Settings, parts: int | None = None) -> float:
    """What `huiyin projections rebuild` does, timed from the process's start of work; with
    the case index in `parts` parts (PostgreSQL, a long way) if given."""
    if parts is not None:
        case_index_queries.PARTS = parts  # this process is the bench's own child
    started = time.perf_counter()
    processes.rebuild_projections(settings)
    return time.perf_counter() - started


def timed_log_read(settings: Settings) -> float:
    services = build_services(settings)
    try:
        started = time.perf_counter()
        after = 0
        while (batch := read_batch(services.complaints.recorder, after, BATCH_SIZE)).notifications:
            after = batch.last
        return time.perf_counter() - started
    finally:
        services.close()


def throughput(store: str, settings: Settings, csv_path: Path) -> list[list[str]]:
    cases = imported_history(settings, csv_path)
    runs = [
        ("read the log only (baseline)", timed_log_read, ()),
        ("rebuild the case index", timed_case_index_rebuild, ()),
        ("huiyin projections rebuild", timed_projections_rebuild, ()),
    ]
    if settings.postgres is not None:
        # A long way on PostgreSQL takes the case index in parts; before, in one process.
        runs.append((f"huiyin projections rebuild, {ONE_PART}", timed_projections_rebuild, (1,)))
    return timed_rows(f"{store}, imported", settings, cases, runs, baseline=0)


def live_throughput(store: str, settings: Settings, cases: int = LIVE_CASES) -> list[list[str]]:
    write_history(settings, cases)
    return timed_rows(f"{store}, as in use", settings, cases, (
        ("read the log only", timed_log_read, ()),
        ("rebuild the case index, one batch's cases kept (baseline)",
         timed_case_index_rebuild, (BATCH_SIZE,)),
        (f"rebuild the case index, {RECENT_CASES:,} cases kept", timed_case_index_rebuild, ()),
        ("huiyin projections rebuild", timed_projections_rebuild, ()),
    ), baseline=1)


def timed_rows(history: str, settings: Settings, cases: int, runs, *,
               baseline: int) -> list[list[str]]:
    """A row per run, each in a fresh process; its rate also against run `baseline`'s."""
    measured = [in_child(timed, settings, *args) for _, timed, args in runs]
    base = measured[baseline][0]
    return [[history, label, f"{cases:,}", f"{seconds:.1f} s", f"{cases / seconds:,.0f}/s",
             f"{base / seconds:.2f}", rss(peak)]
            for (label, _, _), (seconds, peak) in zip(runs, measured, strict=True)]


def run() -> str:
    return run_throughput() + "\n\n" + run_sealing()


def run_throughput() -> str:
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as work:
        csv_path = generate(Path(work) / "cfpb.csv")
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            rows.extend(throughput("sqlite", settings_for("sqlite", a), csv_path))
            rows.extend(live_throughput("sqlite", settings_for("sqlite", b)))
        with (
            postgres_admin() as admin,
            fresh_database(admin) as url,
            fresh_database(admin) as live_url,
            tempfile.TemporaryDirectory() as a,
            tempfile.TemporaryDirectory() as b,
        ):
            rows.extend(throughput("postgresql", settings_for("postgresql", a, url), csv_path))
            rows.extend(live_throughput("postgresql", settings_for("postgresql", b, live_url)))
    header = ["store, history", "what", "cases", "time", "cases/s", "÷ baseline", "peak RSS"]
    return (
        f"Rebuilding the read models over {ROWS:,} imported CFPB cases (HUIYIN_BENCH_ROWS sets "
        f"how many), and over {LIVE_CASES:,} cases written as in use (each step taken on every "
        f"case before the next: {EVENTS_PER_CASE} events a case, {LIVE_CASES:,} positions "
        "apart), each run in a fresh process, against reading the log alone in batches of "
        f"{BATCH_SIZE}. The baseline of the imported history is reading its log; of the one"
        " written as in use, the case index keeping only one batch's folded cases (its way"
        f" before it kept the last {RECENT_CASES:,})."
        "\n" + table(rows, header)
    )


def run_sealing() -> str:
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        rows.append(measure("sqlite", settings_for("sqlite", a), plain(settings_for("sqlite", b))))
    with (
        postgres_cluster() as admin,
        fresh_database(admin) as first,
        fresh_database(admin) as second,
        tempfile.TemporaryDirectory() as a,
        tempfile.TemporaryDirectory() as b,
    ):
        rows.append(measure("postgresql", settings_for("postgresql", a, first),
                            plain(settings_for("postgresql", b, second))))
    header = ["store", "cases", "events", "plain rebuild", "events/s", "sealed rebuild",
              "events/s", "sealed ÷ plain", "best ÷ best", "cost (medians)"]
    return (
        f"Rebuilding the case index and the scorecards from scratch over {CASES:,} cases "
        f"({EVENTS_PER_CASE} events each), personal values sealed per case against the same "
        f"build storing them plain (key_ring=None); median of {REPEATS}, alternating; best ÷ "
        "best compares the fastest run of each.\n"
        + table(rows, header)
    )
