"""Personal data at rest, on the stream and after erasure, in the running system.

A case is filed with a unique marker in every personal field and taken through information,
a reply, a rating and a reopening; another is filed through the filing page with a document
whose content and name are markers. Nothing of them lies in clear in the event store, the
stream (the embedded log, or the Kafka broker's log segments), notify's store or the
attachments directory, while the filer is told by email all the same. Then a supervisor
erases both: the API, the pages, the auditor's export, the read models (and a rebuild of
them) and the stream as a consumer reads it show none of the markers; the chain still
verifies; the scorecards are what they were; the filer's own copy says the data was erased.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from kafka import KafkaConsumer, TopicPartition

from complaints.domain.credit_code import check_character
from shared.contract.topics import CASE_EVENTS, CASE_KEYS
from shared.stream.embedded import EmbeddedLog
from tests.fixtures.kafka import readable
from tests.fixtures.pages import field_value
from tests.fixtures.pipeline import Pipeline, pipeline_environment, running_pipeline, wait_for

SETUPS = [("sqlite", "embedded"), ("postgresql", "kafka")]
# The event store's own tables; the read models share its database and, while a case's key
# exists, hold its names and words for search (README, "Personal data").
STORE_TABLES = {
    "sqlite": ("stored_events", "huiyin_case_keys", "huiyin_idempotency_keys"),
    "postgresql": ("complaints_events", "huiyin_case_keys", "huiyin_idempotency_keys"),
}


def digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


class Markers:
    """One unique value per personal field, which nothing else contains by chance."""

    def __init__(self) -> None:
        tag = secrets.token_hex(4)
        code = "9135010" + digits(10)
        self.values = {
            "enterprise_name": f"企业{tag}ENT",
            "credit_code": code + check_character(code),
            "contact_person": f"联系人{tag}CP",
            "phone": "139" + digits(8),
            "email": f"mark{tag}@filer.example",
            "webhook_url": f"https://hook{tag}.example.com/huiyin",
            "subject": f"主题{tag}SUBJ",
            "description": f"描述{tag}DESC",
            "place": f"地点{tag}PLACE",
            "supplied": f"补充{tag}SUPPLIED",
            "comment": f"评价{tag}COMMENT",
            "reopen": f"重开{tag}REOPEN",
            "document_name": f"附件{tag}NAME.pdf",
            "document_content": f"CONTENT{tag}DOC",
            "page_subject": f"页面{tag}PAGESUBJ",
        }

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def found_in(self, data: bytes | str) -> list[str]:
        raw = data.encode() if isinstance(data, str) else data
        return [name for name, value in self.values.items() if value.encode() in raw]


@pytest.fixture(params=SETUPS, ids=["-".join(setup) for setup in SETUPS])
def system(request, tmp_path, smtp_server) -> Iterator[tuple[Pipeline, dict[str, Any]]]:
    store, stream = request.param
    kafka = request.getfixturevalue("kafka_broker") if stream == "kafka" else None
    env = pipeline_environment(tmp_path / "var", smtp_server.port,
                               kafka.bootstrap if kafka else "")
    if store == "postgresql":
        make = request.getfixturevalue("make_postgres_database")
        env["HUIYIN_DATABASE_URL"] = make()
        env["HUIYIN_NOTIFY_DATABASE_URL"] = make()
    env["HUIYIN_WEBHOOK_ALLOW_LOOPBACK"] = "0"
    with running_pipeline(env, tmp_path) as pipeline:
        yield pipeline, {"store": store, "kafka": kafka, "data": tmp_path / "var", "env": env}


def test_personal_data_is_sealed_everywhere_and_erased_everywhere(system, smtp_server):
    pipeline, where = system
    marks = Markers()
    intake = pipeline.staff("intake-pd", "intake")
    supervisor = pipeline.staff("supervisor-pd", "supervisor")
    auditor = pipeline.staff("auditor-pd", "auditor")
    handler = pipeline.staff("handler-pd", "handler", "TAX")

    filing = pipeline.file({
        "channel": "web", "category": "tax",
        "subject": marks["subject"], "description": marks["description"],
        "happened_at_place": marks["place"],
        "filer": {"enterprise_name": marks["enterprise_name"],
                  "credit_code": marks["credit_code"], "contact_person": marks["contact_person"],
                  "phone": marks["phone"], "email": marks["email"],
                  "webhook_url": marks["webhook_url"], "notify_by": ["email"],
                  "language": "zh"},
    })
    reference = filing["reference"]
    filer = pipeline.as_filer(filing)
    paged = file_through_the_page(pipeline, marks)

    pipeline.act(intake, reference, "accept")
    pipeline.act(intake, reference, "assign", {"lead": "TAX"})
    pipeline.act(handler, reference, "information-requests", {"items": ["发票"]})
    pipeline.act(filer, reference, "information", {"content": marks["supplied"]})
    pipeline.act(handler, reference, "responses", {"outcome": "resolved", "reply": "已办结"})
    pipeline.act(filer, reference, "ratings", {"score": 4, "comment": marks["comment"]})
    pipeline.act(filer, reference, "reopen", {"reason": marks["reopen"]})

    # The filer is told at their address, by name, all the same.
    mail = wait_for("the filing's email", lambda: smtp_server.messages_to(marks["email"]),
                    explain=pipeline.logs)[0]
    assert reference in str(mail["Subject"]) + mail.get_body().get_content()
    wait_for("the reply's receipt", lambda: pipeline.all_told(intake, [filing], "responded",
                                                                "email"),
             explain=pipeline.logs)
    pipeline.huiyin("relay", "catch-up")
    pipeline.huiyin("projections", "catch-up")

    # At rest and on the stream, nothing in clear; what is not personal is read there.
    assert sealed_everywhere(where, marks) == {}
    looked_at = contents(where)
    events = "stored_events" if where["store"] == "sqlite" else "complaints_events"
    topic = "kafka:" if where["kafka"] else "stream.sqlite"
    for place in (events, topic):
        assert any(place in name and reference.encode() in content
                   for name, content in looked_at.items()), (place, sorted(looked_at))
    year = {"from": "2026-01-01", "to": "2027-12-31"}
    before = pipeline.http.get(f"{pipeline.api}/scorecards", headers=supervisor, timeout=10,
                               params=year)
    assert before.status_code == 200, before.text
    found = pipeline.http.get(f"{pipeline.api}/cases", headers=supervisor, timeout=10,
                              params={"credit_code": marks["credit_code"]}).json()
    assert [row["reference"] for row in found["items"]] == [reference]  # the blind index

    for case in (reference, paged):
        erased = pipeline.act(supervisor, case, "personal-data/erasure",
                              {"basis": "filer_request"})
        assert erased["personal_data"]["erased"] is True
    pipeline.huiyin("relay", "catch-up")
    pipeline.huiyin("projections", "catch-up")
    wait_for("notify to read the erasure", lambda: notify_caught_up(pipeline, intake, reference),
             explain=pipeline.logs)

    seen = {
        "case (supervisor)": pipeline.read(supervisor, reference),
        "history": pipeline.read(supervisor, reference, "/history"),
        "paged case": pipeline.read(supervisor, paged),
        "case (filer)": pipeline.read(filer, reference),
        "filer's copy": pipeline.read(filer, reference, "/personal-data"),
        "export": pipeline.read(auditor, reference, "/export"),
        "search": searches(pipeline, supervisor, marks),
        "queue": pipeline.http.get(f"{pipeline.api}/queues/TAX", headers=handler,
                                   timeout=10).json(),
    }
    assert {name: marks.found_in(json.dumps(value, ensure_ascii=False))
            for name, value in seen.items() if marks.found_in(json.dumps(value,
                                                                         ensure_ascii=False))
            } == {}
    assert seen["filer's copy"]["personal_data"]["erased"] is True
    pages = staff_and_tracking_pages(pipeline, reference, filing["access_code"])
    assert {name: marks.found_in(page) for name, page in pages.items()
            if marks.found_in(page)} == {}
    assert all(re.search("erased|已删除|已清除|удален", page, re.I) for page in pages.values())

    assert pipeline.read(auditor, reference, "/verify")["intact"] is True
    assert pipeline.read(auditor, paged, "/verify")["intact"] is True
    assert "2 case(s) checked, 0 broken" in pipeline.huiyin("verify", "--all")  # the CLI
    after = pipeline.http.get(f"{pipeline.api}/scorecards", headers=supervisor, timeout=10,
                              params=year)
    figures = ({key: value for key, value in report.json().items() if key != "lag"}
               for report in (before, after))
    assert next(figures) == next(figures)

    # A read model rebuilt from the events brings nothing back; the case is still there.
    pipeline.huiyin("projections", "rebuild")
    assert searches(pipeline, supervisor, marks) == {"text": [], "credit_code": [],
                                                     "phone": [], "email": []}
    rows = pipeline.http.get(f"{pipeline.api}/cases", headers=supervisor, timeout=10,
                             params={"reference": reference}).json()["items"]
    assert [row["reference"] for row in rows] == [reference]
    assert sealed_everywhere(where, marks, read_models=True) == {}
    assert stream_as_a_consumer_reads_it(where, marks, filing["case_id"]) == []


def file_through_the_page(pipeline: Pipeline, marks: Markers) -> str:
    """File through the form with a document: the reference the confirmation shows."""
    browser = requests.Session()
    page = browser.get(f"{pipeline.base}/file?lang=en", timeout=10).text
    document = b"%PDF-1.7\n" + marks["document_content"].encode() * 50 + b"\n%%EOF\n"
    for files in ([("attachments", (marks["document_name"], document, "application/pdf"))],
                  None):
        data = {
            "csrf_token": field_value(page, "csrf_token"),
            "submission_key": field_value(page, "submission_key"),
            "kept_attachments": field_value(page, "kept_attachments") or "",
            "category": "tax", "enterprise_name": marks["enterprise_name"],
            "phone": marks["phone"], "language": "zh",
            "subject": marks["page_subject"] if files is None else "",
            "description": marks["description"],
        }
        answer = browser.post(f"{pipeline.base}/file", data=data, files=files or {},
                              allow_redirects=False, timeout=10)
        page = answer.text
    assert answer.status_code == 303, page
    confirmation = browser.get(f"{pipeline.base}/file/filed", timeout=10).text
    return re.search(r'data-testid="reference">([^<]+)<', confirmation).group(1).strip()


def searches(pipeline: Pipeline, headers: dict[str, str], marks: Markers) -> dict[str, list]:
    found = {}
    for name, value in (("text", marks["enterprise_name"]), ("credit_code", marks["credit_code"]),
                        ("phone", marks["phone"]), ("email", marks["email"])):
        answer = pipeline.http.get(f"{pipeline.api}/cases", headers=headers, timeout=10,
                                   params={name: value})
        assert answer.status_code == 200, answer.text
        found[name] = [row["reference"] for row in answer.json()["items"]]
    return found


def staff_and_tracking_pages(pipeline: Pipeline, reference: str, code: str) -> dict[str, str]:
    staff = requests.Session()
    sign_in = staff.get(f"{pipeline.base}/staff/sign-in", timeout=10).text
    assert staff.post(f"{pipeline.base}/staff/sign-in", allow_redirects=False, timeout=10, data={
        "csrf_token": field_value(sign_in, "csrf_token"), "username": "supervisor-pd",
        "password": "pipeline-password"}).status_code == 303
    filer = requests.Session()
    track = filer.get(f"{pipeline.base}/track?lang=en", timeout=10).text
    assert filer.post(f"{pipeline.base}/track", allow_redirects=False, timeout=10, data={
        "csrf_token": field_value(track, "csrf_token"), "reference": reference,
        "access_code": code}).status_code == 303
    return {
        "staff case page": staff.get(f"{pipeline.base}/staff/cases/{reference}?lang=en",
                                     timeout=10).text,
        "audit timeline": staff.get(f"{pipeline.base}/staff/audit/{reference}?lang=en",
                                    timeout=10).text,
        "tracking page": filer.get(f"{pipeline.base}/track/{reference}?lang=en",
                                   timeout=10).text,
        "filer's copy page": filer.get(f"{pipeline.base}/track/{reference}/personal-data"
                                       "?lang=en", timeout=10).text,
    }


def notify_caught_up(pipeline: Pipeline, headers: dict[str, str], reference: str) -> bool:
    return pipeline.read(headers, reference)["personal_data"]["erased"]


def sealed_everywhere(where: dict[str, Any], marks: Markers, *,
                      read_models: bool = False) -> dict[str, list[str]]:
    """Each store, file or table that holds a marker in clear, with the markers it holds."""
    places = contents(where, read_models=read_models)
    found = {name: marks.found_in(content) for name, content in places.items()}
    return {name: names for name, names in found.items() if names}


def contents(where: dict[str, Any], *, read_models: bool = False) -> dict[str, bytes]:
    """The bytes of every store, file and table the test looks through, by name."""
    data: Path = where["data"]
    places: dict[str, bytes] = {}
    files = [*data.glob("stream.sqlite*"), *data.glob("notify.sqlite*"),
             *(path for path in (data / "attachments").rglob("*") if path.is_file())]
    for path in filter(Path.is_file, files):
        places[str(path.relative_to(data))] = path.read_bytes() + str(path).encode()
    tables = None if read_models else STORE_TABLES[where["store"]]
    if where["store"] == "sqlite":
        places.update(sqlite_contents(data / "complaints.sqlite", tables))
    if where["kafka"] is not None:
        broker = Path(where["kafka"].directory)
        for path in filter(Path.is_file, broker.rglob("*")):
            places[f"kafka:{path.relative_to(broker)}"] = readable(path)
    if where["store"] == "postgresql":
        env = where["env"]
        places.update(table_contents(env["HUIYIN_DATABASE_URL"], tables))
        places.update(table_contents(env["HUIYIN_NOTIFY_DATABASE_URL"], None, "notify:"))
    return places


def table_contents(url: str, tables: tuple[str, ...] | None,
                   prefix: str = "") -> dict[str, bytes]:
    """Every row of `tables` (None: of every table) as text, table by table."""
    contents = {}
    with psycopg.connect(url) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert not tables or set(tables) <= set(names), names
        for name in tables or names:
            rows = connection.execute(f'SELECT t::text FROM "{name}" t').fetchall()
            # bytea columns print as hex: decode them so a marker in one shows as itself.
            text = "\n".join(row[0] for row in rows)
            hexes = re.findall(r"\\\\x([0-9a-f]+)", text)
            contents[f"{prefix}{name}"] = text.encode() + b"".join(
                bytes.fromhex(value) for value in hexes if len(value) % 2 == 0)
    return contents


def sqlite_contents(path: Path, tables: tuple[str, ...] | None) -> dict[str, bytes]:
    """Every row of `tables` (None: of every table, the full-text index's own included)."""
    contents = {}
    with sqlite3.connect(path) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert not tables or set(tables) <= set(names), names
        for name in tables or names:
            rows = connection.execute(f'SELECT * FROM "{name}"').fetchall()
            contents[name] = b"\n".join(
                value if isinstance(value, bytes) else str(value).encode()
                for row in rows for value in row)
    return contents


def stream_as_a_consumer_reads_it(where: dict[str, Any], marks: Markers,
                                  case_id: str) -> list[str]:
    """What a consumer reading every topic from the start finds: no marker, no key."""
    found = []
    if where["kafka"] is None:
        log = EmbeddedLog(where["data"] / "stream.sqlite")
        try:
            for message in log.read(CASE_EVENTS, 0, 100_000):
                found += marks.found_in(message.value)
            if log.keyed(CASE_KEYS, case_id) is not None:
                found.append("the case's key")
        finally:
            log.close()
        return found
    consumer = KafkaConsumer(bootstrap_servers=where["kafka"].bootstrap,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, number) for topic in (CASE_EVENTS, CASE_KEYS)
                      for number in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        last_key_value: dict[bytes, bytes | None] = {}
        while any(consumer.position(partition) < end for partition, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    found += marks.found_in(record.value or b"")
                    if record.topic == CASE_KEYS:
                        last_key_value[record.key] = record.value
        if last_key_value.get(case_id.encode()) is not None:
            found.append("the case's key, last on the keys topic")
    finally:
        consumer.close()
    return found
