"""Every report gets a traceable reply: filed over HTTP, told by email, the receipt in the case."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter

import pytest

from shared.contract.envelope import decode_envelope
from shared.contract.topics import CASE_EVENTS, NOTIFY_GROUP
from shared.stream.embedded import EmbeddedLog
from tests.fixtures.pipeline import pipeline_environment, running_pipeline, wait_for

CYRILLIC = re.compile("[а-яА-ЯёЁ]{4,}")


def russian_case(email: str) -> dict:
    return {
        "channel": "web",
        "category": "cross_border_trade",
        "subject": "Задержка таможенного оформления",
        "description": "Груз стоит на пункте пропуска уже десять дней без объяснения причин.",
        "filer": {"enterprise_name": "ООО Амур Трейд", "contact_person": "Иван Петров",
                  "email": email, "language": "ru"},
    }


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def emails_to(smtp_server, address: str) -> list:
    return smtp_server.messages_to(address)


@pytest.fixture(params=["kafka", "embedded"])
def pipeline(request, tmp_path, smtp_server):
    kafka = request.getfixturevalue("kafka_broker").bootstrap if request.param == "kafka" else ""
    env = pipeline_environment(tmp_path / "var", smtp_server.port, kafka)
    with running_pipeline(env, tmp_path) as running:
        yield running


def test_a_case_filed_in_russian_is_answered_in_russian_and_each_message_is_on_record(
    pipeline, smtp_server
):
    address = "ivan@amur-trade.example"
    filing = pipeline.file(russian_case(address))
    reference = filing["reference"]

    filed_mail = wait_for("the filing email", lambda: emails_to(smtp_server, address),
                          explain=pipeline.logs).pop()
    text = body_of(filed_mail)
    assert reference in text and filing["access_code"] in text
    assert CYRILLIC.search(filed_mail["Subject"]) and CYRILLIC.search(text)

    filer = pipeline.as_filer(filing)

    def messages(template: str) -> list[dict]:
        case = pipeline.read(filer, reference)
        return [m for m in case["messages"] if m["template"] == template]

    # One notice, reported once its channels are done: the inbox and the email together.
    (recorded,) = wait_for("the filing's notice in the case", lambda: messages("filed"))
    assert [each["channel"] for each in recorded["channels"]] == ["inbox", "email"]
    assert filing["access_code"] not in recorded["text"]
    history = pipeline.read(filer, reference, "/history")
    assert [event["type"] for event in history["events"]].count("FilerNotified") == 1

    intake = pipeline.staff("intake", "intake")
    customs = pipeline.staff("handler-customs", "handler", "CUSTOMS")
    pipeline.act(intake, reference, "accept")
    pipeline.act(intake, reference, "assign")
    reply = "Груз выпущен 20 ноября; причина задержки устранена."
    pipeline.act(customs, reference, "responses", {"outcome": "resolved", "reply": reply})

    def reply_mail() -> list:
        return [m for m in emails_to(smtp_server, address) if reply in body_of(m)]

    answered = wait_for("the reply email", reply_mail).pop()
    assert CYRILLIC.search(answered["Subject"])
    assert wait_for("the reply receipt in the case", lambda: messages("responded"))
    assert len(emails_to(smtp_server, address)) == len({m["Message-ID"] for m in
                                                       emails_to(smtp_server, address)})


def test_both_filers_of_a_duplicate_get_the_primarys_reply_by_email(pipeline, smtp_server):
    first, second = "ivan@amur-trade.example", "olga@amur-trade.example"
    primary = pipeline.file(russian_case(first))["reference"]
    duplicate = pipeline.file(russian_case(second))["reference"]
    intake = pipeline.staff("intake", "intake")
    customs = pipeline.staff("handler-customs", "handler", "CUSTOMS")
    for reference in (primary, duplicate):
        pipeline.act(intake, reference, "accept")
        pipeline.act(intake, reference, "assign")
    pipeline.act(customs, duplicate, "duplicate",
                 {"primary": primary, "reason": "the same consignment, reported twice"})
    reply = "Груз выпущен 20 ноября; причина задержки устранена."

    pipeline.act(customs, primary, "responses", {"outcome": "resolved", "reply": reply})

    for address in (first, second):
        wait_for(f"the reply email to {address}", lambda address=address: [
            m for m in emails_to(smtp_server, address) if reply in body_of(m)])


def test_a_broker_outage_while_cases_are_filed_still_tells_every_filer_exactly_once(
    tmp_path, smtp_server, kafka_broker
):
    env = pipeline_environment(tmp_path / "var", smtp_server.port, kafka_broker.bootstrap)
    with running_pipeline(env, tmp_path) as pipeline:
        intake = pipeline.staff("intake", "intake")
        addresses = [f"filer{n}@amur-trade.example" for n in range(15)]
        filings = [pipeline.file(russian_case(address)) for address in addresses[:5]]
        kafka_broker.stop()
        # The case service does not need the broker: filing goes on while it is away.
        filings += [pipeline.file(russian_case(address)) for address in addresses[5:10]]
        kafka_broker.resume()
        filings += [pipeline.file(russian_case(address)) for address in addresses[10:]]

        wait_for("every filing's email receipt",
                 lambda: pipeline.all_told(intake, filings, "filed", "email"), seconds=180,
                 explain=pipeline.logs)
        counts = {address: len(smtp_server.messages_to(address)) for address in addresses}
        assert counts == dict.fromkeys(addresses, 1)


def test_notify_killed_mid_batch_and_restarted_tells_no_filer_twice(
    tmp_path, smtp_server, kafka_broker
):
    env = pipeline_environment(tmp_path / "var", smtp_server.port, kafka_broker.bootstrap)
    with running_pipeline(env, tmp_path, start=("relay", "receipts")) as pipeline:
        intake = pipeline.staff("intake", "intake")
        addresses = [f"filer{n}@amur-trade.example" for n in range(12)]
        filings = [pipeline.file(russian_case(address)) for address in addresses]
        notify = pipeline.processes["notify"]
        # Notify takes five emails, is left hanging on the sixth, and dies there: its batch
        # is half done and its offsets are not committed.
        smtp_server.hold_after(5)
        notify.start()
        wait_for("notify to hang on the sixth email", smtp_server.held.is_set,
                 explain=pipeline.logs)
        notify.kill()
        smtp_server.release()
        notify.start()

        wait_for("every filing's email receipt",
                 lambda: pipeline.all_told(intake, filings, "filed", "email"),
                 explain=pipeline.logs)
        counts = {address: len(smtp_server.messages_to(address)) for address in addresses}
        assert counts == dict.fromkeys(addresses, 1)


def test_events_the_relay_publishes_twice_are_dropped_by_their_consumers(tmp_path, smtp_server):
    env = pipeline_environment(tmp_path / "var", smtp_server.port)
    with running_pipeline(env, tmp_path) as pipeline:
        intake = pipeline.staff("intake", "intake")
        addresses = [f"filer{n}@amur-trade.example" for n in range(5)]
        filings = [pipeline.file(russian_case(address)) for address in addresses]
        wait_for("every filing's email receipt",
                 lambda: pipeline.all_told(intake, filings, "filed", "email"),
                 explain=pipeline.logs)
        log = EmbeddedLog(tmp_path / "var" / "stream.sqlite")
        published = len(log.read(CASE_EVENTS, 0, 10_000))
        # The relay dies after publishing and before recording how far it got: its position
        # is behind what it published, so it publishes all of it again.
        pipeline.processes["relay"].kill()
        with sqlite3.connect(tmp_path / "var" / "complaints.sqlite") as store:
            store.execute("UPDATE relay_tracking SET notification_id = 0")
        pipeline.processes["relay"].start()

        def everything_consumed_twice() -> bool:
            end = len(log.read(CASE_EVENTS, 0, 10_000))
            return end >= 2 * published and log.committed(NOTIFY_GROUP, CASE_EVENTS) >= end

        wait_for("the duplicates published and consumed", everything_consumed_twice,
                 explain=pipeline.logs)
        event_ids = Counter(decode_envelope(m.value).event_id
                            for m in log.read(CASE_EVENTS, 0, 10_000))
        assert set(event_ids.values()) == {2}
        counts = {address: len(smtp_server.messages_to(address)) for address in addresses}
        assert counts == dict.fromkeys(addresses, 1)
        log.close()
