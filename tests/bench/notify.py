"""Notify alone: a filer's email latency, without and then with filings whose webhook hangs.

One notify process (its run loop on a thread, the embedded stream, a real SMTP server on
loopback) takes a steady stream of filings; in the second half of the run every fifth filing
is another filer's whose webhook takes the request and never answers. Notify runs with its
default timeouts and retries, so each of those holds a webhook worker for five reads of 5 s.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

from notify.runner import run_notify
from notify.settings import NotifySettings
from shared.contract.topics import CASE_EVENTS
from shared.stream.base import Outgoing
from shared.stream.embedded import EmbeddedPublisher
from tests.bench.measure import Sample, table
from tests.bench.stream import TimedSmtpServer
from tests.fixtures.pipeline import wait_for
from tests.fixtures.receivers import HangingHttpServer
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.unit.test_notify_envelopes import case_event, filer, wire_bytes

FILINGS = 100  # per half
RATE_PER_SECOND = 20
HANGING_EVERY = 5


def email_latency(publisher: EmbeddedPublisher, smtp: TimedSmtpServer, label: str,
                  hanging_url: str | None) -> Sample:
    """File at a steady rate; each filer's latency from publishing to its email at SMTP."""
    published: dict[str, float] = {}
    started = time.perf_counter()
    for index in range(FILINGS):
        delay = started + index / RATE_PER_SECOND - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        events = []
        if hanging_url and index % HANGING_EVERY == 0:
            events.append(case_event("case.filed", filer_details=filer(
                notify_by=["webhook"], webhook_url=hanging_url)))
        address = f"{label.replace(' ', '-')}-{index}@bench.example"
        events.append(case_event("case.filed", filer_details=filer(email=address)))
        published[address] = time.time()
        publisher.publish(CASE_EVENTS, [Outgoing(str(e.case_id), wire_bytes(e)) for e in events])
    wait_for(f"every email ({label})", lambda: all(a in smtp.arrivals for a in published),
             seconds=120)
    latencies = [smtp.arrivals[address] - at for address, at in published.items()]
    return Sample(label, FILINGS, FILINGS / RATE_PER_SECOND, latencies)


def run() -> str:
    smtp = TimedSmtpServer()
    smtp.controller.start()
    hanging = HangingHttpServer().start()
    stop = threading.Event()
    notify_log = logging.getLogger("notify")
    level = notify_log.level
    notify_log.setLevel(logging.ERROR)  # every hanging try is a warning: not for this table
    try:
        with tempfile.TemporaryDirectory() as directory:
            settings = NotifySettings.from_env({
                "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
                "HUIYIN_DATA_DIR": str(Path(directory) / "var"),
                "HUIYIN_SMTP_HOST": "127.0.0.1",
                "HUIYIN_SMTP_PORT": str(smtp.port),
                "HUIYIN_WEBHOOK_ALLOW_LOOPBACK": "1",
            })
            publisher = EmbeddedPublisher(settings.shared.stream_path)
            worker = threading.Thread(target=run_notify, args=(settings,),
                                      kwargs={"stop": stop})
            worker.start()
            try:
                calm = email_latency(publisher, smtp, "email only", None)
                stormy = email_latency(publisher, smtp, "beside hanging webhooks", hanging.url)
            finally:
                stop.set()
                worker.join(timeout=60)
                publisher.close()
    finally:
        notify_log.setLevel(level)
        hanging.stop()
        smtp.controller.stop()
    rows = [[sample.label, f"{sample.count}", f"{sample.percentile(50) * 1000:,.0f} ms",
             f"{sample.percentile(99) * 1000:,.0f} ms", f"{max(sample.latencies) * 1000:,.0f} ms"]
            for sample in (calm, stormy)]
    ratio = stormy.percentile(50) / calm.percentile(50)
    ratio_99 = stormy.percentile(99) / calm.percentile(99)
    return (f"Notify alone: {FILINGS} email filings at {RATE_PER_SECOND}/s, then {FILINGS} more "
            f"with one in {HANGING_EVERY} beside another filer's webhook that never answers "
            f"(default timeouts and retries; embedded stream, SMTP on loopback).\n"
            + table(rows, ["email latency", "filings", "p50", "p99", "max"])
            + f"\nwith ÷ without hanging webhooks: p50 {ratio:.2f}, p99 {ratio_99:.2f}")
