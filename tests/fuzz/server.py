"""The API on a real SQLite store, served on 127.0.0.1 for schemathesis, and its callers' tokens."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import make_server

from complaints.processes import run_projections
from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION
from tests.fixtures.stores import settings_for

PASSWORD = "correct horse battery staple"
# The callers schemathesis speaks as: staff accounts made here, and no one (no token).
CALLERS = ("supervisor", "handler-TAX", "anonymous")
# schemathesis files thousands of cases without a token from 127.0.0.1; under the default
# throttle (60 a minute) all but the first would answer 429, and the stateful phase would have
# no case to follow links from. Throttling has its own tests (tests/integration/test_throttling.py);
# the sign-ins keep their default limits here.
ANONYMOUS_FILINGS = "100000 per minute"


@dataclass(frozen=True)
class Served:
    url: str
    tokens: dict[str, str | None]


# The cases led by TAX before schemathesis starts, each left where a handler finds it: by
# category, the steps taken after filing, accepting and assigning, each by the caller named.
# The handler files none of their own, so the case list is where its stateful phase starts; a
# list it asks for by status or category gives a case to follow links from for four statuses
# of seven.
_REPLY = {"outcome": "resolved", "reply": "已退税。"}
_TAX_CASES = (
    ("tax", ()),
    ("financing", ()),
    ("tax", (("handler-TAX", "information-requests", {"items": ["申报表编号"]}),)),
    ("procurement", (("handler-TAX", "responses", _REPLY),)),
    ("tax", (("handler-TAX", "responses", _REPLY), ("supervisor", "close", {}))),
)


def _cases_led_by_tax(client, tokens: dict[str, str | None]) -> None:
    """Filed, accepted and led by TAX, then taken on as _TAX_CASES says, so the case list gives
    every caller cases to follow links to."""
    for number, (category, steps) in enumerate(_TAX_CASES):
        filed = client.post("/api/v1/cases", json={
            "channel": "web", "category": category, "subject": f"出口退税未到账（{number}）",
            "description": "我公司一月申报出口退税，至今未到账。",
            "filer": {"enterprise_name": "黑河市远东商贸有限公司"},
        })
        reference = filed.json["reference"]
        taken = (("supervisor", "accept", {}), ("supervisor", "assign", {"lead": "TAX"}), *steps)
        for caller, step, body in taken:
            reply = client.post(f"/api/v1/cases/{reference}/{step}", json=body,
                                headers={"Authorization": f"Bearer {tokens[caller]}"})
            assert reply.status_code == 200, (step, reply.json)


@contextmanager
def _projections_running(settings) -> Iterator[None]:
    """The read models kept current beside the API, as the projections process of `make run`
    keeps them: the case list and search then list what was filed, and do not wait for it."""
    stop = threading.Event()
    runner = threading.Thread(target=run_projections, args=(settings,),
                              kwargs={"stop": stop, "poll_interval": 0.05}, daemon=True)
    runner.start()
    try:
        yield
    finally:
        stop.set()
        runner.join()


@contextmanager
def served_api(data_dir: str) -> Iterator[Served]:
    settings = settings_for("sqlite", data_dir, HUIYIN_LOG_LEVEL="ERROR",
                            HUIYIN_ANONYMOUS_FILING_LIMITS=ANONYMOUS_FILINGS)
    app = create_app(settings)
    runtime = app.extensions[EXTENSION]
    client = app.test_client()
    tokens: dict[str, str | None] = {"anonymous": None}
    for username in CALLERS[:-1]:
        role, _, department = username.partition("-")
        runtime.services.staff.register(username, PASSWORD, role, department or None)
        reply = client.post("/api/v1/auth/token", json={"username": username,
                                                         "password": PASSWORD})
        tokens[username] = reply.json["access_token"]
    _cases_led_by_tax(client, tokens)
    # werkzeug logs every request at INFO; schemathesis sends thousands.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with _projections_running(settings):
            yield Served(f"http://127.0.0.1:{server.server_port}", tokens)
    finally:
        server.shutdown()
        thread.join()
        runtime.close()
