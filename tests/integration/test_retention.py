"""Retention by rule on SQLite and PostgreSQL: the case index finds the closed cases kept past
their category's period, the job erases each once (even with jobs racing), and the command
line erases one case or runs the job once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from complaints import cli, processes
from complaints.application import audit
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.readmodels.case_index import open_case_index
from complaints.retention.job import RetentionJob
from complaints.retention.periods import RetentionPeriods
from complaints.settings import Settings
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import TEST_KEK, TEST_SECRET, settings_for

FILER = Principal("public", Role.FILER)
INTAKE = Principal("intake", Role.INTAKE)
SUPERVISOR = Principal("supervisor", Role.SUPERVISOR)
# TAX cases are kept 30 days after closing, every other category three years.
PERIODS = {"default": {"years": 3},
           "overrides": {"tax": {"days": 30, "note": "a short period, for the tests"}}}


@pytest.fixture
def periods_file(tmp_path):
    path = tmp_path / "retention.json"
    path.write_text(json.dumps(PERIODS), "utf-8")
    return path


@pytest.fixture
def settings(store, request, tmp_path, periods_file) -> Settings:
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return settings_for(store, str(tmp_path / "data"), url, HUIYIN_LOG_LEVEL="WARNING",
                        HUIYIN_RETENTION_FILE=str(periods_file))


@pytest.fixture
def services(settings):
    built = build_services(settings, create_tables=True)
    open_case_index(settings, create_tables=True).close()
    yield built
    built.close()


@pytest.fixture
def app(services):
    return services.complaints


def handler(department: str) -> Principal:
    return Principal(f"handler-{department}", Role.HANDLER, department)


def file(app, category: str = "tax"):
    return app.file_case(FILER, filing_command({
        "channel": "web", "category": category, "subject": "退税未到账",
        "description": "标记：一月申报，至今未到账。",
        "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234"},
    }))


def closed(app, category: str = "tax"):
    filing = file(app, category)
    app.accept_case(INTAKE, filing.case_id)
    case = app.assign_case(INTAKE, filing.case_id)
    lead = handler(case.lead_department)
    app.respond(lead, filing.case_id, "resolved", "已办结。")
    app.close_case(lead, filing.case_id)
    return filing


def erasures(app, filing) -> list:
    return [event for event in app.repository.event_store.get(filing.case_id)
            if type(event).__name__ == "PersonalDataErased"]


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def job(settings, at: datetime):
    """A retention job of its own, as another process would run it, with its clock at `at`."""
    built = build_services(settings)
    built.complaints.clock = lambda: at
    index = open_case_index(settings)
    periods = RetentionPeriods.load(settings.retention_file, built.routing.categories)
    return RetentionJob(built.complaints, index, periods), lambda: (index.close(), built.close())


def test_the_index_finds_closed_cases_kept_past_their_categorys_period(settings, app):
    tax = [closed(app, "tax") for _ in range(3)]
    land = closed(app, "land")
    still_open = file(app, "tax")
    erased = closed(app, "tax")
    app.erase_personal_data(SUPERVISOR, erased.case_id, "purpose_fulfilled")
    processes.catch_up_projections(settings)
    index = open_case_index(settings)
    periods = RetentionPeriods.load(settings.retention_file, app.routing.categories)

    def found(at, **options):
        default, own = periods.cutoffs(at)
        return [row["reference"] for row in
                index.closed_with_personal_data(default, own, **options)]

    try:
        assert found(later(1)) == []
        assert found(later(31)) == [filing.reference for filing in tax]
        assert sorted(found(later(3 * 366))) == sorted(f.reference for f in [*tax, land])
        first = index.closed_with_personal_data(*periods.cutoffs(later(31)), limit=2)
        last = first[-1]
        rest = found(later(31), after=(datetime.fromisoformat(last["closed_at"]),
                                       last["reference"]))
        assert [row["reference"] for row in first] + rest == [f.reference for f in tax]
        assert still_open.reference not in found(later(3 * 366))
    finally:
        index.close()


def test_the_job_erases_what_has_expired_once_and_nothing_else(settings, app):
    tax, land, still_open = closed(app, "tax"), closed(app, "land"), file(app, "tax")
    reopened = closed(app, "tax")
    app.reopen_case(SUPERVISOR, reopened.case_id, "重新核查")
    processes.catch_up_projections(settings)

    retention, close = job(settings, later(31))
    try:
        assert retention.due() == [tax.reference]
        assert erasures(app, tax) == []  # listing erases nothing
        assert retention.sweep() == Counter(erased=1)
        processes.catch_up_projections(settings)
        assert retention.sweep() == Counter()
    finally:
        close()

    [event] = erasures(app, tax)
    assert (event.basis, event.stamp.actor_role) == ("retention_expired", "system")
    assert "kept 30 days from its closing" in event.note
    app.case_keys.forget(tax.case_id)  # this process kept the key a moment (KEY_CACHE_SECONDS)
    assert app.load_case(tax.case_id).filer.enterprise_name == ""
    assert app.load_case(land.case_id).filer.enterprise_name == "黑河市远东商贸有限公司"
    assert erasures(app, still_open) == erasures(app, reopened) == erasures(app, land) == []
    assert audit.verify_case(app, tax.case_id).intact


def test_two_jobs_racing_erase_each_case_exactly_once(settings, app):
    cases = [closed(app, "tax") for _ in range(12)]
    processes.catch_up_projections(settings)
    jobs = [job(settings, later(31)) for _ in range(2)]
    start = threading.Barrier(len(jobs))
    done: list[Counter] = []
    failures: list[BaseException] = []

    def run(retention):
        try:
            start.wait()
            done.append(retention.sweep())
        except BaseException as error:  # the assertion below names it
            failures.append(error)

    threads = [threading.Thread(target=run, args=(retention,)) for retention, _ in jobs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for _, close in jobs:
            close()

    print("racing jobs:", done)
    assert failures == []
    assert {filing.reference: len(erasures(app, filing)) for filing in cases} == {
        filing.reference: 1 for filing in cases}
    assert sum(counts["erased"] for counts in done) == len(cases)
    assert all(audit.verify_case(app, filing.case_id).intact for filing in cases)


@pytest.fixture
def huiyin(settings, monkeypatch, capsys):
    """`huiyin ARGS…` in this process, on the test's store: (status, what it printed)."""
    monkeypatch.setenv("HUIYIN_KEK", TEST_KEK)
    monkeypatch.setenv("HUIYIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HUIYIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUIYIN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUIYIN_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("HUIYIN_RETENTION_FILE", str(settings.retention_file))

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        status = cli.main(list(argv))
        out = capsys.readouterr()
        return status, out.out + out.err

    return run


def test_the_command_line_erases_one_case_once(huiyin, app):
    filing = file(app)

    status, said = huiyin("personal-data", "erase", filing.reference, "--basis",
                          "filer_request", "--note", "电话申请")
    assert (status, f"personal data of {filing.reference} is erased" in said) == (0, True)
    [event] = erasures(app, filing)
    assert (event.basis, event.note, event.stamp.actor_role) == (
        "filer_request", "电话申请", "system")
    assert event.stamp.actor_id.startswith("cli:")

    status, said = huiyin("personal-data", "erase", filing.reference, "--basis",
                          "filer_request")
    assert status == 1 and "erased already" in said and "nothing erased" in said
    assert len(erasures(app, filing)) == 1


def test_the_command_line_refuses_what_it_cannot_erase(huiyin, app):
    still_open = file(app)

    status, said = huiyin("personal-data", "erase", still_open.reference, "--basis",
                          "retention_expired")
    assert status == 1 and "filer's request" in said
    assert huiyin("personal-data", "erase", "HY-2026-999999", "--basis",
                  "filer_request")[0] == 2
    with pytest.raises(SystemExit) as refused:
        huiyin("personal-data", "erase", still_open.reference, "--basis", "because")
    assert refused.value.code == 2
    assert erasures(app, still_open) == []


def test_the_command_line_runs_the_retention_job_once(huiyin, app):
    expired, kept = closed(app, "tax"), closed(app, "land")

    with time_machine.travel(later(31), tick=False):
        status, listed = huiyin("personal-data", "retention", "--dry-run")
        assert erasures(app, expired) == []
        erased = huiyin("personal-data", "retention")
        again = huiyin("personal-data", "retention")

    assert status == 0 and expired.reference in listed and kept.reference not in listed
    assert "1 case(s) kept past their retention period" in listed
    assert erased == (0, erased[1]) and "1 case(s) erased" in erased[1]
    assert again[0] == 0 and "0 case(s) erased" in again[1]
    assert len(erasures(app, expired)) == 1 and erasures(app, kept) == []


def test_malformed_retention_periods_are_refused(huiyin, monkeypatch, periods_file, app):
    closed(app, "tax")
    periods_file.write_text(json.dumps({"default": {"years": 0}}), "utf-8")

    status, said = huiyin("personal-data", "retention")

    assert status == 2 and "default.years must be a whole number" in said
