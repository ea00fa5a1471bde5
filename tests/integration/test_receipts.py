"""Receipts from notify become the case's history once each, on both stores and both streams."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from complaints.processes import receive_once, run_receipts
from complaints.settings import Settings
from shared.contract.envelope import event_id_for
from shared.contract.receipts import Receipt, encode_receipt
from shared.contract.topics import RECEIPTS, RECEIPTS_GROUP
from shared.stream.base import Outgoing
from shared.stream.embedded import EmbeddedLog
from shared.stream.factory import open_publisher, prepare_topics

WAIT_SECONDS = 60
SENT_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture(params=["kafka", "embedded"])
def stream_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The store's settings on a stream; on Kafka, with what earlier tests left there drained."""
    if request.param == "embedded":
        return settings
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    on_kafka = dataclasses.replace(settings, kafka_bootstrap_servers=bootstrap)
    prepare_topics(on_kafka)
    receive_once(on_kafka)  # the store is empty yet: anything waiting is skipped and committed
    return on_kafka


def receipt(case_id: str, receipt_id: str, **changes) -> Receipt:
    fields = {
        "receipt_id": receipt_id, "case_id": uuid.UUID(case_id),
        "event_id": event_id_for(uuid.UUID(case_id), 1), "delivered": True, "channel": "email",
        "template": "case.filed", "message_id": f"<{receipt_id}@mail.example>",
        "sent_at": SENT_AT, "text": "您的投诉已收到，访问码 ****-****-****",
    }
    return Receipt(**{**fields, **changes})


def publish(settings: Settings, *items: Receipt | bytes) -> None:
    publisher = open_publisher(settings)
    try:
        publisher.publish(RECEIPTS, [
            Outgoing(str(item.case_id), encode_receipt(item)) if isinstance(item, Receipt)
            else Outgoing("garbage", item)
            for item in items
        ])
    finally:
        publisher.close()


def history_types(owner, case) -> list[str]:
    reply = owner.history(case.reference)
    assert reply.status_code == 200, reply.json
    return [event["type"] for event in reply.json["events"]]


def test_a_receipt_delivered_twice_is_recorded_once(stream_settings, filer, runtime):
    case = filer.file_case()
    told = receipt(case.case_id, "notification-1")
    failed = receipt(case.case_id, "notification-2", delivered=False, channel="sms",
                     message_id="", text="", reason="the SMS gateway refused the number")
    publish(stream_settings, told, told, failed, failed)

    assert receive_once(stream_settings) == 4
    assert receive_once(stream_settings) == 0

    stored = runtime.services.complaints.load_case(uuid.UUID(case.case_id))
    assert [m["notification_id"] for m in stored.messages] == ["notification-1"]
    assert stored.messages[0]["text"] == told.text
    assert stored.messages[0]["sent_at"] == SENT_AT
    assert stored.failed_notifications == ["notification-2"]
    assert stored.version == 3


def test_the_filer_sees_in_the_case_what_they_were_sent(stream_settings, filer):
    case = filer.file_case()
    publish(stream_settings, receipt(case.case_id, "notification-1"))
    assert receive_once(stream_settings) == 1

    reply = filer.sign_in(case).view(case.reference)

    assert reply.status_code == 200, reply.json
    assert "您的投诉已收到" in str(reply.json)


def test_a_receipt_that_can_never_be_recorded_is_logged_and_not_retried(
    stream_settings, filer, runtime, caplog
):
    case = filer.file_case()
    stranger = receipt(str(uuid.uuid4()), "notification-9")
    publish(stream_settings, stranger, b"{not json", receipt(case.case_id, "notification-1"))

    assert receive_once(stream_settings) == 3
    assert receive_once(stream_settings) == 0

    assert runtime.services.complaints.load_case(uuid.UUID(case.case_id)).version == 2
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(str(stranger.case_id) in line for line in warned)
    assert any("breaks the contract" in line for line in warned)


def test_the_receipts_process_records_receipts_as_they_arrive_and_stops_cleanly(
    stream_settings, filer, runtime
):
    case = filer.file_case()
    app = runtime.services.complaints
    stop = threading.Event()
    process = threading.Thread(target=run_receipts, args=(stream_settings,),
                               kwargs={"stop": stop})
    process.start()
    try:
        for n in range(3):
            publish(stream_settings, receipt(case.case_id, f"notification-{n}"))
        wait_for(lambda: len(app.load_case(uuid.UUID(case.case_id)).messages) == 3,
                 "the receipts to be recorded")
    finally:
        stop.set()
        process.join(WAIT_SECONDS)
    assert not process.is_alive()
    assert receive_once(stream_settings) == 0  # all committed


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgresql"])
def test_a_store_outage_holds_receipts_back_uncommitted_until_the_store_returns(
    settings, postgres_admin_url, filer, runtime, caplog
):
    case = filer.file_case()
    database = urlsplit(settings.database_url).path.lstrip("/")
    stop = threading.Event()
    process = threading.Thread(target=run_receipts, args=(settings,), kwargs={"stop": stop})
    process.start()
    try:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(
                sql.Identifier(database)))
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
            publish(settings, receipt(case.case_id, "notification-1"))
            wait_for(lambda: "the event store is unavailable" in caplog.text, "the outage")
            assert committed_receipts(settings) == 0
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(
                sql.Identifier(database)))
        wait_for(lambda: committed_receipts(settings) == 1, "the receipt to be recorded")
    finally:
        stop.set()
        process.join(WAIT_SECONDS)
    assert not process.is_alive()
    stored = runtime.services.complaints.load_case(uuid.UUID(case.case_id))
    assert [m["notification_id"] for m in stored.messages] == ["notification-1"]


def committed_receipts(settings: Settings) -> int:
    log = EmbeddedLog(settings.stream_path)
    try:
        return log.committed(RECEIPTS_GROUP, RECEIPTS)
    finally:
        log.close()


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS}s for {what}"
        time.sleep(0.1)
