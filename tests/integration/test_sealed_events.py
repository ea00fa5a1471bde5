"""How sealed values are stored and read back, on both stores: as tokens in the events'
personal fields only, and in the wrapped form an earlier build wrote."""

from __future__ import annotations

import json
import re
import sqlite3

import psycopg
import pytest

from complaints.application.audit import verify_case
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.personal import SealedText
from complaints.domain.values import Role
from complaints.settings import Settings
from shared.sealing import TOKEN_PREFIX
from tests.fixtures.filing import filing_command

PUBLIC = Principal("public", Role.FILER)
INTAKE = Principal("intake", Role.INTAKE)
HANDLER = Principal("handler-TAX", Role.HANDLER, department="TAX")
SUBMISSION = {
    "channel": "web", "category": "tax", "subject": "出口退税迟迟不到账",
    "description": "三个月前申报的出口退税至今未到账。",
    "filer": {"enterprise_name": "黑河边贸有限公司", "email": "li@heihe.example"},
}


@pytest.fixture
def services(settings: Settings):
    built = build_services(settings, create_tables=True)
    yield built
    built.close()


def stored_states(services, settings: Settings, case_id) -> list[bytes]:
    return [event.state for event in services.complaints.recorder.select_events(case_id)]


def test_a_personal_value_is_stored_as_its_token_and_read_as_its_text(services, settings):
    app = services.complaints
    case_id = app.file_case(PUBLIC, filing_command(SUBMISSION)).case_id

    filed = json.loads(stored_states(services, settings, case_id)[0])
    assert filed["subject"].startswith(TOKEN_PREFIX)
    assert filed["filer"]["email"].startswith(TOKEN_PREFIX)
    assert filed["filer"]["language"] == "zh"  # not personal: as given
    case = app.load_case(case_id)
    assert isinstance(case.subject, SealedText) and case.subject == SUBMISSION["subject"]
    assert case.filer.email == "li@heihe.example"


def test_a_reply_that_looks_like_a_token_is_read_as_written(services):
    """Only an event's personal fields hold tokens; staff words are never taken for one."""
    app = services.complaints
    case_id = app.file_case(PUBLIC, filing_command(SUBMISSION)).case_id
    app.accept_case(INTAKE, case_id)
    app.assign_case(INTAKE, case_id)
    quoted = TOKEN_PREFIX + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

    app.respond(HANDLER, case_id, "explained", quoted)

    assert app.load_case(case_id).reply["reply"] == quoted
    assert verify_case(app, case_id).intact


def test_the_wrapped_form_an_earlier_build_stored_reads_the_same(services, settings, store):
    app = services.complaints
    case_id = app.file_case(PUBLIC, filing_command(SUBMISSION)).case_id
    before = app.load_case(case_id)
    row = app.recorder.select_events(case_id)[0]
    wrapped = re.sub(rb'"(sealed:1:[A-Za-z0-9_=-]+)"', rb'{"_type_":"sealed","_data_":"\1"}',
                     row.state)
    assert wrapped != row.state
    rewrite(settings, store, case_id, wrapped)
    app.case_keys.forget(case_id)

    after = app.load_case(case_id)
    assert (after.subject, after.description, after.filer) == (
        before.subject, before.description, before.filer)
    assert after.subject.token == before.subject.token
    assert verify_case(app, case_id).intact  # the hash covers the token, not its wrapping


def rewrite(settings: Settings, store: str, case_id, state: bytes) -> None:
    if store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as connection:
            done = connection.execute(
                "UPDATE stored_events SET state = ? WHERE originator_id = ? "
                "AND originator_version = 1", (state, case_id.hex))
            assert done.rowcount == 1
        return
    with psycopg.connect(settings.database_url) as connection:
        done = connection.execute(
            "UPDATE complaints_events SET state = %s WHERE originator_id = %s "
            "AND originator_version = 1", (state, case_id))
        assert done.rowcount == 1
