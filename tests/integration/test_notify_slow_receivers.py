"""One slow receiver must not delay everyone: the running consumer against a real SMTP server
and a webhook receiver that takes requests and never answers."""

from __future__ import annotations

import threading

from notify.runner import run_notify
from notify.settings import NotifySettings
from shared.contract.dead_letters import decode_dead_letter
from shared.contract.receipts import decode_receipt
from shared.contract.topics import NOTIFY_DEAD_LETTER, RECEIPTS
from shared.stream.embedded import EmbeddedLog
from tests.integration.test_notify_consumer import notify_environment, publish_events, wait_until
from tests.unit.test_notify_envelopes import case_event, filer, wire_bytes

CALM = "calm.filer@amur-export.example"


def test_two_filings_to_a_hanging_webhook_do_not_delay_a_third_filers_email(
    tmp_path, smtp_server, hanging_receiver
):
    environment = {
        **notify_environment(tmp_path / "var", smtp_server.port),
        "HUIYIN_WEBHOOK_ALLOW_LOOPBACK": "1",
        "HUIYIN_NOTIFY_ATTEMPTS": "2",
        # Each try waits this long for an answer that never comes: the calm filer's email must
        # arrive while the first tries still hang, before either could time out and be retried.
        "HUIYIN_NOTIFY_TIMEOUT": "8",
        "HUIYIN_NOTIFY_BACKOFF": "0.1",
    }
    settings = NotifySettings.from_env(environment)
    hanging = [case_event("case.filed", reference=f"HY-2026-00020{n}", filer_details=filer(
        notify_by=["webhook"], webhook_url=hanging_receiver.url)) for n in range(2)]
    calm = case_event("case.filed", reference="HY-2026-000299",
                      filer_details=filer(email=CALM, notify_by=["email"]))
    publish_events(settings, *map(wire_bytes, [*hanging, calm]))
    stop = threading.Event()
    worker = threading.Thread(target=run_notify, args=(settings,), kwargs={"stop": stop})
    worker.start()
    try:
        wait_until("notify to call the hanging webhook", lambda: hanging_receiver.connections)
        wait_until("the calm filer's email", lambda: smtp_server.messages_to(CALM), seconds=30)
        hanging_when_mailed = len(hanging_receiver.connections)
        failed_when_mailed = [r for r in map(decode_receipt, read(settings, RECEIPTS))
                              if not r.delivered]
        wait_until("both webhooks given up", lambda: len(read(settings, NOTIFY_DEAD_LETTER)) == 2,
                   seconds=30)
    finally:
        stop.set()
        worker.join(timeout=30)

    # The email went while both webhooks' first tries were still waiting for an answer: no try
    # had timed out, none had been retried. It did not queue behind them.
    assert hanging_when_mailed <= 2 and failed_when_mailed == []
    assert not worker.is_alive()
    letters = [decode_dead_letter(value) for value in read(settings, NOTIFY_DEAD_LETTER)]
    assert {(letter.channel, letter.attempts, letter.last_error) for letter in letters} == {
        ("webhook", 2, "webhook_timeout")}
    assert len(hanging_receiver.connections) == 4  # two tries each, no more
    receipts = [decode_receipt(value) for value in read(settings, RECEIPTS)]
    assert [([d.channel for d in r.channels], r.delivered) for r in receipts
            if r.case_id == calm.case_id] == [(["inbox", "email"], True)]
    assert sorted(r.reason for r in receipts if not r.delivered) == ["webhook_timeout"] * 2
    assert len(smtp_server.messages_to(CALM)) == 1


def read(settings: NotifySettings, topic: str) -> list[bytes]:
    log = EmbeddedLog(settings.shared.stream_path)
    try:
        return [message.value for message in log.read(topic, 0, 1000)]
    finally:
        log.close()
