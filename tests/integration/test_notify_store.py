"""Notify's own event store, on SQLite and PostgreSQL: idempotent, and keeping nothing secret."""

from __future__ import annotations

import json

import pytest

from notify.application.consumer import handle_batch
from notify.bootstrap import build_service
from notify.domain.notification import notification_id_for
from notify.settings import NotifySettings
from shared.contract.topics import CASE_EVENTS
from shared.stream.base import Message
from shared.stream.embedded import EmbeddedPublisher
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.unit.test_notify_envelopes import ACCESS_CODE, case_event, wire_bytes


@pytest.fixture
def notify_settings(store, request, tmp_path, smtp_server) -> NotifySettings:
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return NotifySettings.from_env({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "HUIYIN_DATA_DIR": str(tmp_path),
        "HUIYIN_NOTIFY_DATABASE_URL": url,
        "HUIYIN_SMTP_HOST": "127.0.0.1",
        "HUIYIN_SMTP_PORT": str(smtp_server.port),
        "HUIYIN_NOTIFY_BACKOFF": "0",
    })


@pytest.fixture
def publisher(notify_settings):
    publisher = EmbeddedPublisher(notify_settings.shared.stream_path)
    yield publisher
    publisher.close()


def handle(service, publisher, envelope) -> None:
    message = Message(CASE_EVENTS, 0, 0, str(envelope.case_id), wire_bytes(envelope))
    assert handle_batch([message], service.handler, publisher) == [message]


def stored_events(service) -> list[tuple[str, str, dict]]:
    """(notification id, event name, state) of every stored event, in order."""
    recorder = service.notifications.recorder
    return [(str(record.originator_id), record.topic.rpartition(".")[2], json.loads(record.state))
            for record in recorder.select_notifications(start=1, limit=1000)]


def test_two_workers_on_one_store_send_the_same_notification_once(
    notify_settings, publisher, smtp_server
):
    first, second = build_service(notify_settings), build_service(notify_settings)
    envelope = case_event("case.filed")
    try:
        handle(first, publisher, envelope)
        handle(second, publisher, envelope)
    finally:
        first.close()
        second.close()

    assert len(smtp_server.messages) == 1


def test_the_store_records_requested_and_sent_and_nothing_secret(
    notify_settings, publisher, smtp_server
):
    service = build_service(notify_settings)
    envelope = case_event("case.filed")
    try:
        handle(service, publisher, envelope)
        events = stored_events(service)
        email = service.notifications.get_notification(
            notification_id_for(envelope.event_id, "filer", "email"))
    finally:
        service.close()

    # Every notice is requested before any is sent (the sends then run side by side).
    assert [topic for _, topic, _ in events] == ["Requested", "Requested", "Sent", "Sent"]
    assert (email.status, email.message_id) == ("sent", smtp_server.messages[0]["Message-ID"])
    stored = json.dumps([state for _, _, state in events], ensure_ascii=False)
    for secret in (ACCESS_CODE, "anna.petrova@amur-export.example", "Здравствуйте"):
        assert secret not in stored


def test_every_failed_try_the_failure_and_the_fallback_are_recorded(
    notify_settings, publisher, smtp_server
):
    smtp_server.fail_next(100)
    service = build_service(notify_settings)
    envelope = case_event("case.filed")
    try:
        handle(service, publisher, envelope)
        email = service.notifications.get_notification(
            notification_id_for(envelope.event_id, "filer", "email"))
        topics = [topic for notification_id, topic, _ in stored_events(service)
                  if notification_id == str(email.id)]
    finally:
        service.close()

    assert topics == ["Requested"] + ["AttemptFailed"] * 5 + ["Failed", "FallbackTaken"]
    assert email.failed_at is not None and email.last_error == "email_refused"
