"""Operations endpoints and the API's own documentation."""

from __future__ import annotations

import json
import logging
import re

from complaints.settings import Settings
from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION
from shared.logging_setup import JsonFormatter
from tests.fixtures.stores import TEST_KEK
from tests.integration.conftest import METRICS_TOKEN


def test_healthz_answers_while_the_process_lives(client):
    reply = client.get("/healthz")

    assert reply.status_code == 200
    assert reply.json == {"status": "alive"}


def test_readyz_asks_the_store(client, store):
    reply = client.get("/readyz")

    assert reply.status_code == 200
    assert reply.json["status"] == "ready"
    assert reply.json["store"] == store


def test_readyz_is_503_until_the_stores_tables_exist(store, request, tmp_path, assert_error):
    url = request.getfixturevalue("make_postgres_database")() if store == "postgresql" else ""
    not_initialised = Settings.from_env(
        {
            "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": "x" * 32,
            "HUIYIN_DATA_DIR": str(tmp_path / "empty"),
            "HUIYIN_DATABASE_URL": url,
            "HUIYIN_CREATE_TABLES": "0",
            "HUIYIN_LOG_LEVEL": "ERROR",
        }
    )
    app = create_app(not_initialised)
    try:
        reply = app.test_client().get("/readyz")
    finally:
        app.extensions[EXTENSION].close()

    assert_error(reply, 503, "store_unavailable")


def test_metrics_count_requests_and_cases_by_state(client, filer, staff, event_store):
    intake = staff.login("intake")
    case = filer.file_case()
    intake.act(case.reference, "accept")
    client.get("/api/v1/cases/HY-2026-999999")
    event_store.catch_up()

    reply = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = reply.get_data(as_text=True)

    assert reply.status_code == 200
    assert reply.content_type.startswith("text/plain")
    assert re.search(
        r'huiyin_http_requests_total\{endpoint="cases.file_case",method="POST",status="201"\} 1',
        text,
    )
    assert 'endpoint="cases.get_case",method="GET",status="401"' in text
    assert "huiyin_http_request_duration_seconds_bucket" in text
    assert 'huiyin_cases{status="accepted"} 1.0' in text
    assert 'huiyin_cases{status="closed"} 0.0' in text
    assert "huiyin_read_model_behind_events 0.0" in text


def test_each_request_is_logged_as_one_json_line_with_its_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="complaints.web.requests"):
        reply = client.get("/healthz", headers={"X-Request-Id": "trace-42"})

    (record,) = [r for r in caplog.records if r.name == "complaints.web.requests"]
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert reply.headers["X-Request-Id"] == "trace-42"
    assert entry["request_id"] == "trace-42"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "complaints.web.requests"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)
    assert entry["duration_ms"] >= 0
    assert entry["time"].endswith("+00:00")


def test_every_operation_documents_its_roles_and_its_errors(client):
    spec = client.get("/openapi.json").json

    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post"}
    ]
    assert len(operations) >= 25
    for path, method, operation in operations:
        assert "Roles:" in operation["description"], (method, path)
        if path.startswith("/api/v1/cases/{case}"):
            errors = {status for status in operation["responses"] if status.startswith("4")}
            assert {"401", "403", "404"} <= errors, (method, path)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {
        "error",
        "message",
        "details",
    }


def test_the_docs_page_loads_its_assets_from_the_app(client):
    page = client.get("/docs").get_data(as_text=True)

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    for source in sources:
        assert source.startswith(("/docs/assets/", "/static/")), source
        assert client.get(source).status_code == 200
    assert "/openapi.json" in page
