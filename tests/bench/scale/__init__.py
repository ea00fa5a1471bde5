"""`make bench-scale` (`python -m tests.bench.scale`): a province's history on PostgreSQL, and
how every read path, the import and the read models' catch-up grow with it.

The history grows in steps (10,000, 100,000, 1,000,000 cases, up to SIZE): each step writes
its rows (history.py), imports them with `huiyin import`, gives some cases their later life
(re-checks, rectifications, reopenings), brings the read models up with
`huiyin projections catch-up`, then times the read paths through gunicorn (readpaths.py).
The import and the catch-up run as the commands an operator runs, each in its own process,
whose peak memory is read from the kernel when it ends. Nothing else runs meanwhile, so the
import builds its cases in a process per core (`--workers`), as the README advises where
cores stand idle: on this 2-core machine 2 builders import ~20–30 % faster than 1 when it is
quiet (`python -m tests.bench import` prints both). PostgreSQL is sized as the deployment's
(deploy/postgres/province.conf), not left at its defaults.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg

from complaints.bootstrap import build_services
from tests.bench.importing import FORKED
from tests.bench.measure import Sample, table
from tests.bench.scale import history, readpaths
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import (
    BIN,
    PROVINCE_SIZING,
    ROOT,
    clean_environment,
    gunicorn_server,
    postgres_cluster,
)
from tests.fixtures.stores import TEST_KEK, TEST_SECRET, settings_for

STEPS = (10_000, 100_000, 1_000_000)
IMPORT_WORKERS = FORKED
DEFAULT_SIZE = 1_000_000
# The department whose queue and scorecard are read: the lead of the most common category.
CATEGORY_READ = "credit"


@dataclass(frozen=True)
class Command:
    seconds: float
    peak_rss_mb: float
    output: str


@dataclass
class Step:
    cases: int
    imported: int = 0
    import_rate: float = 0.0
    import_rss: float = 0.0
    later_life: dict[str, int] = field(default_factory=dict)
    later_seconds: float = 0.0
    events: int = 0
    catch_up_rate: float = 0.0
    catch_up_events_rate: float = 0.0
    catch_up_rss: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    web_rss: float = 0.0  # the most memory a gunicorn process held, after every read path


def steps(size: int) -> list[int]:
    return [step for step in STEPS if step < size] + [size]


def run_command(argv: list[str], env: dict[str, str]) -> Command:
    """Run one of our commands to its end; its time and the most memory it held."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {process.returncode}:\n{text[-3000:]}")
    return Command(seconds, usage.ru_maxrss / 1024, text)


def event_count(settings) -> int:
    services = build_services(settings)
    try:
        return services.complaints.recorder.max_notification_id() or 0
    finally:
        services.close()


def grow(step: Step, done: int, events_before: int, settings, env: dict[str, str], data: Path,
         texts: list[history.Text], departments: dict[str, str]) -> None:
    """Add the step's cases to the history (`done` cases and `events_before` events so far)
    and bring the read models up to it."""
    count = step.cases - done
    rows = data / f"rows-{step.cases}.csv"
    history.write_rows(rows, texts, done, count, departments)
    imported = run_command([str(BIN / "huiyin"), "import", str(rows),
                            "--mapping", str(history.MAPPING),
                            "--workers", str(IMPORT_WORKERS)], env)
    rows.unlink()
    step.imported, step.import_rate = count, count / imported.seconds
    step.import_rss = imported.peak_rss_mb
    started = time.perf_counter()
    step.later_life = later_life(settings, texts, done, count, departments)
    step.later_seconds = time.perf_counter() - started
    step.events = event_count(settings)
    caught = run_command([str(BIN / "huiyin"), "projections", "catch-up"], env)
    step.catch_up_rate = count / caught.seconds
    step.catch_up_events_rate = (step.events - events_before) / caught.seconds
    step.catch_up_rss = caught.peak_rss_mb


def later_life(settings, texts: list[history.Text], first: int, count: int,
               departments: dict[str, str]) -> dict[str, int]:
    """The later life of rows `first` .. `first + count`, given in a process per core: each
    takes every n-th row (`history.later_life`'s parts), loads its cases and saves them."""
    parts = IMPORT_WORKERS
    opened = replace(settings, create_tables=False)  # the import made them
    with ProcessPoolExecutor(parts, mp_context=multiprocessing.get_context("spawn")) as pool:
        counts = pool.map(_later_life_part, [opened] * parts, [texts] * parts,
                          [first] * parts, [count] * parts, [departments] * parts, range(parts),
                          [parts] * parts)
        total: dict[str, int] = {}
        for part in counts:
            for name, n in part.items():
                total[name] = total.get(name, 0) + n
        return total


def _later_life_part(settings, texts: list[history.Text], first: int, count: int,
                     departments: dict[str, str], part: int, parts: int) -> dict[str, int]:
    services = build_services(settings)
    try:
        return history.later_life(services.complaints, texts, first, count, departments,
                                  part=part, parts=parts)
    finally:
        services.close()


def run(size: int = DEFAULT_SIZE) -> str:
    return report(grown(size))


def grown(size: int, requests_per_path: int = readpaths.REQUESTS) -> list[Step]:
    """Each step's figures, the history grown to `size` cases."""
    departments = history.leads()
    department = departments[CATEGORY_READ]
    texts = history.sample_texts()
    results: list[Step] = []
    with (
        postgres_cluster(sizing=PROVINCE_SIZING) as admin,
        fresh_database(admin) as url,
        tempfile.TemporaryDirectory(prefix="huiyin-scale-") as directory,
    ):
        data = Path(directory)
        print(_server_sizing(url), flush=True)
        settings = settings_for("postgresql", directory, url)
        env = {**clean_environment(), "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
               "HUIYIN_DATA_DIR": directory, "HUIYIN_DATABASE_URL": url,
               "HUIYIN_LOG_LEVEL": "WARNING"}
        subprocess.run([str(BIN / "huiyin"), "init"], env=env, check=True, capture_output=True)
        for username, role, extra in (("bench-supervisor", "supervisor", []),
                                      ("bench-handler", "handler", ["--department", department])):
            subprocess.run([str(BIN / "huiyin"), "create-user", username, "--role", role, *extra,
                            "--password-stdin"], env=env, input=f"{readpaths.PASSWORD}\n",
                           text=True, check=True, capture_output=True)
        done = events = 0
        for cases in steps(size):
            step = Step(cases)
            grow(step, done, events, settings, env, data, texts, departments)
            references = _some_references(settings, 500)
            with gunicorn_server(env, data / "gunicorn.log", workers=2) as base:
                supervisor = readpaths.sign_in(base, "bench-supervisor")
                handler = readpaths.sign_in(base, "bench-handler")
                step.samples = readpaths.measure(base, supervisor, handler, department,
                                                 references, requests_per_path)
                step.web_rss = _peak_rss_mb(f"HUIYIN_BIND={base.removeprefix('http://')}")
            results.append(step)
            if cases < size:  # the table so far, while the next step grows
                print(report(results), end="\n\n", flush=True)
            done, events = cases, step.events
    return results


def _server_sizing(url: str) -> str:
    with psycopg.connect(url) as connection:
        shown = [f"{name} {connection.execute(f'SHOW {name}').fetchone()[0]}"
                 for name in ("server_version", "shared_buffers", "effective_cache_size",
                              "maintenance_work_mem", "max_wal_size")]
    return f"PostgreSQL ({PROVINCE_SIZING.relative_to(ROOT)}): {', '.join(shown)}"


def _peak_rss_mb(marker: str) -> float:
    """The largest peak resident memory (VmHWM) of the processes whose environment holds
    `marker`: the server's master and workers."""
    peak = 0
    for process in Path("/proc").iterdir():
        try:
            if marker.encode() not in (process / "environ").read_bytes().split(b"\0"):
                continue
            status = (process / "status").read_text()
        except (OSError, ValueError):
            continue  # not a process, gone, or not ours to read
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def _some_references(settings, count: int) -> list[str]:
    services = build_services(settings)
    try:
        recorder = services.complaints.recorder
        with recorder.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
            curs.execute("SELECT reference FROM case_index ORDER BY random() LIMIT %s", (count,))
            return [row["reference"] for row in curs.fetchall()]
    finally:
        services.close()


def report(results: list[Step]) -> str:
    sizes = [f"{step.cases:,} cases p50 / p99" for step in results]
    rows = []
    for index, sample in enumerate(results[0].samples):
        rows.append([sample.label, *(
            f"{step.samples[index].percentile(50) * 1000:,.1f} / "
            f"{step.samples[index].percentile(99) * 1000:,.1f} ms"
            f" (n={step.samples[index].count})"
            for step in results)])
    paths = table(rows, ["read path", *sizes])
    growth = table([[f"{step.cases:,}", f"{step.events:,}",
                     f"{step.import_rate:,.0f} rows/s", f"{step.import_rss:,.0f} MB",
                     f"{step.catch_up_rate:,.0f} cases/s",
                     f"{step.catch_up_events_rate:,.0f} events/s",
                     f"{step.catch_up_rss:,.0f} MB", f"{step.web_rss:,.0f} MB",
                     ", ".join(f"{name} {n:,}" for name, n in step.later_life.items())
                     + f" in {step.later_seconds:.0f} s"]
                    for step in results],
                   ["cases", "events", "import", "import peak RSS", "catch-up",
                    "catch-up", "catch-up peak RSS", "web peak RSS",
                    "later life (in the bench)"])
    return ("Read paths through gunicorn (2 workers) on PostgreSQL, from one client on "
            "loopback, as the history grows:\n" + paths + "\n\nGrowing the history: "
            f"`huiyin import --workers {IMPORT_WORKERS}` of each step's new rows, then "
            "`huiyin projections catch-up` (rates over the step's new cases and events):\n"
            + growth)


def main() -> None:
    size = int(os.environ.get("SIZE", DEFAULT_SIZE))
    started = time.perf_counter()
    print(run(size))
    print(f"\nmake bench-scale SIZE={size}: {(time.perf_counter() - started) / 60:.1f} minutes")
