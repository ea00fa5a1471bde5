"""Read after write: how long a page waits, right after a filing, for the case index to hold it.

A list or search first waits (boundedly, `CaseIndex.caught_up`) until the index holds what the
store held when it was asked: a handler's assignment, then their queue. With `projections run`
beside it (in a thread, as the fuzz server runs it), each filing is followed at once by that
wait. The projection is woken by the store's commit (LISTEN on PostgreSQL, the file's change
counter on SQLite); the baseline, in the same run, is the same projection polling every half
second, as it did before it had wake-ups.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.processes import WakeupFactory, run_projections
from complaints.readmodels.case_index import open_case_index
from complaints.settings import Settings
from complaints.streaming.relay import store_wakeup
from shared.stream.wakeups import Sleep
from tests.bench.filing import submission
from tests.bench.measure import Sample, table
from tests.fixtures.filing import filing_command
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.stores import settings_for

FILINGS = 40
GAPS = (0.05, 0.6)  # seconds between filings, drawn at random: the poll's phase is not chosen
PUBLIC = Principal("public", Role.FILER)


def polling(_app, _settings: Settings, stop: threading.Event) -> Sleep:
    return Sleep(stop)


def waits_after_filing(
    settings: Settings, wakeup_for: WakeupFactory, label: str, filings: int = FILINGS
) -> Sample:
    build_services(settings, create_tables=True).close()
    open_case_index(settings, create_tables=True).close()
    services, index = build_services(settings), open_case_index(settings)
    stop = threading.Event()
    runner = threading.Thread(target=run_projections, args=(settings,),
                              kwargs={"stop": stop, "wakeup_for": wakeup_for})
    runner.start()
    pace = random.Random(7)
    waits: list[float] = []
    started = time.perf_counter()
    try:
        for number in range(filings):
            time.sleep(pace.uniform(*GAPS))
            services.complaints.file_case(PUBLIC, filing_command(submission(number)))
            asked = time.perf_counter()
            lag = index.caught_up()
            waits.append(time.perf_counter() - asked)
            if lag.behind:
                raise RuntimeError(f"{label}: the index was still {lag.behind} behind")
    finally:
        stop.set()
        runner.join()
        index.close()
        services.close()
    return Sample(label, filings, time.perf_counter() - started, waits)


def run() -> str:
    rows = []
    with ExitStack() as stack:
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        admin = stack.enter_context(postgres_cluster())
        stores: dict[str, Callable[[str], Settings]] = {
            "SQLite": lambda name: settings_for("sqlite", f"{directory}/{name}"),
            "PostgreSQL": lambda name: settings_for(
                "postgresql", f"{directory}/{name}", stack.enter_context(fresh_database(admin))),
        }
        for store, fresh in stores.items():
            woken = waits_after_filing(fresh("woken"), store_wakeup, "woken")
            polled = waits_after_filing(fresh("polled"), polling, "polled")
            for sample in (woken, polled):
                rows.append([store, sample.label, f"{sample.percentile(50) * 1000:,.1f} ms",
                             f"{sample.percentile(90) * 1000:,.1f} ms",
                             f"{max(sample.latencies) * 1000:,.1f} ms",
                             f"{sample.percentile(50) / polled.percentile(50):.2f}"])
    return (f"Read after write: a page's wait for the case index right after a filing "
            f"({FILINGS} filings, {GAPS[0]}–{GAPS[1]} s apart, projections in a thread).\n"
            + table(rows, ["store", "projection", "p50", "p90", "max", "p50 ÷ polled"]))
