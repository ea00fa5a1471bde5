"""The real server: gunicorn with two workers, set up by `huiyin init`, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests.fixtures.processes import ServerStartError, gunicorn_server

REQUEST_TIMEOUT_SECONDS = 10
METRICS_TOKEN = "e2e-metrics-token-0123456789abcdefghij"


@pytest.fixture
def server(environment, tmp_path: Path) -> Iterator[str]:
    """gunicorn with two workers serving the app on a free loopback port; its base URL."""
    env = {**environment, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "HUIYIN_METRICS_TOKEN": METRICS_TOKEN}
    with ExitStack() as stack:
        try:
            base = stack.enter_context(gunicorn_server(env, tmp_path / "gunicorn.log"))
        except ServerStartError as error:
            pytest.fail(str(error), pytrace=False)
        yield base


def test_a_case_is_filed_and_read_back_through_gunicorn(server, huiyin):
    created = huiyin(
        "create-user", "intake", "--role", "intake", "--password-stdin", stdin="pw-1234-5678-90\n"
    )
    assert created.returncode == 0, created.stderr
    http = requests.Session()

    filed = http.post(
        f"{server}/api/v1/cases",
        json={
            "channel": "api",
            "category": "cross_border_trade",
            "subject": "Таможенное оформление задерживается",
            "description": "Груз стоит на границе уже неделю.",
            "filer": {"enterprise_name": "ООО Амур Трейд", "language": "ru"},
        },
        headers={"Idempotency-Key": "e2e-1"},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    token = http.post(
        f"{server}/api/v1/auth/token",
        json={"username": "intake", "password": "pw-1234-5678-90"},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # Several reads, so both workers are likely to answer one.
    reads = [
        http.get(
            f"{server}/api/v1/cases/{filed.json()['reference']}",
            headers=bearer,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        for _ in range(6)
    ]

    assert filed.status_code == 201
    assert token.status_code == 200
    assert {read.status_code for read in reads} == {200}
    assert reads[0].json()["subject"] == "Таможенное оформление задерживается"
    assert reads[0].headers["ETag"] == '"1"'


def test_operations_and_docs_answer_through_gunicorn(server):
    http = requests.Session()
    http.post(f"{server}/api/v1/cases", json={}, timeout=REQUEST_TIMEOUT_SECONDS)

    health = http.get(f"{server}/healthz", timeout=REQUEST_TIMEOUT_SECONDS)
    ready = http.get(f"{server}/readyz", timeout=REQUEST_TIMEOUT_SECONDS)
    metrics = http.get(f"{server}/metrics", timeout=REQUEST_TIMEOUT_SECONDS,
                       headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    docs = http.get(f"{server}/docs", timeout=REQUEST_TIMEOUT_SECONDS)
    asset = http.get(f"{server}/docs/assets/swagger-ui-bundle.js", timeout=REQUEST_TIMEOUT_SECONDS)
    spec = http.get(f"{server}/openapi.json", timeout=REQUEST_TIMEOUT_SECONDS)

    assert health.json() == {"status": "alive"}
    assert ready.json()["status"] == "ready"
    assert metrics.status_code == 200
    assert 'huiyin_http_requests_total{endpoint="cases.file_case",method="POST",status="422"}' in (
        metrics.text
    )
    assert "huiyin_cases{" in metrics.text
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert asset.status_code == 200
    assert spec.json()["info"]["title"] == "Huiyin complaints API"
