"""The watchdog as `make run` runs it: a case left alone past its limit is breached once,
escalated once, and the department and the supervisor read about it in their mail."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.fixtures.pipeline import pipeline_environment, running_pipeline, wait_for

TAX_MAILBOX = "tax@huiyin.example"
SUPERVISOR_MAILBOX = "supervision@huiyin.example"


def test_two_watchdogs_breach_a_forgotten_case_once_and_tell_the_department_and_supervisor(
    tmp_path, smtp_server
):
    env = pipeline_environment(tmp_path / "var", smtp_server.port)
    with running_pipeline(env, tmp_path,
                          start=("relay", "notify", "receipts", "projections")) as pipeline:
        intake = pipeline.staff("intake", "intake")
        supervisor = pipeline.staff("supervisor", "supervisor")
        # A hotline call typed in long ago and dispatched the next day, then forgotten.
        called = datetime.now(UTC) - timedelta(days=40)
        filing = pipeline.file_as(intake, {
            "channel": "hotline", "category": "tax", "subject": "出口退税三个月未到账",
            "description": "来电反映出口退税迟迟未到账。", "occurred_at": called.isoformat(),
            "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234"},
        })
        reference = filing["reference"]
        dispatched = (called + timedelta(hours=20)).isoformat()
        pipeline.act(intake, reference, "accept", {"occurred_at": dispatched})
        pipeline.act(intake, reference, "assign", {"occurred_at": dispatched})

        pipeline.processes["watchdog"].start()
        pipeline.processes["watchdog-2"].start()

        def mail_about(address: str) -> list:
            return [m for m in smtp_server.messages_to(address) if reference in _text(m)]

        department = wait_for("the breach in the department's mail",
                              lambda: mail_about(TAX_MAILBOX), explain=pipeline.logs)
        told = wait_for("the escalation in the supervisor's mail",
                        lambda: mail_about(SUPERVISOR_MAILBOX), explain=pipeline.logs)

        def recorded() -> Counter:
            events = pipeline.read(supervisor, reference, "/history")["events"]
            return Counter(event["type"] for event in events)

        time.sleep(3)  # both watchdogs sweep six more times; nothing more may be recorded
        counts = recorded()
        assert (counts["DeadlineBreached"], counts["Escalated"]) == (1, 1)
        assert len(told) == 1
        assert {m["Subject"] for m in department}  # breach and escalation notices, each once
        assert len(department) == len({m["Message-ID"] for m in department})
        case = pipeline.read(supervisor, reference)
        assert case["deadline"]["breached"] is True and case["escalations"] == 1


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_two_watchdogs_erase_personal_data_kept_past_its_period_once(tmp_path, smtp_server):
    periods = tmp_path / "retention.json"
    periods.write_text('{"default": {"years": 3}, '
                       '"overrides": {"tax": {"days": 30, "note": "for the test"}}}')
    env = {**pipeline_environment(tmp_path / "var", smtp_server.port),
           "HUIYIN_RETENTION_FILE": str(periods)}
    with running_pipeline(env, tmp_path, start=("projections",)) as pipeline:
        intake = pipeline.staff("intake", "intake")
        handler = pipeline.staff("handler-TAX", "handler", "TAX")
        supervisor = pipeline.staff("supervisor", "supervisor")
        # Typed in from the paper files: a tax case closed 40 days ago, another just now.
        long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
        cases = []
        for when in (long_ago, None):
            at = {"occurred_at": when} if when else {}
            reference = pipeline.file_as(intake, {
                "channel": "hotline", "category": "tax", "subject": "出口退税未到账",
                "description": "来电反映出口退税迟迟未到账。", **at,
                "filer": {"enterprise_name": "黑河市远东商贸有限公司"},
            })["reference"]
            pipeline.act(intake, reference, "accept", at)
            pipeline.act(intake, reference, "assign", at)
            pipeline.act(handler, reference, "responses",
                         {"outcome": "resolved", "reply": "已办结。", **at})
            pipeline.act(handler, reference, "close", at)
            cases.append(reference)
        expired, recent = cases

        pipeline.processes["watchdog"].start()
        pipeline.processes["watchdog-2"].start()

        wait_for("the expired case erased",
                 lambda: pipeline.read(supervisor, expired)["personal_data"]["erased"] or None,
                 explain=pipeline.logs)
        time.sleep(3)  # both watchdogs sweep six more times; nothing more may be recorded

        def erasures(reference: str) -> list:
            events = pipeline.read(supervisor, reference, "/history")["events"]
            return [event["data"] for event in events if event["type"] == "PersonalDataErased"]

        [erased] = erasures(expired)
        assert erased["basis"] == "retention_expired"
        assert pipeline.read(supervisor, expired)["filer"]["enterprise_name"] is None
        assert erasures(recent) == []
        assert "0 broken event(s)" in pipeline.huiyin("verify", expired)
