"""Filing throughput and latency: through HTTP (gunicorn, 2 workers) against in process, and
on PostgreSQL with 16 concurrent clients, group commit against a save per request.

Beside the rates, the CPU a filing costs the serving side: over HTTP gunicorn's processes
(and PostgreSQL's), in process the application's own process (and PostgreSQL's). The HTTP
clients run on the same two cores, so the rate pays for them too; that CPU column does not,
and says what the request stack itself costs against filing in process."""

from __future__ import annotations

import tempfile
from pathlib import Path

import requests

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from tests.bench.measure import Sample, own_and_servers_cpu, servers_cpu, table, timed_calls
from tests.fixtures.filing import filing_command
from tests.fixtures.postgres import fresh_database
from tests.fixtures.processes import clean_environment, gunicorn_server, postgres_cluster
from tests.fixtures.stores import TEST_KEK, TEST_SECRET, settings_for

CASES = 2000
HTTP_CLIENTS = 4
CONCURRENT_CLIENTS = 16
SUBJECTS = [
    ("tax", "出口退税三个月未到账", "我公司于今年申报的出口退税至今未到账，影响资金周转。"),
    ("cross_border_trade", "Задержка таможенного оформления",
     "Груз стоит на таможне уже десять дней без объяснения причин."),
    ("licensing", "Food licence renewal stalled",
     "Our renewal was accepted at the window but nothing has happened for six weeks."),
]


def submission(index: int) -> dict:
    category, subject, description = SUBJECTS[index % len(SUBJECTS)]
    return {
        "channel": "web",
        "category": category,
        "subject": f"{subject} #{index}",
        "description": description,
        "filer": {"enterprise_name": f"黑河边贸有限公司{index}",
                  "credit_code": "91110000802100433B", "language": "zh"},
    }


def in_process(store: str, data_dir: str, database_url: str = "", *, clients: int = 1,
               group_commit: bool = True) -> Sample:
    settings = settings_for(store, data_dir, database_url,
                            HUIYIN_GROUP_COMMIT="1" if group_commit else "0")
    services = build_services(settings, create_tables=True)
    public = Principal("public", Role.FILER)
    label = f"{store} in process" + (
        f", {clients} clients, " + ("group commit" if group_commit else "a save per request")
        if clients > 1 else "")
    try:
        return timed_calls(
            label,
            lambda i: services.complaints.file_case(public, filing_command(submission(i))), CASES,
            concurrency=clients, cpu=own_and_servers_cpu,
        )
    finally:
        services.close()


def over_http(store: str, data_dir: str, database_url: str = "") -> Sample:
    env = {**clean_environment(), "HUIYIN_KEK": TEST_KEK,
           "HUIYIN_SECRET_KEY": TEST_SECRET, "HUIYIN_DATA_DIR": data_dir,
           "HUIYIN_DATABASE_URL": database_url, "HUIYIN_LOG_LEVEL": "WARNING",
           # Every filing comes from 127.0.0.1 without login: lift the per-address limit.
           "HUIYIN_ANONYMOUS_FILING_LIMITS": "1000000 per minute"}
    with gunicorn_server(env, Path(data_dir) / "gunicorn.log", workers=2) as base:
        sessions: dict[int, requests.Session] = {}

        def file(index: int) -> None:
            session = sessions.setdefault(index % HTTP_CLIENTS, requests.Session())
            answer = session.post(f"{base}/api/v1/cases", json=submission(index), timeout=30)
            if answer.status_code != 201:
                raise RuntimeError(f"filing failed: {answer.status_code} {answer.text[:300]}")

        return timed_calls(f"{store} HTTP", file, CASES, concurrency=HTTP_CLIENTS,
                           cpu=servers_cpu)


def run() -> str:
    pairs: list[tuple[Sample, Sample]] = []
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        pairs.append((over_http("sqlite", a), in_process("sqlite", b)))
    with (
        postgres_cluster() as admin,
        fresh_database(admin) as first,
        fresh_database(admin) as second,
        fresh_database(admin) as third,
        fresh_database(admin) as fourth,
        tempfile.TemporaryDirectory() as a,
        tempfile.TemporaryDirectory() as b,
        tempfile.TemporaryDirectory() as c,
        tempfile.TemporaryDirectory() as d,
    ):
        pairs.append((over_http("postgresql", a, first), in_process("postgresql", b, second)))
        # The baseline first: a save per request, as filing was before group commit.
        alone = in_process("postgresql", c, third, clients=CONCURRENT_CLIENTS,
                           group_commit=False)
        grouped = in_process("postgresql", d, fourth, clients=CONCURRENT_CLIENTS)
        pairs.append((grouped, alone))
    rows = []
    for measured, baseline in pairs:
        for sample in (measured, baseline):
            rows.append([
                sample.label, f"{sample.count}", f"{sample.throughput:,.0f}/s",
                f"{sample.percentile(50) * 1000:.1f} ms", f"{sample.percentile(99) * 1000:.1f} ms",
                f"{sample.throughput / baseline.throughput:.2f}",
                f"{sample.percentile(50) / baseline.percentile(50):.1f}",
                f"{(sample.cpu_per_call or 0) * 1000:.2f} ms",
                f"{(sample.cpu_per_call or 0) / (baseline.cpu_per_call or 1):.2f}",
            ])
    header = ["filing", "cases", "throughput", "p50", "p99", "throughput ÷ baseline",
              "p50 ÷ baseline", "server CPU a filing", "CPU ÷ baseline"]
    return (f"Filing {CASES} cases: HTTP through gunicorn (2 workers, {HTTP_CLIENTS} clients)"
            f" against the application called in process (1 thread, the baseline), per store;"
            f" then {CONCURRENT_CLIENTS} clients in process on PostgreSQL, group commit against"
            f" a save per request (the baseline). Server CPU: gunicorn's processes over HTTP, the"
            f" application's in process, PostgreSQL's in both; the clients' own is left out.\n"
            + table(rows, header))
