"""The API on a real store (SQLite file, PostgreSQL database), and helpers that act as its users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from complaints import processes
from complaints.settings import Settings
from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION, Runtime
from tests.fixtures.stores import STORES, settings_for

PASSWORD = "correct horse battery staple"
# Prometheus's bearer token for /metrics.
METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"
# A valid unified social credit code (GB 32100-2015 check character).
CREDIT_CODE = "91350100M000100Y43"


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(store: str, request: pytest.FixtureRequest, tmp_path) -> Settings:
    """Settings on each store in turn; the PostgreSQL one is a fresh database of its own."""
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return settings_for(store, str(tmp_path), url, HUIYIN_LOG_LEVEL="WARNING",
                        HUIYIN_MAX_REQUEST_BYTES="65536", HUIYIN_METRICS_TOKEN=METRICS_TOKEN)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions[EXTENSION].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    return app.extensions[EXTENSION]


class Session:
    """One caller with a bearer token (or none), speaking JSON to the API."""

    def __init__(self, client: FlaskClient, token: str | None, info: dict[str, Any]) -> None:
        self.client = client
        self.token = token
        self.info = info

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        given = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**given, **(extra or {})}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.post(path, json=json, headers=headers, **kwargs)

    def act(self, case: str, command: str, body: dict[str, Any] | None = None, **kwargs: Any):
        """POST one command (accept, assign, responses, …) to a case."""
        return self.post(f"/api/v1/cases/{case}/{command}", json=body, **kwargs)

    def view(self, case: str):
        return self.get(f"/api/v1/cases/{case}")

    def history(self, case: str, as_of: Any = None):
        query = {} if as_of is None else {"as_of": str(as_of)}
        return self.get(f"/api/v1/cases/{case}/history", query_string=query)


class Staff:
    """Staff sign in; an account is created the first time a test needs it."""

    def __init__(self, client: FlaskClient, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime
        self.created: set[str] = set()

    def register(self, *usernames: str) -> None:
        """Create these accounts now rather than at their first sign-in. An account is an event
        in the store, which the read models must pass before a list answers without first
        waiting (a second) for them: a test that catches them up afterwards creates first."""
        for username in usernames:
            if username not in self.created:
                role, _, department = username.partition("-")
                self.runtime.services.staff.register(username, PASSWORD, role,
                                                     department or None)
                self.created.add(username)

    def login(self, username: str) -> Session:
        """`intake`, `supervisor`, `auditor`, or `handler-<DEPT>`, e.g. `handler-TAX`."""
        self.register(username)
        reply = self.client.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert reply.status_code == 200, reply.json
        return Session(self.client, reply.json["access_token"], reply.json)

    def with_token(self, token: str) -> Session:
        """A caller presenting a token of their own making."""
        return Session(self.client, token, {})


@dataclass
class FiledCase:
    reference: str
    case_id: str
    access_code: str
    reply: dict[str, Any]


class Filer:
    """An enterprise filing through the JSON API, then signing in to follow its case."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.anonymous = Session(client, None, {})

    def submission(self, **overrides: Any) -> dict[str, Any]:
        filer = {
            "enterprise_name": "黑河市远东商贸有限公司",
            "credit_code": CREDIT_CODE,
            "contact_person": "王丽",
            "phone": "+86 456 823 1234",
            "email": "wang.li@example.cn",
            "language": "zh",
        }
        filer.update(overrides.pop("filer", {}))
        return {
            "channel": "api",
            "category": "tax",
            "subject": "出口退税三个月未到账",
            "description": "我公司于一月申报出口退税，至今未到账，税务局窗口称系统问题。",
            "filer": filer,
            **overrides,
        }

    def file_case(self, session: Session | None = None, **overrides: Any) -> FiledCase:
        reply = (session or self.anonymous).post("/api/v1/cases", json=self.submission(**overrides))
        assert reply.status_code == 201, reply.json
        body = reply.json
        return FiledCase(body["reference"], body["case_id"], body["access_code"], body)

    def sign_in(self, case: FiledCase) -> Session:
        reply = self.client.post(
            "/api/v1/auth/filer-token",
            json={"reference": case.reference, "access_code": case.access_code},
        )
        assert reply.status_code == 200, reply.json
        return Session(self.client, reply.json["access_token"], reply.json)


class Store:
    """What the event store and the read side hold, for checking that nothing was written."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def head(self) -> int:
        return self.runtime.services.complaints.recorder.max_notification_id() or 0

    def version_of(self, case: FiledCase) -> int:
        app = self.runtime.services.complaints
        return app.load_case(app.resolve_case_id(case.reference)).version

    def catch_up(self) -> int:
        """Bring the read models up to date, as `huiyin projections catch-up` does."""
        return processes.catch_up_projections(self.runtime.services.settings)


@pytest.fixture
def staff(client: FlaskClient, runtime: Runtime) -> Staff:
    return Staff(client, runtime)


@pytest.fixture
def filer(client: FlaskClient) -> Filer:
    return Filer(client)


@pytest.fixture
def event_store(runtime: Runtime) -> Store:
    return Store(runtime)


@pytest.fixture
def assert_error():
    return check_error


def check_error(reply, status: int, error: str | None = None) -> dict[str, Any]:
    """The reply has `status` and the one error shape; returns its body."""
    assert reply.status_code == status, (reply.status_code, reply.get_data(as_text=True))
    body = reply.get_json()
    assert set(body) == {"error", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    if error is not None:
        assert body["error"] == error, body
    return body
