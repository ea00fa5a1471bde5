"""Notify opens sealed case events with the key the keys channel carries, only to send, and
sends nothing more to a filer whose personal data was erased; a try waiting then is dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from uuid import uuid4

import pytest

from notify.application.dispatcher import Dispatcher
from notify.domain.notification import notification_id_for
from notify.settings import NotifySettings
from shared.contract.delivery_failures import PERSONAL_DATA_ERASED
from shared.contract.topics import CASE_EVENTS
from shared.sealing import KeyEncryptionKey, KeyRing
from shared.stream.base import Message
from shared.stream.keys import publish_case_keys, publish_erased
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.integration.test_notify_delivery import Notify, plain_text
from tests.unit.test_notify_envelopes import case_event, filer, wire_bytes

NAME = "Марина Светлова-7c1e"
ADDRESS = "marina.7c1e@amur-export.example"
SUBJECT = "Возврат НДС 7c1e"
WAIT_SECONDS = 30


@pytest.fixture
def make_notify(tmp_path, smtp_server) -> Iterator:
    made: list[Notify] = []

    def make(**env: str) -> Notify:
        settings = NotifySettings.from_env({
            "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
            "HUIYIN_DATA_DIR": str(tmp_path),
            "HUIYIN_SMTP_HOST": "127.0.0.1", "HUIYIN_SMTP_PORT": str(smtp_server.port),
            "HUIYIN_NOTIFY_BACKOFF": "0.01",
            **env,
        })
        made.append(Notify(settings))
        return made[-1]

    yield make
    for notify in made:
        notify.close()


def new_case_key(notify: Notify, *, publish: bool = True):
    """A case's data key, made as the complaints service makes it; published wrapped."""
    key, wrapped = notify.settings.shared.key_ring.new_key(uuid4())
    if publish:
        publish_case_keys(notify.publisher, [wrapped])
    return key


def sealed_filing(key, **data):
    return case_event("case.filed", sealed_with=key, language="en",
                      filer_details=filer(contact_person=NAME, email=ADDRESS), subject=SUBJECT,
                      **data)


def notify_files(notify: Notify) -> bytes:
    directory = notify.settings.sqlite_path.parent
    return b"".join(path.read_bytes() for path in directory.glob("notify.sqlite*"))


def test_a_sealed_event_is_opened_to_send_and_its_receipt_goes_back_sealed(
    make_notify, smtp_server
):
    notify = make_notify()
    key = new_case_key(notify)
    envelope = sealed_filing(key)
    assert ADDRESS not in str(envelope.data) and NAME not in str(envelope.data)

    assert len(notify.handle(envelope)) == 1

    (email,) = smtp_server.messages
    assert email["To"] == ADDRESS
    assert NAME in plain_text(email) and SUBJECT in plain_text(email)
    (receipt,) = notify.receipts()
    assert [delivery.channel for delivery in receipt.channels] == ["inbox", "email"]
    assert NAME not in receipt.text and NAME in key.open(receipt.text)
    stored = notify_files(notify)
    assert stored and not [text for text in (NAME, ADDRESS, SUBJECT) if text.encode() in stored]


def test_a_key_wrapped_by_a_retired_kek_opens_and_one_by_a_kek_not_held_is_dead_lettered(
    make_notify, smtp_server, tmp_path
):
    kek_file = tmp_path / "retired.kek"
    kek_file.write_text(KeyEncryptionKey.generate_text())
    kek_file.chmod(0o600)
    retired = KeyEncryptionKey.parse(kek_file.read_text())
    notify = make_notify()
    key, wrapped = KeyRing(retired).new_key(uuid4())
    publish_case_keys(notify.publisher, [wrapped])

    assert len(notify.handle(sealed_filing(key))) == 1

    assert smtp_server.messages == []
    (letter,) = notify.dead_letters()
    assert retired.id in letter.last_error and ADDRESS not in str(letter.envelope)

    rotating = make_notify(HUIYIN_KEK_RETIRED_FILES=str(kek_file))
    rotating.handle(sealed_filing(key))
    assert [email["To"] for email in smtp_server.messages] == [ADDRESS]


def test_an_event_whose_key_is_gone_sends_nothing_to_the_filer(make_notify, smtp_server):
    notify = make_notify()
    key = new_case_key(notify)
    publish_erased(notify.publisher, [key.case_id])
    envelope = sealed_filing(key)

    assert len(notify.handle(envelope)) == 1

    assert smtp_server.messages == []
    assert notify.receipts() == [] and notify.dead_letters() == []
    for channel in ("email", "inbox"):
        notification = notify.service.notifications.get_notification(
            notification_id_for(envelope.event_id, "filer", channel))
        assert (notification.status, notification.last_error) == ("failed", PERSONAL_DATA_ERASED)


def test_a_bad_review_tells_the_department_the_filers_words_until_they_are_erased(
    make_notify, smtp_server
):
    notify = make_notify()
    key = new_case_key(notify)
    rated = case_event("case.rated", sealed_with=key, comment="Ответ формальный 7c1e",
                       case_version=7)
    assert "7c1e" not in str(rated.data)
    notify.handle(rated)
    assert sorted(email["To"] for email in smtp_server.messages) == [
        "supervision@huiyin.example", "tax@huiyin.example"]
    assert all("Ответ формальный 7c1e" in plain_text(email) for email in smtp_server.messages)

    publish_erased(notify.publisher, [key.case_id])
    notify.handle(case_event("case.rated", sealed_with=key, comment="Ответ формальный 7c1e",
                             case_version=9, erased=True))
    assert len(smtp_server.messages) == 4
    assert not any("7c1e" in plain_text(email) for email in smtp_server.messages[2:])


def test_a_try_waiting_to_be_repeated_is_dropped_when_the_erasure_arrives(
    make_notify, smtp_server
):
    notify = make_notify(HUIYIN_NOTIFY_BACKOFF="300")  # the retry would wait five minutes
    key = new_case_key(notify)
    filed = sealed_filing(key)
    erasure = case_event("case.personal_data_erased", case_id=key.case_id, case_version=5,
                         erased=True)
    email_id = notification_id_for(filed.event_id, "filer", "email")
    smtp_server.fail_next(1)
    dispatcher = Dispatcher(notify.service.handler)
    try:
        dispatcher.accept(Message(CASE_EVENTS, 0, 0, str(key.case_id), wire_bytes(filed)))
        deadline = time.monotonic() + WAIT_SECONDS
        while notify.service.notifications.get_notification(email_id).attempts < 1:
            assert time.monotonic() < deadline, "the first try was not recorded"
            dispatcher.step(0.05)
        assert dispatcher.busy  # the retry waits

        dispatcher.accept(Message(CASE_EVENTS, 0, 1, str(key.case_id), wire_bytes(erasure)))

        assert not dispatcher.busy
        done = dispatcher.flush(notify.publisher)
    finally:
        dispatcher.close()
    assert [message.offset for message in done] == [0, 1]
    email = notify.service.notifications.get_notification(email_id)
    assert (email.status, email.last_error) == ("failed", PERSONAL_DATA_ERASED)
    assert smtp_server.messages == [] and smtp_server.refused == 1
    assert [receipt.channel for receipt in notify.receipts()] == ["inbox"]  # before the erasure
