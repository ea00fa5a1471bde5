"""The API on a real SQLite store, served on 127.0.0.1 for schemathesis, and its callers' tokens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import make_server

from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION
from tests.fixtures.stores import settings_for

PASSWORD = "correct horse battery staple"
# The callers schemathesis speaks as: staff accounts made here, and no one (no token).
CALLERS = ("supervisor", "handler-TAX", "anonymous")


@dataclass(frozen=True)
class Served:
    url: str
    tokens: dict[str, str | None]


@contextmanager
def served_api(data_dir: str) -> Iterator[Served]:
    app = create_app(settings_for("sqlite", data_dir, HUIYIN_LOG_LEVEL="ERROR"))
    runtime = app.extensions[EXTENSION]
    client = app.test_client()
    tokens: dict[str, str | None] = {"anonymous": None}
    for username in CALLERS[:-1]:
        role, _, department = username.partition("-")
        runtime.services.staff.register(username, PASSWORD, role, department or None)
        reply = client.post("/api/v1/auth/token", json={"username": username,
                                                         "password": PASSWORD})
        tokens[username] = reply.json["access_token"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", tokens)
    finally:
        server.shutdown()
        thread.join()
        runtime.close()
