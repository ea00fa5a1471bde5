"""An exported case history verifies offline, and every kind of tampering is named."""

from __future__ import annotations

import copy
import json
import os
from itertools import pairwise
from pathlib import Path

import pytest

from complaints import cli
from complaints.application import audit
from complaints.application.case_application import CaseNotFoundError
from complaints.application.history_export import (
    ExportFormatError,
    encode,
    export_case,
    file_name,
    verify_export,
)
from complaints.application.principals import PermissionDeniedError, Principal
from complaints.bootstrap import build_services
from complaints.domain.case import case_id_for
from complaints.domain.chain import event_hash
from complaints.domain.values import Role
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import settings_for

PUBLIC = Principal("filer:public", Role.FILER)
INTAKE = Principal("intake", Role.INTAKE)
HANDLER = Principal("handler-tax", Role.HANDLER, department="TAX")
SUPERVISOR = Principal("supervisor", Role.SUPERVISOR)
AUDITOR = Principal("auditor", Role.AUDITOR)
TYPES = ["Filed", "Accepted", "Assigned", "Responded", "Rated", "ReviewConcluded"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A case taken through a reply, a bad rating and its re-check, exported and read back."""
    settings = settings_for("sqlite", str(tmp_path_factory.mktemp("store")),
                            HUIYIN_LOG_LEVEL="WARNING")
    services = build_services(settings, create_tables=True)
    app = services.complaints
    try:
        filing = app.file_case(PUBLIC, filing_command({
            "channel": "web", "category": "tax", "subject": "出口退税三个月未到账",
            "description": "我公司一月申报出口退税，至今未到账。",
            "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234"},
        }))
        app.accept_case(INTAKE, filing.case_id)
        app.assign_case(INTAKE, filing.case_id)
        app.respond(HANDLER, filing.case_id, outcome="resolved", reply="退税已于三月到账。")
        filer = app.authenticate_filer(filing.reference, filing.access_code)
        app.rate_case(filer, filing.case_id, score=2, comment="到账太慢")
        app.conclude_review(SUPERVISOR, filing.case_id, upheld=True, explanation="确有延误")
        document = export_case(app, AUDITOR, filing.case_id)
        stored = audit.verify_case(app, filing.case_id)
    finally:
        services.close()
    assert stored.intact
    # Through the bytes an auditor downloads, as the offline checker reads them.
    return json.loads(encode(document))


@pytest.fixture
def document(exported: dict) -> dict:
    return copy.deepcopy(exported)


def broken(document: dict) -> list[tuple[int, str]]:
    return [(event.position, event.event_type) for event in verify_export(document).broken]


def faults(document: dict) -> list[tuple[int, tuple[str, ...]]]:
    return [(event.position, event.faults) for event in verify_export(document).broken]


def rehash(event: dict, document: dict) -> None:
    """What a forger who knows the algorithm does: the edited event hashes right again."""
    body = {**event["data"], "originator_id": document["case_id"],
            "originator_version": event["position"], "timestamp": event["recorded_at"],
            "stamp": {"actor_id": event["actor"]["id"], "actor_role": event["actor"]["role"],
                      "occurred_at": event["occurred_at"]},
            "prev_hash": event["prev_hash"]}
    event["hash"] = event_hash(f"{document['aggregate']}.{event['type']}", body)


# The document


def test_an_untouched_export_verifies_with_every_event(document):
    result = verify_export(document)
    assert result.intact
    assert result.events_checked == 6
    assert result.reference == document["reference"] == "HY-2026-000001"
    assert str(result.case_id) == document["case_id"] == str(case_id_for("HY-2026-000001"))


def test_the_export_holds_each_event_with_its_times_actor_data_and_hashes(document):
    assert (document["format"], document["version"]) == ("huiyin.case-history", 1)
    assert document["exported_by"] == {"id": "auditor", "role": "auditor"}
    events = document["events"]
    assert [event["type"] for event in events] == TYPES
    assert [event["position"] for event in events] == [1, 2, 3, 4, 5, 6]
    assert events[0]["prev_hash"] == ""
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in pairwise(events))
    assert document["head"] == {"position": 6, "hash": events[-1]["hash"]}
    responded = events[3]
    assert responded["actor"] == {"id": "handler-tax", "role": "handler"}
    assert responded["data"]["reply"] == "退税已于三月到账。"
    assert {"recorded_at", "occurred_at"} <= set(responded)
    # The stored digests stay: the chain covers them.
    assert len(events[0]["data"]["access_code_hash"]) == 64
    assert events[4]["data"]["score"] == 2
    assert file_name(document) == "HY-2026-000001-history.json"


def test_the_file_is_readable_utf8_json(exported):
    text = encode(exported).decode("utf-8")
    assert "黑河市远东商贸有限公司" in text  # not \u escapes
    assert json.loads(text) == exported


# Tampering


def test_an_edited_reply_breaks_its_own_event(document):
    document["events"][3]["data"]["reply"] = "没有问题。"
    assert faults(document) == [(4, (audit.ALTERED,))]
    assert broken(document) == [(4, "Responded")]


@pytest.mark.parametrize(
    ("position", "edit"),
    [
        (2, lambda event: event.update(occurred_at="2026-01-01T00:00:00+00:00")),
        (3, lambda event: event.update(recorded_at="2026-01-01T00:00:00+00:00")),
        (1, lambda event: event["actor"].update(id="someone-else")),
        (5, lambda event: event["actor"].update(role="supervisor")),
        (5, lambda event: event["data"].update(score=5)),
        (6, lambda event: event.update(type="Closed")),
        (1, lambda event: event["data"]["filer"].update(phone="+86 000")),
        (1, lambda event: event["data"].update(access_code_hash="0" * 64)),
    ],
    ids=["occurred", "recorded", "actor", "role", "score", "type", "filer", "secret-hash"],
)
def test_every_shown_field_is_covered_by_its_events_hash(document, position, edit):
    edit(document["events"][position - 1])
    assert [at for at, _ in faults(document)] == [position]


def test_a_changed_hash_breaks_that_event_and_the_next_link(document):
    document["events"][2]["hash"] = "f" * 64
    document["head"]["hash"] = document["events"][-1]["hash"]
    assert faults(document) == [(3, (audit.ALTERED,)), (4, (audit.BROKEN_LINK,))]


def test_an_edit_with_its_hash_recomputed_still_breaks_the_next_link(document):
    accepted = document["events"][1]
    accepted["data"]["proposed_lead"] = "COURT"
    rehash(accepted, document)
    assert faults(document) == [(3, (audit.BROKEN_LINK,))]


def test_a_deleted_event_is_named_by_the_event_after_the_gap(document):
    del document["events"][2]
    assert faults(document) == [(4, (audit.OUT_OF_PLACE, audit.BROKEN_LINK))]


def test_a_deleted_last_event_is_caught_by_the_head(document):
    del document["events"][-1]
    assert broken(document) == [(5, "Rated")]
    assert "head" in verify_export(document).broken[0].problem


def test_reordered_events_are_named(document):
    events = document["events"]
    events[1], events[2] = events[2], events[1]
    assert broken(document) == [(3, "Assigned"), (2, "Accepted"), (4, "Responded")]
    assert all(audit.BROKEN_LINK in kinds for _, kinds in faults(document))


def test_another_case_id_in_the_header_breaks_every_event(document):
    document["case_id"] = str(case_id_for("HY-2026-999999"))
    assert [at for at, _ in faults(document)] == [1, 2, 3, 4, 5, 6]


def test_a_header_that_names_another_reference_is_caught(document):
    document["reference"] = "HY-2026-000777"
    assert faults(document) == [(1, (audit.ALTERED,))]


def test_a_malformed_event_is_unreadable_and_the_next_link_is_not_judged(document):
    document["events"][1]["data"] = ["not", "an", "object"]
    result = verify_export(document)
    assert [(b.position, b.faults) for b in result.broken] == [(2, (audit.UNREADABLE,))]
    assert "data is not a JSON object" in result.broken[0].problem


def test_data_may_not_claim_the_envelopes_fields(document):
    document["events"][3]["data"]["timestamp"] = document["events"][3]["recorded_at"]
    assert faults(document) == [(4, (audit.UNREADABLE,))]


@pytest.mark.parametrize(
    "change",
    [
        lambda document: document.update(format="something-else"),
        lambda document: document.update(version=2),
        lambda document: document.update(case_id="not-a-uuid"),
        lambda document: document.update(events=[]),
        lambda document: document.pop("aggregate"),
    ],
    ids=["format", "version", "case-id", "no-events", "no-aggregate"],
)
def test_a_document_that_is_no_export_is_refused(document, change):
    change(document)
    with pytest.raises(ExportFormatError):
        verify_export(document)


def test_a_json_list_is_no_export():
    with pytest.raises(ExportFormatError):
        verify_export([1, 2, 3])


# Who may export


def test_only_auditors_export_and_only_cases_that_exist(tmp_path):
    services = build_services(settings_for("sqlite", str(tmp_path)), create_tables=True)
    try:
        app = services.complaints
        filing = app.file_case(PUBLIC, filing_command({
            "channel": "web", "category": "tax", "subject": "s", "description": "d",
            "filer": {"enterprise_name": "某公司"},
        }))
        for principal in (SUPERVISOR, INTAKE, HANDLER, PUBLIC):
            with pytest.raises(PermissionDeniedError):
                export_case(app, principal, filing.case_id)
        with pytest.raises(CaseNotFoundError):
            export_case(app, AUDITOR, case_id_for("HY-2026-424242"))
    finally:
        services.close()


# huiyin verify --file, with no settings at all


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HUIYIN_ variable (no secret key, no store), in an empty directory."""
    for name in list(os.environ):
        if name.startswith("HUIYIN_") or name == "KAFKA_BOOTSTRAP_SERVERS":
            monkeypatch.delenv(name)
    workdir = tmp_path / "offline"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


def write(path: Path, document: dict) -> str:
    path.write_bytes(encode(document))
    return str(path)


def test_verify_file_says_intact_with_exit_0_without_any_settings(offline, document, capsys):
    path = write(offline / "export.json", document)

    assert cli.main(["verify", "--file", path]) == 0

    out = capsys.readouterr().out
    assert "HY-2026-000001" in out and "6 event(s), chain intact" in out
    assert "0 broken event(s)" in out
    assert [p.name for p in offline.iterdir()] == ["export.json"]  # no store was made


def test_verify_file_names_a_broken_event_with_exit_1(offline, document, capsys):
    document["events"][3]["data"]["reply"] = "没有问题。"
    path = write(offline / "export.json", document)

    assert cli.main(["verify", "--file", path]) == 1

    out = capsys.readouterr().out
    assert "BROKEN case HY-2026-000001" in out
    assert "position 4 Responded: its content does not match its hash" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not a JSON document"),
        (b"\xff\xfe\x00", "is not a JSON document"),
        (b'{"format": "other"}', "is not a huiyin.case-history document"),
        (b"[" * 100_000 + b"]" * 100_000, "is not a JSON document"),
    ],
    ids=["not-json", "not-utf8", "other-format", "nested-too-deep"],
)
def test_verify_file_refuses_what_is_no_export_with_exit_2(offline, capsys, content, message):
    path = offline / "export.json"
    path.write_bytes(content)

    assert cli.main(["verify", "--file", str(path)]) == 2

    assert message in capsys.readouterr().err


def test_verify_file_of_a_missing_file_or_with_a_case_exits_2(offline, document, capsys):
    assert cli.main(["verify", "--file", str(offline / "nowhere.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    path = write(offline / "export.json", document)
    assert cli.main(["verify", "HY-2026-000001", "--file", path]) == 2
    assert "--file alone" in capsys.readouterr().err
