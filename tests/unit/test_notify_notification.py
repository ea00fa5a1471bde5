"""The Notification aggregate: given what happened, when a command comes, then which fact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from notify.application.delivery import RetryPolicy
from notify.domain.notification import Notification, NotificationStateError, notification_id_for

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def requested(**overrides) -> Notification:
    fields = {"event_id": uuid4(), "case_id": uuid4(), "recipient": "filer", "channel": "email",
              "template": "filed", "language": "ru", **overrides}
    return Notification(**fields)


def facts(notification: Notification) -> list[str]:
    return [type(event).__name__ for event in notification.collect_events()]


def test_the_id_follows_from_event_recipient_and_channel():
    event_id = uuid4()

    assert requested(event_id=event_id).id == notification_id_for(event_id, "filer", "email")
    assert requested(event_id=event_id, channel="sms").id != requested(event_id=event_id).id


def test_failed_tries_are_counted_then_it_is_sent():
    notification = requested()
    notification.record_attempt_failed("SMTP 451")
    notification.record_attempt_failed("SMTP 451")
    notification.record_sent("<id@huiyin.example>", AT)

    assert facts(notification) == ["Requested", "AttemptFailed", "AttemptFailed", "Sent"]
    assert (notification.status, notification.attempts) == ("sent", 2)


def test_a_sent_notification_is_not_sent_or_failed_again():
    notification = requested()
    notification.record_sent("m-1", AT)

    with pytest.raises(NotificationStateError, match="sent"):
        notification.record_sent("m-2", AT)
    with pytest.raises(NotificationStateError, match="sent"):
        notification.record_failed(AT)


def test_a_fallback_follows_a_failure_once():
    notification = requested()
    with pytest.raises(NotificationStateError, match="requested"):
        notification.record_fallback("sms")
    notification.record_attempt_failed("refused")
    notification.record_failed(AT)
    notification.record_fallback("sms")

    assert notification.fallback_channel == "sms"
    assert facts(notification)[-2:] == ["Failed", "FallbackTaken"]
    with pytest.raises(NotificationStateError):
        notification.record_fallback("sms")


def test_a_long_error_is_kept_short():
    notification = requested()
    notification.record_attempt_failed("x" * 5000)

    assert len(notification.last_error) == 500


def test_a_failed_try_records_when_the_next_is_due():
    notification = requested()
    notification.record_attempt_failed("webhook_timeout", retry_at=AT)

    assert (notification.attempts, notification.last_error) == (1, "webhook_timeout")
    assert notification.retry_at == AT
    notification.record_attempt_failed("webhook_timeout")
    assert notification.retry_at is None


def test_retries_double_and_none_follows_the_last_try():
    policy = RetryPolicy(attempts=3, backoff_seconds=0.5)

    assert [policy.delay_after(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert policy.retry_at(1, AT) == AT + timedelta(seconds=0.5)
    assert policy.retry_at(3, AT) is None
