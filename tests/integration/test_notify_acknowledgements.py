"""Notify commits a message only once what it produced (receipts, dead letters) is
acknowledged, without stopping to wait for that: the next messages are taken meanwhile."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from notify.application.dispatcher import Dispatcher
from notify.bootstrap import build_service
from notify.settings import NotifySettings
from shared.contract.topics import CASE_EVENTS, RECEIPTS
from shared.stream.base import Message, Outgoing, StreamUnavailableError
from shared.stream.embedded import EmbeddedLog, EmbeddedPublisher
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.unit.test_notify_envelopes import case_event, wire_bytes


class Answer:
    """A batch handed to the broker, answered when the test says so, or while waited on."""

    def __init__(self, broker: AnsweringLater, refused: bool) -> None:
        self.broker = broker
        self.answered = False
        self.refused = refused

    @property
    def done(self) -> bool:
        return self.answered

    def wait(self) -> None:
        if not self.answered:
            self.broker.waits += 1  # the caller stopped here until the broker answered
            self.answered = True
        if self.refused:
            raise StreamUnavailableError("the broker went away before acknowledging")


class AnsweringLater:
    """Appends each batch at once; its acknowledgement comes when `answer` is called."""

    def __init__(self, publisher: EmbeddedPublisher) -> None:
        self.publisher = publisher
        self.answers: list[Answer] = []
        self.refuse_next = False
        self.waits = 0

    def send(self, topic: str, messages: Sequence[Outgoing]) -> Answer:
        self.publisher.send(topic, messages)
        answer = Answer(self, refused=self.refuse_next)
        self.answers.append(answer)
        return answer

    def answer(self) -> None:
        for answer in self.answers:
            answer.answered = True


@pytest.fixture
def service(tmp_path, smtp_server):
    service = build_service(NotifySettings.from_env({
        "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
        "HUIYIN_DATA_DIR": str(tmp_path),
        "HUIYIN_SMTP_HOST": "127.0.0.1", "HUIYIN_SMTP_PORT": str(smtp_server.port),
        "HUIYIN_NOTIFY_BACKOFF": "0",
    }))
    yield service
    service.close()


@pytest.fixture
def broker(tmp_path):
    publisher = EmbeddedPublisher(tmp_path / "stream.sqlite")
    yield AnsweringLater(publisher)
    publisher.close()


def settled(dispatcher: Dispatcher, offset: int) -> Message:
    """A filing's message, taken and handled until every notice is sent."""
    message = Message(CASE_EVENTS, 0, offset, "", wire_bytes(case_event("case.filed")))
    dispatcher.accept(message)
    while dispatcher.busy:
        dispatcher.step(0.05)
    return message


def test_a_message_is_done_once_its_receipts_are_acknowledged_and_others_are_taken_meanwhile(
    service, broker, tmp_path
):
    dispatcher = Dispatcher(service.handler)
    try:
        first = settled(dispatcher, 0)
        assert dispatcher.flush(broker) == []  # its receipts are on their way
        second = settled(dispatcher, 1)  # taken and sent while the broker has not answered
        assert dispatcher.flush(broker) == []
        assert dispatcher.pending == 2 and dispatcher.publishing

        broker.answer()
        assert dispatcher.flush(broker) == [first, second]
        assert dispatcher.pending == 0 and not dispatcher.publishing
        assert broker.waits == 0  # never stopped for the broker
    finally:
        dispatcher.close()
    log = EmbeddedLog(tmp_path / "stream.sqlite")
    try:
        receipts = log.connection.execute(
            "SELECT count(*) FROM stream_messages WHERE topic = ?", (RECEIPTS,)).fetchone()[0]
    finally:
        log.close()
    assert receipts >= 2  # at least the filer's email for each


def test_the_end_of_a_run_waits_for_every_acknowledgement(service, broker):
    dispatcher = Dispatcher(service.handler)
    try:
        message = settled(dispatcher, 0)
        assert dispatcher.flush(broker, wait=True) == [message]
        assert broker.waits == 1
    finally:
        dispatcher.close()


def test_a_batch_the_broker_refused_leaves_its_messages_uncommitted(service, broker):
    dispatcher = Dispatcher(service.handler)
    broker.refuse_next = True
    try:
        settled(dispatcher, 0)
        assert dispatcher.flush(broker) == []
        broker.answer()
        with pytest.raises(StreamUnavailableError):
            dispatcher.flush(broker)
        assert dispatcher.pending == 1  # read again after the restart, handled idempotently
    finally:
        dispatcher.close()
