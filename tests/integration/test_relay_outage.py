"""The broker goes away while cases are filed and comes back: the relay skips and reorders none."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

import pytest

from complaints.following import is_case_event
from complaints.processes import run_relay
from shared.contract.envelope import Envelope, decode_envelope
from shared.contract.topics import CASE_EVENTS
from shared.stream import kafka as kafka_stream
from shared.stream.kafka import KafkaSubscription

WAIT_SECONDS = 90


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS}s for {what}"
        time.sleep(0.1)


def read_until(bootstrap: str, done: Callable[[list[Envelope]], bool]) -> list[Envelope]:
    """Everything on huiyin.case-events from the start, read until `done` says it is all there."""
    reader = KafkaSubscription(bootstrap, f"check-{uuid.uuid4().hex}", [CASE_EVENTS])
    envelopes: list[Envelope] = []
    try:
        wait_until(lambda: done(envelopes) or bool(
            envelopes.extend(decode_envelope(m.value) for m in reader.poll(0.5))), "the events")
    finally:
        reader.close()
    return envelopes


def stored_case_events(runtime) -> set[tuple[uuid.UUID, int]]:
    notifications = runtime.services.complaints.recorder.select_notifications(
        start=0, limit=10_000, inclusive_of_start=False
    )
    return {(uuid.UUID(str(n.originator_id)), n.originator_version)
            for n in notifications if is_case_event(n)}


@pytest.fixture
def quick_failures(monkeypatch):
    """Shorter broker timeouts, so an outage is noticed in seconds instead of half a minute."""
    monkeypatch.setattr(kafka_stream, "CONNECT_TIMEOUT_MS", 3_000)
    monkeypatch.setattr(kafka_stream, "REQUEST_TIMEOUT_MS", 3_000)
    monkeypatch.setattr(kafka_stream, "DELIVERY_TIMEOUT_MS", 6_000)


def test_after_a_broker_outage_every_event_is_published_in_order_and_none_skipped(
    settings, kafka_broker, quick_failures, runtime, filer, staff, caplog
):
    caplog.set_level(logging.INFO, logger="complaints.streaming")
    relay_settings = dataclasses.replace(settings, kafka_bootstrap_servers=kafka_broker.bootstrap)
    intake = staff.login("intake")
    stop = threading.Event()
    relay = threading.Thread(target=run_relay, args=(relay_settings,),
                             kwargs={"stop": stop, "poll_interval": 0.1})
    relay.start()
    try:
        before = [filer.file_case() for _ in range(5)]
        read_until(kafka_broker.bootstrap, lambda envelopes: len(envelopes) >= len(before))

        kafka_broker.stop()
        during = []
        for _ in range(10):
            during.append(case := filer.file_case())
            assert intake.act(case.reference, "accept").status_code == 200
        wait_until(lambda: "is unavailable" in caplog.text, "the relay to notice the outage")
        during += [filer.file_case() for _ in range(5)]
        kafka_broker.resume()

        expected = stored_case_events(runtime)
        envelopes = read_until(kafka_broker.bootstrap, lambda envelopes: expected <= {
            (e.case_id, e.case_version) for e in envelopes})
    finally:
        stop.set()
        relay.join(WAIT_SECONDS)
    assert not relay.is_alive()

    assert len(expected) == 5 + 10 * 2 + 5
    first_seen: dict[uuid.UUID, list[int]] = defaultdict(list)
    for envelope in envelopes:
        if envelope.case_version not in first_seen[envelope.case_id]:
            first_seen[envelope.case_id].append(envelope.case_version)
    assert all(versions == list(range(1, len(versions) + 1)) for versions in first_seen.values())
    outage_lines = [r.getMessage() for r in caplog.records
                    if r.name.startswith("complaints.streaming") and r.levelno >= logging.WARNING]
    assert len(outage_lines) == 2, outage_lines
    assert "is unavailable" in outage_lines[0] and "is back" in outage_lines[1]
