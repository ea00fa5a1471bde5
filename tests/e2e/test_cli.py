"""The `huiyin` command line as an operator uses it."""

from __future__ import annotations

import json
import sqlite3

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.settings import Settings
from tests.fixtures.filing import filing_command


def file_a_case(environment: dict[str, str]):
    """File and accept a case in process, against the store `huiyin init` set up."""
    services = build_services(Settings.from_env(environment))
    try:
        app = services.complaints
        filing = app.file_case(
            Principal("filer:public", Role.FILER),
            filing_command({
                "channel": "web",
                "category": "utilities",
                "subject": "报装用电迟迟不通",
                "description": "新厂房申请用电报装两个月未接通。",
                "filer": {"enterprise_name": "黑河新材料有限公司"},
            }),
        )
        app.accept_case(Principal("intake", Role.INTAKE), filing.case_id)
        return filing
    finally:
        services.close()


def test_init_in_demo_mode_prints_the_docs_url_and_the_demo_logins(huiyin):
    first = huiyin("init", HUIYIN_DEMO="1", PORT="8123")
    again = huiyin("init", HUIYIN_DEMO="1", PORT="8123")

    assert first.returncode == 0, first.stderr
    assert "open http://127.0.0.1:8123/ " in first.stdout
    assert "http://127.0.0.1:8123/staff/sign-in" in first.stdout
    assert "password: " in first.stdout
    for login in ("intake", "supervisor", "auditor", "handler-TAX", "handler-CUSTOMS"):
        assert login in first.stdout
    assert again.returncode == 0, again.stderr


def test_init_outside_demo_mode_creates_no_accounts(huiyin):
    result = huiyin("init")

    assert result.returncode == 0, result.stderr
    assert "Demo logins" not in result.stdout
    assert "sqlite store is ready" in result.stdout


def test_create_user_registers_staff_once(huiyin):
    huiyin("init")

    created = huiyin(
        "create-user", "handler-tax-1", "--role", "handler", "--department", "TAX",
        "--password-stdin", stdin="s3cret-pass-phrase\n",
    )  # fmt: skip
    again = huiyin(
        "create-user", "handler-tax-1", "--role", "handler", "--department", "TAX",
        "--password-stdin", stdin="s3cret-pass-phrase\n",
    )  # fmt: skip
    no_department = huiyin(
        "create-user", "someone", "--role", "handler", "--password-stdin",
        stdin="s3cret-pass-phrase\n",
    )

    assert created.returncode == 0, created.stderr
    assert "handler of TAX" in created.stdout
    assert again.returncode == 2
    assert "already an account" in again.stderr
    assert no_department.returncode == 2
    assert "department" in no_department.stderr


def test_verify_names_the_case_position_and_type_of_an_edited_event(huiyin, environment):
    huiyin("init")
    filing = file_a_case(environment)
    assert huiyin("verify", filing.reference).returncode == 0

    database = Settings.from_env(environment).sqlite_path
    with sqlite3.connect(database) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=2",
            (filing.case_id.hex,),
        ).fetchone()
        edited = json.loads(state)
        edited["proposed_lead"] = "COURT"
        db.execute(
            "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=2",
            (json.dumps(edited).encode(), filing.case_id.hex),
        )
    one = huiyin("verify", filing.reference)
    every = huiyin("verify", "--all")

    assert one.returncode == every.returncode == 1
    for result in (one, every):
        assert f"BROKEN case {filing.reference}" in result.stdout
        assert "position 2 Accepted" in result.stdout
        assert "does not match its hash" in result.stdout


def test_verify_of_an_unknown_case_says_so(huiyin):
    huiyin("init")

    result = huiyin("verify", "HY-2026-424242")

    assert result.returncode == 2
    assert "no case HY-2026-424242" in result.stderr


def test_projections_catch_up_and_rebuild(huiyin, environment):
    huiyin("init")
    file_a_case(environment)

    caught_up = huiyin("projections", "catch-up")
    rebuilt = huiyin("projections", "rebuild")

    assert caught_up.returncode == 0, caught_up.stderr
    assert rebuilt.returncode == 0, rebuilt.stderr
    # Where each read model stands, on stderr: at least its last line, the position reached.
    for result, what in ((caught_up, "catch-up"), (rebuilt, "rebuild")):
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"huiyin projections {what}: case_index "), last
        assert "(100 %), scorecards" in last and last.endswith(" s"), last


def test_a_bad_setting_stops_a_command_with_its_message_not_a_traceback(huiyin):
    result = huiyin("init", HUIYIN_WORKERS="many")

    assert result.returncode == 2
    assert result.stderr.strip() == "huiyin: HUIYIN_WORKERS must be a whole number, not 'many'"
