"""The read paths a province's staff use all day, timed through the running service (gunicorn,
2 workers) from a client on loopback: each request's whole time, so an upper bound of the
server's."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from tests.bench.measure import Sample

PASSWORD = "bench-password-0123456789"
# Each path is asked this many times after a few warm-up requests, or for this long at most
# (today's slow paths would otherwise take an hour at a million cases).
REQUESTS, WARM_UP, MOST_SECONDS = 60, 3, 40.0
TIMEOUT = 600


@dataclass(frozen=True)
class Reader:
    """A signed-in member of staff: a token for the API, a session for the pages."""

    headers: dict[str, str]
    pages: requests.Session


def sign_in(base: str, username: str) -> Reader:
    http = requests.Session()
    answer = http.post(f"{base}/api/v1/auth/token", timeout=30,
                       json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    form = http.get(f"{base}/staff/sign-in", timeout=30)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    signed = http.post(f"{base}/staff/sign-in", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf.group(1) if csrf else "", "username": username, "password": PASSWORD,
    })
    if signed.status_code != 303:
        raise RuntimeError(f"signing in to the pages answered {signed.status_code}")
    return Reader({"Authorization": f"Bearer {answer.json()['access_token']}"}, http)


def timed_path(label: str, request: Callable[[int], requests.Response],
               count: int = REQUESTS) -> Sample:
    """`request(i)` answered 200 each time, timed; at most `count` times or MOST_SECONDS."""
    for index in range(WARM_UP):
        _checked(label, request(index))
    latencies: list[float] = []
    started = time.perf_counter()
    for index in range(count):
        before = time.perf_counter()
        _checked(label, request(index))
        latencies.append(time.perf_counter() - before)
        if time.perf_counter() - started > MOST_SECONDS:
            break
    return Sample(label, len(latencies), time.perf_counter() - started, latencies)


def _checked(label: str, answer: requests.Response) -> None:
    if answer.status_code != 200:
        raise RuntimeError(f"{label}: {answer.status_code} {answer.text[:300]}")


def measure(base: str, supervisor: Reader, handler: Reader, department: str,
            references: list[str], count: int = REQUESTS) -> list[Sample]:
    """Every read path's sample, in the order the table shows them."""
    api = f"{base}/api/v1"
    http = requests.Session()
    draw = random.Random(7)

    def get(url: str, reader: Reader, **params: object) -> Callable[[int], requests.Response]:
        return lambda _index: http.get(url, params=params, headers=reader.headers,
                                       timeout=TIMEOUT)

    def case(suffix: str) -> Callable[[int], requests.Response]:
        return lambda _index: http.get(f"{api}/cases/{draw.choice(references)}{suffix}",
                                       headers=supervisor.headers, timeout=TIMEOUT)

    one_year = {"from": "2025-01-01", "to": "2025-12-31"}
    five_years = {"from": "2021-01-01", "to": "2025-12-31"}
    paths: list[tuple[str, Callable[[int], requests.Response]]] = [
        ("department queue, first page", get(f"{api}/queues/{department}", handler)),
        ("search \"credit report\"", get(f"{api}/cases", supervisor, text="credit report")),
        ("search \"物业 小区\"", get(f"{api}/cases", supervisor, text="物业 小区")),
        ("cases by status", get(f"{api}/cases", supervisor, status="assigned")),
        ("case view", case("")),
        ("case history", case("/history")),
        ("scorecards, one year", get(f"{api}/scorecards", supervisor, **one_year)),
        ("scorecards, five years", get(f"{api}/scorecards", supervisor, **five_years)),
        ("scorecards, five years, one department",
         get(f"{api}/scorecards", supervisor, department=department, **five_years)),
        ("dashboard page, one year", lambda _index: supervisor.pages.get(
            f"{base}/staff/dashboard", params=one_year, timeout=TIMEOUT)),
    ]
    return [timed_path(label, request, count) for label, request in paths]
