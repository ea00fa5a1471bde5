"""The event stream: relay throughput against a plain producer, and filing-to-email latency."""

from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.processes import open_relay
from shared.contract.topics import CASE_EVENTS
from shared.stream.factory import prepare_topics
from tests.bench.filing import submission
from tests.bench.measure import Sample, table
from tests.fixtures.filing import filing_command
from tests.fixtures.pipeline import pipeline_environment, running_pipeline, wait_for
from tests.fixtures.processes import kafka_broker
from tests.fixtures.receivers import SmtpServer
from tests.fixtures.stores import settings_for

RELAYED_CASES = 3000
RATE_PER_SECOND = 50
STEADY_SECONDS = 30
BASELINE_TOPIC = "bench.plain-producer"


def relay_against_plain_producer(bootstrap: str) -> tuple[Sample, Sample]:
    """The relay publishing a store's events, then a bare producer sending the same bytes."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = settings_for("sqlite", data_dir, KAFKA_BOOTSTRAP_SERVERS=bootstrap)
        services = build_services(settings, create_tables=True)
        public, intake = Principal("public", Role.FILER), Principal("intake", Role.INTAKE)
        for index in range(RELAYED_CASES):
            filing = services.complaints.file_case(public, filing_command(submission(index)))
            services.complaints.accept_case(intake, filing.case_id)
        services.close()
        prepare_topics(settings)
        with open_relay(settings) as relay:
            started = time.perf_counter()
            published = relay.catch_up()
            relay_sample = Sample("relay (store → Kafka)", published,
                                  time.perf_counter() - started, [])
    sent = _read_back(bootstrap, published)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=5)
    started = time.perf_counter()
    for key, value in sent:
        producer.send(BASELINE_TOPIC, key=key, value=value)
    producer.flush()
    plain = Sample("plain kafka-python producer", len(sent), time.perf_counter() - started, [])
    producer.close()
    return relay_sample, plain


def _read_back(bootstrap: str, count: int) -> list[tuple[bytes, bytes]]:
    consumer = KafkaConsumer(CASE_EVENTS, bootstrap_servers=bootstrap,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=10_000)
    messages = [(message.key, message.value) for message in consumer]
    consumer.close()
    if len(messages) != count:
        raise RuntimeError(f"read back {len(messages)} of the {count} relayed events")
    return messages


class TimedSmtpServer(SmtpServer):
    """Notes when each message arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        for recipient in envelope.rcpt_tos:
            self.arrivals.setdefault(recipient, time.perf_counter())
        return answer


def filing_to_email(bootstrap: str) -> Sample:
    """File at a steady rate through HTTP; time each filing until its email reaches SMTP."""
    smtp = TimedSmtpServer()
    smtp.controller.start()
    count = RATE_PER_SECOND * STEADY_SECONDS
    filed_at: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as directory:
            env = pipeline_environment(Path(directory) / "var", smtp.port, bootstrap)
            env["HUIYIN_LOG_LEVEL"] = "WARNING"
            with running_pipeline(env, Path(directory)) as pipeline:
                lock = threading.Lock()

                def file(index: int) -> None:
                    address = f"bench{index}@huiyin.example"
                    body = submission(index)
                    body["filer"] = {**body["filer"], "email": address}
                    started = time.perf_counter()
                    pipeline.file(body)
                    with lock:
                        filed_at[address] = started

                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=8) as pool:
                    for index in range(count):
                        # A steady pace: the i-th filing starts at i / rate seconds.
                        delay = started + index / RATE_PER_SECOND - time.perf_counter()
                        if delay > 0:
                            time.sleep(delay)
                        pool.submit(file, index)
                wait_for("every email", lambda: len(smtp.arrivals) >= count, seconds=900,
                         explain=lambda: f"{len(smtp.arrivals)} of {count} emails arrived, "
                         f"{len(filed_at)} filed\n{pipeline.logs()}")
    finally:
        smtp.controller.stop()
    latencies = [smtp.arrivals[address] - filed for address, filed in filed_at.items()]
    return Sample("filing → email at SMTP", count, STEADY_SECONDS, latencies)


def run() -> str:
    # A broker each: the pipeline must not find the first part's events on its topic.
    with kafka_broker() as bootstrap:
        relay, plain = relay_against_plain_producer(bootstrap)
    with kafka_broker() as bootstrap:
        latency = filing_to_email(bootstrap)
    throughput = table(
        [[sample.label, f"{sample.count}", f"{sample.throughput:,.0f}/s",
          f"{sample.throughput / plain.throughput:.2f}"] for sample in (relay, plain)],
        ["publishing", "events", "throughput", "÷ plain producer"],
    )
    delivery = table(
        [[latency.label, f"{latency.count}", f"{RATE_PER_SECOND}/s for {STEADY_SECONDS} s",
          f"{latency.percentile(50) * 1000:,.0f} ms", f"{latency.percentile(99) * 1000:,.0f} ms"]],
        ["path", "cases", "load", "p50", "p99"],
    )
    return (f"The relay publishing {relay.count} case events to a local Kafka broker, against a "
            f"plain kafka-python producer (idempotent, acks=all) sending the same messages.\n"
            f"{throughput}\n\nFrom filing (HTTP) to the filer's email arriving at SMTP, through "
            f"relay, Kafka and notify (embedded SMTP server, 2 gunicorn workers).\n{delivery}")
