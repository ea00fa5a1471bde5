"""The notify consumer on a real Kafka broker and on the embedded stream: handle, then commit."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from notify.runner import notify_once, run_notify
from notify.settings import NotifySettings
from shared.contract.dead_letters import decode_dead_letter
from shared.contract.receipts import decode_receipt
from shared.contract.topics import CASE_EVENTS, NOTIFY_DEAD_LETTER, RECEIPTS
from shared.stream.base import Outgoing
from shared.stream.factory import open_publisher, open_subscription, prepare_topics
from tests.fixtures.processes import BIN, ROOT, clean_environment
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.unit.test_notify_envelopes import case_event, filer, wire_bytes

WAIT_SECONDS = 60


def notify_environment(data_dir: Path, smtp_port: int, kafka: str = "") -> dict[str, str]:
    return {
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "HUIYIN_DATA_DIR": str(data_dir),
        "HUIYIN_SMTP_HOST": "127.0.0.1",
        "HUIYIN_SMTP_PORT": str(smtp_port),
        "HUIYIN_NOTIFY_BACKOFF": "0",
        "HUIYIN_WEBHOOK_ALLOW_LOOPBACK": "1",  # the test's receivers are on loopback
        "HUIYIN_LOG_LEVEL": "WARNING",
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
    }


@pytest.fixture(params=["embedded", "kafka"])
def environment(request, tmp_path, smtp_server) -> dict[str, str]:
    # A broker of this test's own: group `notify` and the fixed topics are not shared.
    kafka = request.getfixturevalue("kafka_broker").bootstrap if request.param == "kafka" else ""
    return notify_environment(tmp_path / "var", smtp_server.port, kafka)


@pytest.fixture
def settings(environment) -> NotifySettings:
    settings = NotifySettings.from_env(environment)
    prepare_topics(settings.shared)
    return settings


def publish_events(settings: NotifySettings, *values: bytes) -> None:
    publisher = open_publisher(settings.shared)
    try:
        publisher.publish(CASE_EVENTS, [Outgoing(str(uuid.uuid4()), value) for value in values])
    finally:
        publisher.close()


def read_topic(settings: NotifySettings, topic: str, count: int) -> list[bytes]:
    """`count` messages of `topic`, read by a group of the test's own."""
    subscription = open_subscription(settings.shared, f"test-{uuid.uuid4().hex[:8]}", [topic])
    values: list[bytes] = []
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while len(values) < count and time.monotonic() < deadline:
            values += [message.value for message in subscription.poll(1.0)]
    finally:
        subscription.close()
    return values


def wait_until(what: str, check, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"waited {seconds}s for {what}"
        time.sleep(0.1)


def test_notify_once_handles_every_event_commits_and_handles_none_again(settings, smtp_server):
    envelopes = [case_event("case.filed", reference=f"HY-2026-00010{n}") for n in range(3)]
    publish_events(settings, *map(wire_bytes, envelopes), b"not an envelope")

    assert notify_once(settings, wait_seconds=WAIT_SECONDS) == 4

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "anna.petrova@amur-export.example"] * 3
    receipts = [decode_receipt(value) for value in read_topic(settings, RECEIPTS, 3)]
    assert sorted((r.case_id, tuple(d.channel for d in r.channels)) for r in receipts) == sorted(
        (e.case_id, ("inbox", "email")) for e in envelopes)
    (letter,) = [decode_dead_letter(v) for v in read_topic(settings, NOTIFY_DEAD_LETTER, 1)]
    assert "not UTF-8 JSON" in letter.last_error
    assert notify_once(settings, wait_seconds=1) == 0
    assert len(smtp_server.messages) == 3


def test_an_escalation_reaches_the_supervisor_and_a_historical_filing_emails_nobody(
    settings, smtp_server
):
    imported = case_event("case.filed", reference="HY-2019-000007", historical=True)
    escalated = case_event("case.escalated", reference="HY-2026-000108", department="CUSTOMS")
    publish_events(settings, wire_bytes(imported), wire_bytes(escalated))

    assert notify_once(settings, wait_seconds=WAIT_SECONDS) == 2

    by_address = {m["To"]: m for m in smtp_server.messages}
    assert sorted(by_address) == ["customs@huiyin.example", "supervision@huiyin.example"]
    supervisor = by_address["supervision@huiyin.example"]
    assert supervisor["Subject"].startswith("【督办】投诉 HY-2026-000108")
    assert "责任单位：海关" in supervisor.get_body(("plain",)).get_content()
    assert all(m["X-Huiyin-Reference"] == "HY-2026-000108" for m in smtp_server.messages)


def test_the_running_consumer_notifies_as_events_arrive_and_stops_when_told(
    settings, smtp_server
):
    stop = threading.Event()
    worker = threading.Thread(target=run_notify, args=(settings,), kwargs={"stop": stop})
    worker.start()
    try:
        publish_events(settings, wire_bytes(case_event("case.filed", language="zh")))
        wait_until("the filing email", lambda: smtp_server.messages)
        publish_events(settings, wire_bytes(case_event("case.closed", language="en")))
        wait_until("the closing email", lambda: len(smtp_server.messages) == 2)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    first, second = smtp_server.messages
    assert first["Subject"].startswith("您的投诉已收到") and second["Subject"].startswith("Your")


def test_the_command_runs_until_sigterm_and_exits_cleanly(tmp_path, smtp_server,
                                                          webhook_receiver):
    environment = notify_environment(tmp_path / "var", smtp_server.port)
    settings = NotifySettings.from_env(environment)
    details = filer(notify_by=["email", "webhook"], webhook_url=webhook_receiver.url)
    publish_events(settings, wire_bytes(case_event("case.filed", filer_details=details)))
    log = Path(tmp_path / "notify.log")
    with log.open("w") as output:
        process = subprocess.Popen([str(BIN / "huiyin-notify"), "run"], cwd=ROOT,
                                   env={**clean_environment(), **environment,
                                        "HUIYIN_LOG_LEVEL": "INFO"},
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until("the email and the webhook", lambda: (
            process.poll() is not None or (smtp_server.messages and webhook_receiver.accepted)))
        assert process.poll() is None, log.read_text()
    finally:
        os.kill(process.pid, signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text()
    assert "notify: stopped" in log.read_text()
