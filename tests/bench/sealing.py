"""What sealing personal data costs filing: the same build with encryption and without it.

Two applications on two fresh stores of the same kind, one with the installation's key ring
(each case gets a data key, wrapped and stored with its first event; every personal value
sealed with AES-256-GCM) and one with none (`key_ring=None`: nothing sealed, no key stored).
They file the same submissions, eight personal values each (all but a webhook URL),
interleaved call by call, so the machine's other load falls on both alike; the figure is the
ratio of their throughputs.
Filing is called in process, one thread, as the filing benchmark's baseline is.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from complaints.adapters.store_config import store_env
from complaints.application.principals import Principal
from complaints.application.routing import RoutingTable
from complaints.application.service import Complaints
from complaints.domain.values import Role
from complaints.timelimits.deadlines import Deadlines
from tests.bench.filing import submission
from tests.bench.measure import Sample, table
from tests.fixtures.filing import filing_command
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import postgres_cluster
from tests.fixtures.stores import settings_for

BLOCKS = 12
PAIRS = 150  # per block: one filing of each kind, their order alternating
WARM_UP = 50
LIMIT = 0.10  # the bound on what sealing may cost filing
PUBLIC = Principal("public", Role.FILER)


def personal(index: int) -> dict:
    """A filing with every personal field but a webhook URL filled in: 8 values to seal."""
    values = submission(index)
    values["happened_at_place"] = f"黑河市爱辉区边贸大街{index}号"
    values["filer"] = {
        **values["filer"],
        "contact_person": f"王经理{index}", "phone": f"+86 139{index:08d}",
        "email": f"manager{index}@heihe-trade.example", "language": "zh",
    }
    return values


@contextmanager
def application(store: str, database_url: str, *, sealed: bool) -> Iterator[Complaints]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = settings_for(store, data_dir, database_url)
        app = Complaints(
            store_env(settings, create_tables=True),
            secret_key=settings.secret_key,
            routing=RoutingTable.load(),
            deadlines=Deadlines.load(settings.calendar_dir),
            key_ring=settings.key_ring if sealed else None,
        )
        try:
            yield app
        finally:
            app.close()


def compare(store: str, urls: tuple[str, str] = ("", "")) -> list[tuple[Sample, Sample]]:
    """(sealed, plain) per block: the two kinds of filing interleaved call by call, so a
    moment of the machine's other load falls on both alike."""
    with (
        application(store, urls[0], sealed=True) as with_keys,
        application(store, urls[1], sealed=False) as without,
    ):
        counter = iter(range(10**9))

        def once(app: Complaints) -> float:
            values = filing_command(personal(next(counter)))
            started = time.perf_counter()
            app.file_case(PUBLIC, values)
            return time.perf_counter() - started

        for _ in range(WARM_UP):
            once(with_keys), once(without)
        blocks = []
        for _ in range(BLOCKS):
            times: dict[bool, list[float]] = {True: [], False: []}
            for pair in range(PAIRS):
                for sealed in ((True, False) if pair % 2 == 0 else (False, True)):
                    times[sealed].append(once(with_keys if sealed else without))
            blocks.append(tuple(
                Sample(f"{store} {'sealed' if sealed else 'plain'}", PAIRS,
                       sum(times[sealed]), times[sealed])
                for sealed in (True, False)
            ))
        return blocks


def run() -> str:
    results = {"sqlite": compare("sqlite")}
    with ExitStack() as stack:
        admin = stack.enter_context(postgres_cluster())
        urls = (stack.enter_context(fresh_database(admin)),
                stack.enter_context(fresh_database(admin)))
        results["postgresql"] = compare("postgresql", urls)
    rows = []
    verdicts = []
    for store, blocks in results.items():
        sealed, plain = [block[0] for block in blocks], [block[1] for block in blocks]
        with_rate = statistics.median(sample.throughput for sample in sealed)
        without_rate = statistics.median(sample.throughput for sample in plain)
        ratios = [s.throughput / p.throughput for s, p in blocks]
        ratio = statistics.median(ratios)
        # The quickest tenth of the calls: those the machine's other work left alone.
        quick = [statistics.median(sample.percentile(p) for sample in kind)
                 for p in (10, 50) for kind in (sealed, plain)]
        rows.append([
            store, f"{with_rate:,.0f}/s", f"{without_rate:,.0f}/s", f"{ratio:.3f}",
            f"{min(ratios):.3f}–{max(ratios):.3f}", f"{(1 - ratio) * 100:.1f} %",
            f"{quick[2] * 1000:.2f} / {quick[3] * 1000:.2f} ms",
            f"{quick[0] * 1000:.2f} / {quick[1] * 1000:.2f} ms ({quick[0] / quick[1]:.3f})",
        ])
        verdicts.append(f"{store}: {'within' if 1 - ratio <= LIMIT else 'OVER'} the "
                        f"{LIMIT:.0%} bound")
    header = ["store", "sealed", "plain", "sealed ÷ plain", "range of blocks", "cost",
              "p50 sealed / plain", "p10 sealed / plain (ratio)"]
    return (
        f"Filing with personal data sealed (a data key per case, AES-256-GCM, 8 personal "
        f"values) against the same build without a key ring, in process, one thread: "
        f"{BLOCKS} blocks of {PAIRS} filings of each kind, interleaved call by call; the "
        f"medians of the blocks.\n"
        + table(rows, header) + "\n" + "; ".join(verdicts)
    )
