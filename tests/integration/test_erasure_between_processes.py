"""An erasure made by one process is what every other process reads at once, although each
keeps a case's key a moment after reading it: the erasure, not a key kept from before it,
decides."""

from __future__ import annotations

import pytest

from complaints.application.audit import case_history
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from tests.fixtures.filing import filing_command

FILER = Principal("public", Role.FILER)
SUPERVISOR = Principal("s", Role.SUPERVISOR)
SUBJECT = "出口退税迟迟未到账"


@pytest.fixture
def two_processes(settings):
    """Two applications over one store, each with its own cache of keys (as two gunicorn
    workers, or a worker and the CLI, have)."""
    first, second = build_services(settings), build_services(settings)
    yield first.complaints, second.complaints
    first.close()
    second.close()


def test_a_case_erased_by_another_process_reads_as_erased_at_once(two_processes):
    reader, eraser = two_processes
    filed = reader.file_case(FILER, filing_command({
        "channel": "web", "category": "tax", "subject": SUBJECT,
        "description": "我公司三月申请出口退税，至今未到账。",
        "filer": {"enterprise_name": "黑河市远东贸易有限公司", "contact_person": "王丽"},
    }))
    assert reader.load_case(filed.case_id).subject == SUBJECT  # its key now kept by the reader

    eraser.erase_personal_data(SUPERVISOR, filed.case_id, "filer_request")

    case = reader.load_case(filed.case_id)
    assert case.personal_data_erased is not None
    assert case.subject == "" and case.filer.enterprise_name == ""
    filing = reader.case_events(filed.case_id)[0]
    assert (filing.subject, filing.filer["contact_person"]) == ("", "")
    history = case_history(reader, SUPERVISOR, filed.case_id)
    assert history["state"]["subject"] is None
    assert SUBJECT not in str(history)
