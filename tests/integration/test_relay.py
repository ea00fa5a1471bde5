"""The relay publishes every case event in order, on both stores, to Kafka and the embedded log."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import OperationalError, Tracking
from kafka import KafkaConsumer, TopicPartition

from complaints.bootstrap import build_services
from complaints.processes import relay_once
from complaints.settings import Settings
from complaints.streaming.relay import Relay, open_relay_positions
from shared.contract import case_events as wire
from shared.contract.envelope import Envelope, decode_envelope, event_id_for
from shared.contract.topics import CASE_EVENTS
from shared.stream.base import StreamUnavailableError
from shared.stream.embedded import EmbeddedSubscription
from shared.stream.factory import open_publisher, prepare_topics

WAIT_SECONDS = 60


class CaseEventsTail:
    """What is published on huiyin.case-events from now on, decoded, in each partition's order."""

    def __init__(self, settings: Settings) -> None:
        prepare_topics(settings)
        if settings.uses_kafka:
            self.consumer = KafkaConsumer(
                bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
            )
            partitions = [TopicPartition(CASE_EVENTS, p)
                          for p in self.consumer.partitions_for_topic(CASE_EVENTS)]
            self.consumer.assign(partitions)
            self.consumer.seek_to_end()
            for partition in partitions:  # resolve "the end" now, not at the first poll
                self.consumer.position(partition)
        else:
            self.subscription = EmbeddedSubscription(
                settings.stream_path, f"tail-{uuid.uuid4().hex}", [CASE_EVENTS]
            )

    def poll(self) -> list[Envelope]:
        if hasattr(self, "consumer"):
            batches = self.consumer.poll(timeout_ms=500)
            records = [r for partition in batches.values() for r in partition]
            return [decode_envelope(r.value) for r in records]
        return [decode_envelope(m.value) for m in self.subscription.poll(0.5)]

    def read(self, count: int) -> list[Envelope]:
        """Exactly the next `count` envelopes (fails if fewer arrive, or more soon after)."""
        envelopes: list[Envelope] = []
        deadline = time.monotonic() + WAIT_SECONDS
        while len(envelopes) < count:
            assert time.monotonic() < deadline, f"{len(envelopes)} of {count} published"
            envelopes += self.poll()
        envelopes += self.poll()
        assert len(envelopes) == count, [e.event_type for e in envelopes]
        return envelopes

    def close(self) -> None:
        if hasattr(self, "consumer"):
            self.consumer.close()
        else:
            self.subscription.close()


@pytest.fixture(params=["kafka", "embedded"])
def relay_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    if request.param == "embedded":
        return settings
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    return dataclasses.replace(settings, kafka_bootstrap_servers=bootstrap)


@pytest.fixture
def tail(relay_settings: Settings) -> Iterator[CaseEventsTail]:
    reader = CaseEventsTail(relay_settings)
    yield reader
    reader.close()


def per_case(envelopes: list[Envelope]) -> dict[str, list[tuple[int, str]]]:
    cases: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for envelope in envelopes:
        cases[envelope.data["case"]["reference"]].append(
            (envelope.case_version, envelope.event_type)
        )
    return cases


def test_every_case_event_is_published_in_order_with_its_context(
    relay_settings, tail, filer, staff, runtime
):
    intake, handler = staff.login("intake"), staff.login("handler-CUSTOMS")
    case = filer.file_case(category="cross_border_trade",
                           filer={"language": "ru", "notify_by": ["email", "sms"]})
    ref = case.reference
    intake.act(ref, "accept")
    intake.act(ref, "assign")
    handler.act(ref, "notes", {"text": "позвонили в банк (внутреннее)", "visibility": "internal"})
    handler.act(ref, "notes", {"text": "Груз осмотрен.", "visibility": "public"})
    reply = handler.act(ref, "responses", {"outcome": "resolved", "reply": "Груз выпущен."})
    assert reply.status_code == 200, reply.json

    assert relay_once(relay_settings) == 5
    envelopes = tail.read(5)

    assert per_case(envelopes) == {ref: [
        (1, wire.FILED), (2, wire.ACCEPTED), (3, wire.ASSIGNED), (5, wire.PUBLIC_UPDATE),
        (6, wire.RESPONDED)]}
    assert not any("внутреннее" in str(envelope.data) for envelope in envelopes)
    filed, *_, responded = envelopes
    assert filed.data["access_code"] == case.access_code
    assert filed.data["case"]["language"] == "ru"
    # Sealed with the case's key, which opens it.
    key = runtime.services.complaints.case_keys.data_key(uuid.UUID(case.case_id))
    assert key.open(filed.data["case"]["filer"]["email"]) == "wang.li@example.cn"
    assert filed.data["case"]["filer"]["notify_by"] == ["email", "sms"]
    assert filed.data["case"]["lead_department"] is None
    assert responded.data["case"]["lead_department"] == "CUSTOMS"
    assert responded.data["reply"] == "Груз выпущен."
    assert [e.event_id for e in envelopes] == [
        event_id_for(uuid.UUID(case.case_id), e.case_version) for e in envelopes]
    assert [e.position for e in envelopes] == sorted(e.position for e in envelopes)


def test_a_restart_resumes_after_the_recorded_position_without_loss(
    relay_settings, tail, filer, staff
):
    first = filer.file_case()
    assert relay_once(relay_settings) == 1
    second = filer.file_case()
    staff.login("intake").act(first.reference, "accept")
    staff.login("supervisor")  # staff accounts share the log: passed over, not published

    assert relay_once(relay_settings) == 2
    assert relay_once(relay_settings) == 0

    assert per_case(tail.read(3)) == {
        first.reference: [(1, wire.FILED), (2, wire.ACCEPTED)],
        second.reference: [(1, wire.FILED)],
    }


class PositionLostInCrash:
    """The relay's tracking table, as seen by a relay that dies right after publishing."""

    def __init__(self, positions) -> None:
        self.positions = positions

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.positions.max_tracking_id(application_name)

    def advance(self, tracking: Tracking, *, after: int) -> None:
        raise OperationalError("the relay was killed before it recorded its position")


def test_a_crash_after_publishing_publishes_the_same_events_again_with_the_same_ids(
    relay_settings, tail, filer, staff
):
    case = filer.file_case()
    staff.login("intake").act(case.reference, "accept")
    services = build_services(relay_settings)
    publisher = open_publisher(relay_settings)
    positions = open_relay_positions(services.complaints, create=True)
    crashing = Relay(services.complaints, PositionLostInCrash(positions), publisher,
                     secret_key=relay_settings.secret_key)
    try:
        with pytest.raises(OperationalError):
            crashing.catch_up()
        assert positions.max_tracking_id(services.complaints.name) is None
    finally:
        publisher.close()
        services.close()

    assert relay_once(relay_settings) == 2

    envelopes = tail.read(4)
    published_before_the_crash, published_again = envelopes[:2], envelopes[2:]
    assert [e.case_version for e in envelopes] == [1, 2, 1, 2]
    assert published_again == published_before_the_crash  # same ids: consumers drop them


def test_nothing_is_published_while_the_log_holds_only_staff_events(relay_settings, tail, staff):
    staff.login("supervisor")
    assert relay_once(relay_settings) == 0
    assert tail.poll() == []


class Refused:
    done = True

    def wait(self) -> None:
        raise StreamUnavailableError("the broker went away before acknowledging")


class RefusingTheFirstEvents:
    """A publisher whose first batch of case events is sent but never acknowledged."""

    def __init__(self, publisher) -> None:
        self.publisher = publisher
        self.refused = False

    def publish(self, topic, messages) -> None:
        self.send(topic, messages).wait()

    def send(self, topic, messages):
        sending = self.publisher.send(topic, messages)
        if topic == CASE_EVENTS and not self.refused:
            self.refused = True
            return Refused()
        return sending

    def close(self) -> None:
        self.publisher.close()


def test_a_batch_the_broker_did_not_acknowledge_goes_again_before_the_one_read_ahead(
    relay_settings, tail, filer, staff
):
    intake = staff.login("intake")
    assert relay_once(relay_settings) == 0  # past the staff accounts' events: batches of cases
    first, second, third = (filer.file_case().reference for _ in range(3))
    for reference in (first, second, third):
        intake.act(reference, "accept")
    services = build_services(relay_settings)
    publisher = RefusingTheFirstEvents(open_publisher(relay_settings))
    positions = open_relay_positions(services.complaints, create=True)
    # Batches of two: each is full, so the next is read while it is acknowledged.
    relay = Relay(services.complaints, positions, publisher,
                  secret_key=relay_settings.secret_key, batch_size=2)
    before = relay.position()
    try:
        with pytest.raises(StreamUnavailableError):
            relay.catch_up()
        assert relay.position() == before
        assert relay.catch_up() == 6
    finally:
        publisher.close()
        services.close()

    # The refused batch (the first two filings), then every event once; each case in order.
    assert {reference: [version for version, _ in events]
            for reference, events in per_case(tail.read(8)).items()} == {
        first: [1, 1, 2], second: [1, 1, 2], third: [1, 2]}
