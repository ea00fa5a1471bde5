"""Nothing personal in clear on the stream or in notify's store, and erasure reaches both.

Cases are filed with a unique marker in every personal field and go the whole way: the
relay, the stream (the embedded log, or a Kafka broker of the test's own), notify with a
loopback SMTP server, the receipts back. The stream's files (the SQLite log and its
write-ahead log, the broker's log segments) and notify's store hold none of the markers,
while the email reaches the filer's address with their name. After the erasure the keys
channel holds no key for the case, notify holds nothing of it, and a later event of the case
sends nothing to the filer.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from kafka import KafkaConsumer, TopicPartition

from complaints.application.principals import SYSTEM
from complaints.processes import receive_once, relay_once
from complaints.settings import Settings
from complaints.streaming.keys import republish_case_keys
from notify.bootstrap import build_service
from notify.domain.notification import notification_id_for
from notify.runner import notify_once
from notify.settings import NotifySettings
from shared.contract.case_keys import encode_case_key
from shared.contract.delivery_failures import PERSONAL_DATA_ERASED
from shared.contract.envelope import event_id_for
from shared.contract.topics import CASE_KEYS
from shared.stream.embedded import EmbeddedLog
from shared.stream.factory import open_publisher
from tests.fixtures.kafka import readable
from tests.fixtures.stores import TEST_KEK, TEST_SECRET

WAIT_SECONDS = 60


def marked(kind: str) -> str:
    return f"mk{kind}{secrets.token_hex(6)}"


def markers_for() -> dict[str, str]:
    """A unique marker per personal field; digits for the phone, which takes only digits."""
    return {
        "enterprise_name": marked("ent"),
        "contact_person": marked("person"),
        "email_local": marked("mail"),
        "phone": str(secrets.randbelow(10**9) + 10**9) + str(secrets.randbelow(10)),
        "webhook_host": marked("hook"),
        "subject": marked("subject"),
        "description": marked("description"),
        "place": marked("place"),
        "comment": marked("comment"),
        "reason": marked("reason"),
    }


def submission(markers: dict[str, str]) -> dict:
    return {
        "filer": {
            "enterprise_name": f"{markers['enterprise_name']} 商贸有限公司",
            "contact_person": markers["contact_person"],
            "phone": f"+86 {markers['phone']}",
            "email": f"{markers['email_local']}@example.cn",
            "webhook_url": f"https://{markers['webhook_host']}.example/hooks",
            "language": "en",
        },
        "subject": f"{markers['subject']} export refund",
        "description": f"{markers['description']} three months late",
        "happened_at_place": markers["place"],
    }


def found(markers: dict[str, str], files: list[Path]) -> list[tuple[str, str]]:
    """(file, field) for each marker found in clear in one of the files."""
    hits = []
    for path in files:
        content = readable(path)
        hits += [(path.name, field) for field, marker in markers.items()
                 if marker.encode() in content]
    return hits


@pytest.fixture(params=["embedded", "kafka"])
def stream(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[Settings, Path]]:
    """The relay's settings, and where the stream keeps its files."""
    if request.param == "embedded":
        yield settings, settings.stream_path.parent
        return
    broker = request.getfixturevalue("kafka_broker")  # the test's own: its segments alone
    yield (dataclasses.replace(settings, kafka_bootstrap_servers=broker.bootstrap),
           broker.directory / "data")


def stream_files(settings: Settings, directory: Path) -> list[Path]:
    if not settings.uses_kafka:
        return [path for path in directory.glob("stream.sqlite*") if path.is_file()]
    return [path for path in directory.rglob("*") if path.is_file()]


def notify_settings(settings: Settings, smtp_port: int) -> NotifySettings:
    return NotifySettings.from_env({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "HUIYIN_DATA_DIR": str(settings.data_dir),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HUIYIN_SMTP_HOST": "127.0.0.1", "HUIYIN_SMTP_PORT": str(smtp_port),
        "HUIYIN_NOTIFY_BACKOFF": "0.01", "HUIYIN_NOTIFY_ATTEMPTS": "2",
    })


def notify_files(settings: NotifySettings) -> list[Path]:
    return [path for path in settings.sqlite_path.parent.glob("notify.sqlite*") if path.is_file()]


def last_values(bootstrap: str, topic: str) -> dict[str, list[bytes | None]]:
    """Every value of each key, in order, as a consumer reading the topic to its end sees."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, n) for n in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        values: dict[str, list[bytes | None]] = {}
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    values.setdefault(record.key.decode(), []).append(record.value)
        return values
    finally:
        consumer.close()


def embedded_key(settings: Settings, case_id: UUID) -> bytes | None:
    log = EmbeddedLog(settings.stream_path)
    try:
        return log.keyed(CASE_KEYS, str(case_id))
    finally:
        log.close()


def test_the_stream_and_notify_keep_nothing_personal_in_clear_and_erasure_reaches_them(
    stream, runtime, filer, staff, smtp_server
):
    settings, stream_dir = stream
    notify = notify_settings(settings, smtp_server.port)
    markers = markers_for()
    case = filer.file_case(**submission(markers))
    case_id = UUID(case.case_id)
    other_markers = markers_for()
    other = filer.file_case(**submission(other_markers))
    owner, ref = filer.sign_in(case), case.reference
    intake, handler = staff.login("intake"), staff.login("handler-TAX")
    intake.act(ref, "accept")
    intake.act(ref, "assign")
    handler.act(ref, "responses", {"outcome": "explained", "reply": "explained"})
    owner.act(ref, "ratings", {"score": 4, "comment": markers["comment"]})
    intake.act(ref, "close")
    assert owner.act(ref, "reopen", {"reason": markers["reason"]}).status_code == 200

    assert relay_once(settings) == 8  # two filings, six events of the first case
    assert notify_once(notify) == 8
    assert receive_once(settings) > 0

    # The filer was told, at their address, by name; the case's history shows what they read.
    address = f"{markers['email_local']}@example.cn"
    filed_mail, *later = smtp_server.messages_to(address)
    body = filed_mail.get_body(("plain",)).get_content()
    assert markers["contact_person"] in body and markers["subject"] in body
    assert len(later) == 4  # assigned, responded, closed, reopened
    told = [m for m in staff.login("supervisor").view(ref).json["messages"]
            if any(reached["channel"] == "email" for reached in m["channels"])
            and m["template"] == "filed"]
    assert markers["contact_person"] in told[0]["text"]
    assert len(smtp_server.messages_to(f"{other_markers['email_local']}@example.cn")) == 1
    # Neither the stream nor notify's store holds a marker of either case in clear.
    everything = {**markers, **{f"other {k}": v for k, v in other_markers.items()}}
    # The files read are where the events are: the case's reference is in them, in clear.
    assert any(ref.encode() in readable(path) for path in stream_files(settings, stream_dir))
    assert found(everything, stream_files(settings, stream_dir)) == []
    assert found(everything, notify_files(notify)) == []

    # The filer asks for their data to be erased.
    runtime.services.complaints.erase_personal_data(SYSTEM, case_id, "filer_request")
    if settings.uses_kafka:
        wrapped = last_values(settings.kafka_bootstrap_servers, CASE_KEYS)[str(case_id)][0]
    else:
        wrapped = embedded_key(settings, case_id)
    assert wrapped is not None
    assert relay_once(settings) == 1
    assert notify_once(notify) == 1

    if settings.uses_kafka:
        values = last_values(settings.kafka_bootstrap_servers, CASE_KEYS)
        assert values[str(case_id)][-1] is None  # the tombstone, last
        assert values[str(other.case_id)][-1] is not None
    else:
        assert embedded_key(settings, case_id) is None
        assert embedded_key(settings, UUID(other.case_id)) is not None
        # secure_delete and the checkpoint: the wrapped key's bytes are gone from the files.
        assert [path.name for path in stream_files(settings, stream_dir)
                if wrapped in path.read_bytes()] == []

    # A later event of the case is handled, and its filer is not told.
    told_before = len(smtp_server.messages_to(address))
    handler.act(ref, "responses", {"outcome": "resolved", "reply": "resolved"})
    assert relay_once(settings) == 1
    assert notify_once(notify) == 1
    assert len(smtp_server.messages_to(address)) == told_before
    responded = event_id_for(case_id, runtime.services.complaints.load_case(case_id).version)
    service = build_service(notify)
    try:
        withheld = service.notifications.get_notification(
            notification_id_for(responded, "filer", "email"))
    finally:
        service.close()
    assert (withheld.status, withheld.last_error) == ("failed", PERSONAL_DATA_ERASED)
    assert found(everything, stream_files(settings, stream_dir)) == []
    assert found(everything, notify_files(notify)) == []


def test_the_wrapped_key_in_the_embedded_log_is_base64_of_what_the_store_holds(
    settings, runtime, filer
):
    case = filer.file_case()
    assert relay_once(settings) == 1
    case_id = UUID(case.case_id)
    stored = runtime.services.complaints.recorder.select_case_keys([case_id])[case_id]
    published = embedded_key(settings, case_id)
    assert base64.b64encode(stored.wrapped) in published and stored.kek_id.encode() in published


def test_keys_republished_after_a_rotation_put_back_no_erased_key(settings, runtime, filer):
    kept, erased = UUID(filer.file_case().case_id), UUID(filer.file_case().case_id)
    assert relay_once(settings) == 2
    app = runtime.services.complaints
    app.erase_personal_data(SYSTEM, erased, "filer_request")
    assert relay_once(settings) == 1
    publisher = open_publisher(settings)
    try:
        assert republish_case_keys(app, publisher, [kept, erased]) == 1
        assert republish_case_keys(app, publisher, [kept]) == 1  # again: the same value
    finally:
        publisher.close()
    assert embedded_key(settings, erased) is None
    assert embedded_key(settings, kept) == encode_case_key(
        app.recorder.select_case_keys([kept])[kept])
