"""Notify against real loopback servers: SMTP, a maildir, an SMS gateway and a webhook receiver."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from uuid import UUID, uuid4

import pytest

from notify.application.consumer import handle_batch
from notify.application.handling import DEFAULT_WORKERS
from notify.bootstrap import NotifyService, build_service
from notify.domain.notification import notice_id_for, notification_id_for
from notify.domain.policy import FILER, Channel
from notify.settings import NotifySettings
from shared.contract.dead_letters import DeadLetter, decode_dead_letter
from shared.contract.envelope import Envelope
from shared.contract.receipts import Receipt, decode_receipt
from shared.contract.topics import CASE_EVENTS, NOTIFY_DEAD_LETTER, RECEIPTS
from shared.stream.base import Message
from shared.stream.embedded import EmbeddedLog, EmbeddedPublisher
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.unit.test_notify_envelopes import ACCESS_CODE, case_event, filer, wire_bytes

ANNA = "anna.petrova@amur-export.example"


class Notify:
    """A notify service on the test's servers, handling envelopes as the consumer would."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.service: NotifyService = build_service(settings)
        self.publisher = EmbeddedPublisher(settings.shared.stream_path)

    def handle(
        self, *envelopes: Envelope | bytes, stop: threading.Event | None = None
    ) -> list[Message]:
        messages = [
            Message(CASE_EVENTS, 0, offset, "key",
                    envelope if isinstance(envelope, bytes) else wire_bytes(envelope))
            for offset, envelope in enumerate(envelopes)
        ]
        return handle_batch(messages, self.service.handler, self.publisher, stop)

    def receipts(self) -> list[Receipt]:
        return [decode_receipt(m.value) for m in self._read(RECEIPTS)]

    def dead_letters(self) -> list[DeadLetter]:
        return [decode_dead_letter(m.value) for m in self._read(NOTIFY_DEAD_LETTER)]

    def _read(self, topic: str) -> list[Message]:
        log = EmbeddedLog(self.settings.shared.stream_path)
        try:
            return log.read(topic, 0, 10_000)
        finally:
            log.close()

    def close(self) -> None:
        self.publisher.close()
        self.service.close()


@pytest.fixture
def make_notify(tmp_path, smtp_server, sms_gateway) -> Iterator:
    made: list[Notify] = []

    def make(**env: str) -> Notify:
        settings = NotifySettings.from_env({
            "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
            "HUIYIN_DATA_DIR": str(tmp_path),
            "HUIYIN_SMTP_HOST": "127.0.0.1",
            "HUIYIN_SMTP_PORT": str(smtp_server.port),
            "HUIYIN_SMS_GATEWAY_URL": sms_gateway.url,
            "HUIYIN_NOTIFY_TIMEOUT": "5",
            "HUIYIN_NOTIFY_BACKOFF": "0.01",
            "HUIYIN_WEBHOOK_ALLOW_LOOPBACK": "1",  # the receivers are on loopback
            "HUIYIN_PUBLIC_URL": "https://huiyin.example",
            **env,
        })
        made.append(Notify(settings))
        return made[-1]

    yield make
    for notify in made:
        notify.close()


@pytest.fixture
def notify(make_notify) -> Notify:
    return make_notify()


def plain_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def outcomes(receipts) -> list[tuple[tuple[str, ...], bool]]:
    """Each receipt as the channels it names and whether it reached the filer."""
    return [(tuple(d.channel for d in r.channels) if r.delivered else (r.channel,), r.delivered)
            for r in receipts]


def test_a_russian_filing_produces_a_russian_email_with_reference_and_access_code(
    notify, smtp_server
):
    envelope = case_event("case.filed", language="ru")

    assert len(notify.handle(envelope)) == 1

    (email,) = smtp_server.messages
    assert email["To"] == ANNA
    assert email["Subject"] == "Ваше обращение зарегистрировано (№ HY-2026-000042)"
    assert email["Content-Language"] == "ru"
    assert email.get_content_charset() == "utf-8"
    body = plain_text(email)
    assert body.startswith("Здравствуйте, Анна Петрова!")
    assert "HY-2026-000042" in body and f"Код доступа: {ACCESS_CODE}" in body


def test_a_notice_sent_to_the_inbox_and_by_email_is_one_receipt_naming_both_code_redacted(
    notify, smtp_server
):
    envelope = case_event("case.filed")
    notify.handle(envelope)

    (receipt,) = notify.receipts()
    inbox, email = receipt.channels
    assert (inbox.channel, email.channel) == ("inbox", "email")
    assert receipt.receipt_id == str(notice_id_for(envelope.event_id, "filer"))
    assert email.notification_id == str(notification_id_for(envelope.event_id, "filer", "email"))
    assert email.message_id == smtp_server.messages[0]["Message-ID"]
    assert receipt.delivered and receipt.case_id == envelope.case_id
    assert ACCESS_CODE not in receipt.text and "Код доступа: ••••" in receipt.text
    assert notify.dead_letters() == []


def test_without_an_smtp_host_mail_goes_to_a_maildir_a_person_can_read(make_notify, smtp_server):
    notify = make_notify(HUIYIN_SMTP_HOST="")
    notify.handle(case_event("case.filed", language="zh"))

    (path,) = (notify.settings.maildir / "new").iterdir()
    assert smtp_server.messages == []
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert email["Subject"].startswith("您的投诉已收到")
    assert ACCESS_CODE in plain_text(email)
    # Readable as it lies: the body is UTF-8 text, not base64.
    assert "查询码：" + ACCESS_CODE in path.read_text(encoding="utf-8")


def test_the_sms_gateway_receives_the_text(notify, sms_gateway):
    details = filer(notify_by=["sms"])
    notify.handle(case_event("case.filed", language="en", filer_details=details))

    (sms,) = sms_gateway.accepted
    assert sms["to"] == "+7 914 555 0101"
    assert sms["text"].startswith("Huiyin: your complaint is registered as HY-2026-000042")
    assert ACCESS_CODE in sms["text"]
    assert [delivery.message_id for receipt in notify.receipts()
            for delivery in receipt.channels if delivery.channel == "sms"] == ["accepted-1"]


def test_a_webhook_failing_three_times_then_succeeding_gets_the_message_once(
    make_notify, webhook_receiver
):
    notify = make_notify(HUIYIN_NOTIFY_BACKOFF="0.1")
    webhook_receiver.fail_next(3)
    details = filer(notify_by=["webhook"], webhook_url=webhook_receiver.url)
    envelope = case_event("case.filed", filer_details=details)

    notify.handle(envelope)

    assert len(webhook_receiver.requests) == 4 and webhook_receiver.rejected == []
    (delivered,) = webhook_receiver.accepted
    assert delivered["case_id"] == str(envelope.case_id)
    assert ACCESS_CODE in delivered["text"]
    arrivals = [request["at"] for request in webhook_receiver.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert [round(gap, 1) for gap in gaps] == [0.1, 0.2, 0.4]  # the backoff doubles
    assert outcomes(notify.receipts()) == [(("inbox", "webhook"), True)]


def test_a_webhook_that_always_fails_is_dead_lettered_and_the_case_flagged(
    notify, webhook_receiver
):
    webhook_receiver.fail_next(100)
    details = filer(notify_by=["webhook"], webhook_url=webhook_receiver.url)
    envelope = case_event("case.filed", filer_details=details)

    notify.handle(envelope)

    assert len(webhook_receiver.requests) == 5
    (letter,) = notify.dead_letters()
    assert (letter.channel, letter.recipient, letter.attempts) == ("webhook", "filer", 5)
    assert letter.last_error == "webhook_http_status"  # a code: never the network's words
    assert letter.envelope["event_id"] == str(envelope.event_id)
    assert letter.envelope["data"]["access_code"] == "••••"
    notice, unreachable = notify.receipts()
    assert outcomes([notice, unreachable]) == [(("inbox",), True), (("webhook",), False)]
    assert unreachable.receipt_id == letter.notification_id
    assert unreachable.reason == "webhook_http_status"


def test_a_failed_webhook_beside_a_delivered_email_does_not_flag_the_case(
    notify, smtp_server, webhook_receiver
):
    webhook_receiver.fail_next(100)
    details = filer(notify_by=["email", "webhook"], webhook_url=webhook_receiver.url)

    notify.handle(case_event("case.filed", filer_details=details))

    assert len(smtp_server.messages) == 1
    assert [letter.channel for letter in notify.dead_letters()] == ["webhook"]
    assert outcomes(notify.receipts()) == [(("inbox", "email"), True)]


def test_failed_email_falls_back_to_sms(notify, smtp_server, sms_gateway):
    smtp_server.fail_next(100)
    envelope = case_event("case.filed")

    notify.handle(envelope)

    assert smtp_server.refused == 5 and smtp_server.messages == []
    (letter,) = notify.dead_letters()
    assert letter.channel == "email"
    (sms,) = sms_gateway.accepted
    assert ACCESS_CODE in sms["text"]
    assert outcomes(notify.receipts()) == [(("inbox", "sms"), True)]
    email = notify.service.notifications.get_notification(UUID(letter.notification_id))
    assert (email.status, email.fallback_channel) == ("failed", "sms")


def test_when_email_and_the_sms_fallback_both_fail_the_case_is_flagged(
    notify, smtp_server, sms_gateway
):
    smtp_server.fail_next(100)
    sms_gateway.fail_next(100)

    notify.handle(case_event("case.filed"))

    assert [letter.channel for letter in notify.dead_letters()] == ["email", "sms"]
    assert outcomes(notify.receipts()) == [(("inbox",), True), (("sms",), False)]


def test_failed_email_without_a_phone_flags_the_case(notify, smtp_server, sms_gateway):
    smtp_server.fail_next(100)

    notify.handle(case_event("case.filed", filer_details=filer(phone=None)))

    assert sms_gateway.requests == []
    assert outcomes(notify.receipts()) == [(("inbox",), True), (("email",), False)]


def test_the_same_envelope_handled_twice_sends_once(notify, smtp_server):
    envelope = case_event("case.filed")

    notify.handle(envelope)
    notify.handle(envelope)

    assert len(smtp_server.messages) == 1
    receipts = notify.receipts()
    # Reported again (recorded once downstream, by receipt id), never sent again.
    assert len(receipts) == 2 and len({r.receipt_id for r in receipts}) == 1


def test_the_same_envelope_twice_in_one_poll_sends_once(notify, smtp_server):
    """A poll's events are recorded together; the second copy joins the first one's job."""
    envelope = case_event("case.filed")
    other = case_event("case.filed", filer_details=filer(email="other@amur-export.example"))

    done = notify.handle(envelope, other, envelope)

    assert len(done) == 3
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(
        [ANNA, "other@amur-export.example"])


def test_departments_are_told_in_chinese_and_give_no_receipt(notify, smtp_server):
    notify.handle(case_event("case.assigned", lead="TAX", co=["CUSTOMS"]))

    by_address = {m["To"]: m for m in smtp_server.messages}
    assert set(by_address) == {ANNA, "tax@huiyin.example", "customs@huiyin.example"}
    assert by_address["tax@huiyin.example"]["Subject"] == "【交办】投诉 HY-2026-000042 请牵头办理"
    assert outcomes(notify.receipts()) == [(("inbox", "email"), True)]


def test_a_bad_review_reaches_the_supervisor_and_the_lead_department(notify, smtp_server):
    notify.handle(case_event("case.rated", score=1, bad=True))

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "supervision@huiyin.example", "tax@huiyin.example"
    ]
    assert notify.receipts() == []


def test_a_message_that_breaks_the_contract_is_dead_lettered_and_done(notify, smtp_server):
    done = notify.handle(b'{"event_type": "case.filed"}', case_event("case.closed"))

    assert len(done) == 2
    (letter,) = notify.dead_letters()
    assert letter.channel == "none" and "the envelope is invalid" in letter.last_error
    assert len(smtp_server.messages) == 1


def test_a_webhook_receiver_refuses_a_stale_signature(notify, webhook_receiver):
    webhook_receiver.clock = lambda: time.time() + 3600  # the receiver's clock is an hour on
    details = filer(notify_by=["webhook"], webhook_url=webhook_receiver.url)

    notify.handle(case_event("case.filed", filer_details=details))

    assert webhook_receiver.rejected == ["signature"] * 5
    assert webhook_receiver.accepted == []
    assert [letter.channel for letter in notify.dead_letters()] == ["webhook"]


def test_stopping_while_waiting_to_retry_leaves_the_event_to_the_next_run(
    make_notify, webhook_receiver
):
    webhook_receiver.fail_next(1)
    details = filer(notify_by=["webhook"], webhook_url=webhook_receiver.url)
    envelope = case_event("case.filed", filer_details=details)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()  # SIGTERM while the retry waits its 1 s

    assert make_notify(HUIYIN_NOTIFY_BACKOFF="1").handle(envelope, stop=stop) == []

    assert webhook_receiver.accepted == [] and len(webhook_receiver.requests) == 1
    again = make_notify()
    assert len(again.handle(envelope)) == 1  # at the recorded due time, not at once
    assert len(webhook_receiver.accepted) == 1
    first, second = (request["at"] for request in webhook_receiver.requests)
    assert second - first >= 0.9
    webhook = again.service.notifications.get_notification(
        notification_id_for(envelope.event_id, "filer", "webhook"))
    assert (webhook.status, webhook.attempts) == ("sent", 1)


def test_a_retry_waits_in_a_queue_not_in_line_so_the_next_filer_is_told_first(
    make_notify, smtp_server
):
    # Compared by when each message was offered to the server, not when it was taken: on a
    # loaded machine the second filer's mail once took longer to go through than the retry's
    # wait (3 s), though it was offered at once. The two cases share an SMTP lane (the case
    # id modulo the lanes), so the first's retry could hold the second up if it waited in
    # line; in two lanes they go out side by side and either may reach the server first.
    notify = make_notify(HUIYIN_NOTIFY_BACKOFF="5")
    smtp_server.fail_next(1)  # the first filer's first try
    lanes = DEFAULT_WORKERS[Channel.EMAIL]
    one, other = UUID(int=lanes * 1_000_003), UUID(int=lanes * 2_000_003)
    first = case_event("case.filed", case_id=one,
                       filer_details=filer(email="first@amur-export.example"))
    second = case_event("case.filed", case_id=other,
                        filer_details=filer(email="second@amur-export.example"))

    assert len(notify.handle(first, second)) == 2

    assert smtp_server.offered == [["first@amur-export.example"],
                                   ["second@amur-export.example"],
                                   ["first@amur-export.example"]]
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "first@amur-export.example", "second@amur-export.example"]


def test_each_cases_emails_go_out_in_order_while_cases_are_emailed_side_by_side(
    notify, smtp_server
):
    """Email has several workers (SMTP lanes); a case's emails always take the same one."""
    cases = [uuid4() for _ in range(12)]
    envelopes = [
        case_event(event_type, case_id=case_id, case_version=version,
                   reference=f"HY-2026-{number:06d}",
                   filer_details=filer(email=f"filer{number}@amur-export.example"))
        for number, case_id in enumerate(cases)
        for version, event_type in ((1, "case.filed"), (2, "case.responded"))
    ]

    notify.handle(*envelopes)

    for number in range(len(cases)):
        arrived = [message["Message-ID"].strip("<>").split("@")[0]
                   for message in smtp_server.messages_to(f"filer{number}@amur-export.example")]
        filed, responded = envelopes[2 * number:2 * number + 2]
        assert arrived == [str(notification_id_for(envelope.event_id, FILER, "email"))
                           for envelope in (filed, responded)]
