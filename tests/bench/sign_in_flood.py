"""Everyone else's requests during a flood of wrong passwords: search and queue latency before
and during the flood, as a ratio, with sign-in throttling as shipped and with it lifted.

One gunicorn server (2 workers × 4 threads, SQLite) holding CASES cases. A supervisor and a
handler read the search and the TAX queue one request after another (READS of them), first
alone, then while FLOODERS threads post wrong passwords to POST /api/v1/auth/token as fast as
they can, for random usernames and for the handler's own (the flood's requests all come from
127.0.0.1, as a single attacker's would). Without throttling every wrong password costs a
scrypt hash; with it, the flood is answered 429 after the per-address limit, before any hash.
A third run floods GET /healthz at the same concurrency instead, as the reference: what any
flood of cheap requests costs the same server and the same two cores.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from complaints import processes
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from tests.bench.filing import submission
from tests.bench.measure import Sample, table, timed_calls
from tests.fixtures.filing import filing_command
from tests.fixtures.processes import clean_environment, gunicorn_server
from tests.fixtures.stores import TEST_KEK, TEST_SECRET, settings_for

CASES = 300
READS = 300
FLOODERS = 8
PASSWORD = "a long enough bench pass phrase"
# As good as no limit: what the service did before sign-ins were throttled.
LIFTED = "1000000 per minute"


def _prepare(data_dir: str) -> None:
    settings = settings_for("sqlite", data_dir)
    services = build_services(settings, create_tables=True)
    try:
        public = Principal("public", Role.FILER)
        for index in range(CASES):
            services.complaints.file_case(public, filing_command(submission(index)))
        services.staff.register("supervisor", PASSWORD, "supervisor")
        services.staff.register("handler-tax", PASSWORD, "handler", "TAX")
    finally:
        services.close()
    processes.catch_up_projections(settings)  # so the search and the queue find them


def _token(base: str, username: str) -> dict[str, str]:
    answer = requests.post(f"{base}/api/v1/auth/token",
                           json={"username": username, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _reads(base: str, label: str) -> Sample:
    supervisor, handler = _token(base, "supervisor"), _token(base, "handler-tax")
    session = requests.Session()

    def read(index: int) -> None:
        if index % 2:
            answer = session.get(f"{base}/api/v1/cases", params={"text": "退税"},
                                 headers=supervisor, timeout=60)
        else:
            answer = session.get(f"{base}/api/v1/queues/TAX", headers=handler, timeout=60)
        if answer.status_code != 200:
            raise RuntimeError(f"read failed: {answer.status_code} {answer.text[:300]}")

    return timed_calls(label, read, READS)


def _flood(base: str, stop: threading.Event, counts: dict[int, int], cheap: bool) -> None:
    session = requests.Session()
    lock = threading.Lock()
    index = 0
    while not stop.is_set():
        index += 1
        if cheap:
            answer = session.get(f"{base}/healthz", timeout=60)
            with lock:
                counts[answer.status_code] = counts.get(answer.status_code, 0) + 1
            continue
        username = "handler-tax" if index % 4 == 0 else f"guess-{uuid.uuid4().hex[:8]}"
        answer = session.post(f"{base}/api/v1/auth/token",
                              json={"username": username, "password": f"wrong-{index:08}"},
                              timeout=60)
        with lock:
            counts[answer.status_code] = counts.get(answer.status_code, 0) + 1


def _scenario(name: str, limits: str | None = None, cheap: bool = False) -> list[str]:
    with tempfile.TemporaryDirectory() as data_dir:
        _prepare(data_dir)
        env = {**clean_environment(), "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
               "HUIYIN_DATA_DIR": data_dir, "HUIYIN_LOG_LEVEL": "WARNING"}
        if limits:
            env.update(HUIYIN_SIGN_IN_ACCOUNT_LIMITS=limits, HUIYIN_SIGN_IN_ADDRESS_LIMITS=limits)
        with gunicorn_server(env, Path(data_dir) / "gunicorn.log", workers=2) as base:
            _reads(base, "warm-up")
            before = _reads(base, "before")
            stop, counts = threading.Event(), {}
            flooders = [threading.Thread(target=_flood, args=(base, stop, counts, cheap))
                        for _ in range(FLOODERS)]
            started = time.perf_counter()
            for thread in flooders:
                thread.start()
            time.sleep(1)  # let the flood reach its pace
            during = _reads(base, "during")
            stop.set()
            for thread in flooders:
                thread.join()
            seconds = time.perf_counter() - started
    flood = sum(counts.values())
    refused = counts.get(429, 0)
    return [
        name,
        f"{before.percentile(50) * 1000:.1f} / {before.percentile(95) * 1000:.1f} ms",
        f"{during.percentile(50) * 1000:.1f} / {during.percentile(95) * 1000:.1f} ms",
        f"{during.percentile(50) / before.percentile(50):.2f}",
        f"{during.percentile(95) / before.percentile(95):.2f}",
        f"{flood / seconds:,.0f}/s{' (GET /healthz)' if cheap else ''}",
        f"{refused / flood:.1%}" if flood else "-",
    ]


def run() -> str:
    rows = [_scenario("as shipped"), _scenario("lifted", LIFTED),
            _scenario("(a flood of GET /healthz instead)", cheap=True)]
    header = ["sign-in throttling", "reads p50 / p95 before", "during the flood",
              "p50 during ÷ before", "p95 during ÷ before", "wrong passwords", "answered 429"]
    return (f"Search and queue reads ({READS}, one client) before and during a flood of wrong "
            f"passwords ({FLOODERS} clients, one address), gunicorn 2 workers, SQLite, "
            f"{CASES} cases.\n" + table(rows, header))
