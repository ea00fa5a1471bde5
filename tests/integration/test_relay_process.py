"""`huiyin relay run` and `huiyin receipts run` as operators run them: follow, stop, resume."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from complaints.settings import Settings
from shared.contract.envelope import decode_envelope
from shared.contract.receipts import Receipt, encode_receipt
from shared.contract.topics import CASE_EVENTS, RECEIPTS
from shared.stream.base import Outgoing
from shared.stream.embedded import EmbeddedLog, EmbeddedPublisher
from tests.fixtures.processes import BIN, ServiceProcess, clean_environment
from tests.fixtures.stores import TEST_KEK

WAIT_SECONDS = 60


@pytest.fixture
def start(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start `huiyin ARGS…` on the test's store and embedded stream; stopped at the end."""
    env = clean_environment()
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.update({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": settings.secret_key,
        "HUIYIN_DATA_DIR": str(settings.data_dir),
        "HUIYIN_DATABASE_URL": settings.database_url,
        "HUIYIN_LOG_LEVEL": "INFO",
        "HUIYIN_LOG_FORMAT": "text",
    })
    started: list[ServiceProcess] = []

    def run(*args: str) -> ServiceProcess:
        name = f"{'-'.join(args)}-{len(started)}"
        started.append(process := ServiceProcess(name, [str(BIN / "huiyin"), *args], env,
                                                 tmp_path).start())
        return process

    yield run
    for process in started:
        process.kill()


def wait_until(condition: Callable[[], bool], what: str, process: ServiceProcess) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert process.process.poll() is None, f"{process.name} died:\n{process.log_tail()}"
        assert time.monotonic() < deadline, f"waited for {what}:\n{process.log_tail()}"
        time.sleep(0.1)


def published(settings: Settings) -> list[tuple[str, int]]:
    if not settings.stream_path.exists():
        return []
    log = EmbeddedLog(settings.stream_path)
    try:
        envelopes = [decode_envelope(m.value) for m in log.read(CASE_EVENTS, 0, 10_000)]
    finally:
        log.close()
    return [(e.data["case"]["reference"], e.case_version) for e in envelopes]


def stop_cleanly(process: ServiceProcess) -> None:
    process.stop(timeout=WAIT_SECONDS)
    assert process.process.returncode == 0, process.log_tail()


def test_the_relay_process_stops_on_sigterm_and_resumes_where_it_stopped(
    settings, start, filer, staff
):
    first = [filer.file_case() for _ in range(3)]
    relay = start("relay", "run")
    wait_until(lambda: len(published(settings)) == 3, "three filings", relay)
    stop_cleanly(relay)
    assert "relay: stopped" in relay.log_tail()

    staff.login("intake").act(first[0].reference, "accept")
    later = filer.file_case()
    relay = start("relay", "run")
    wait_until(lambda: len(published(settings)) == 5, "two more events", relay)
    stop_cleanly(relay)

    assert published(settings) == [
        *[(case.reference, 1) for case in first], (first[0].reference, 2), (later.reference, 1)]


def test_the_receipts_process_records_what_arrives_and_stops_on_sigterm(
    settings, start, filer, runtime
):
    case = filer.file_case()
    receipts = start("receipts", "run")
    publisher = EmbeddedPublisher(settings.stream_path)
    receipt = Receipt(
        receipt_id="notification-1", case_id=uuid.UUID(case.case_id), event_id=uuid.uuid4(),
        delivered=True, channel="email", template="case.filed", message_id="<m1@example>",
        sent_at=datetime(2026, 3, 2, tzinfo=UTC), text="收到",
    )
    publisher.publish(RECEIPTS, [Outgoing(case.case_id, encode_receipt(receipt))] * 2)
    publisher.close()
    app = runtime.services.complaints

    wait_until(lambda: app.load_case(uuid.UUID(case.case_id)).messages, "the receipt", receipts)
    stop_cleanly(receipts)

    assert [m["notification_id"] for m in app.load_case(uuid.UUID(case.case_id)).messages] == [
        "notification-1"]
