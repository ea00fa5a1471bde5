"""`huiyin suggestions train` and the watchdog learn from the closed cases on each store."""

from __future__ import annotations

import threading

import pytest

from complaints import cli, processes
from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.intelligence.dispatch import MIN_CASES
from complaints.intelligence.suggestions import MODEL, Dispatcher
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import TEST_KEK, TEST_SECRET

INTAKE = Principal("intake-1", Role.INTAKE)
WORDS = {"tax": ("TAX", "出口退税迟迟未到账", "增值税发票无法开具"),
         "utilities": ("POWER", "工厂用电报装排队三个月", "供电公司拖延接电")}


def closed_cases(runtime, per_category: int) -> None:
    """Cases filed as `other`, settled by staff on a category and a department, closed."""
    app = runtime.services.complaints
    for category, (lead, subject, description) in WORDS.items():
        handler = Principal(f"handler-{lead}", Role.HANDLER, department=lead)
        for n in range(per_category):
            case = app.file_case(INTAKE, filing_command({
                "channel": "hotline", "category": category, "subject": f"{subject}{n}",
                "description": description, "filer": {"enterprise_name": "黑河远东贸易公司"}}))
            app.accept_case(INTAKE, case.case_id)
            app.assign_case(INTAKE, case.case_id, lead, [])
            app.respond(handler, case.case_id, "resolved", "已办结")
            app.close_case(handler, case.case_id)


@pytest.fixture
def huiyin(settings, monkeypatch, capsys):
    """`huiyin ARGS…` in this process, on the test's store: (status, what it printed)."""
    for name, value in (("HUIYIN_KEK", TEST_KEK), ("HUIYIN_SECRET_KEY", TEST_SECRET),
                        ("HUIYIN_DATA_DIR", str(settings.data_dir)),
                        ("HUIYIN_DATABASE_URL", settings.database_url),
                        ("HUIYIN_LOG_LEVEL", "WARNING")):
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        status = cli.main(list(argv))
        out = capsys.readouterr()
        return status, out.out + out.err

    return run


def test_the_command_says_when_history_is_too_thin(huiyin, runtime):
    closed_cases(runtime, 3)

    status, said = huiyin("suggestions", "train")

    assert status == 1
    assert f"6 closed case(s) to learn from; suggestions need {MIN_CASES}" in said


def test_the_command_learns_from_the_closed_cases(huiyin, runtime, settings):
    closed_cases(runtime, MIN_CASES // 2 + 1)

    status, said = huiyin("suggestions", "train")
    suggestion = Dispatcher(settings.data_dir, runtime.services.routing).suggest(
        "供电公司拖延接电", "用电报装", "other")

    assert status == 0 and f"learned from {MIN_CASES + 2} closed case(s)" in said
    assert suggestion.source == MODEL
    assert suggestion.departments[0].code == "POWER"


def test_the_watchdog_learns_at_start_when_there_is_no_model(runtime, settings):
    closed_cases(runtime, MIN_CASES // 2 + 1)
    processes.catch_up_projections(settings)
    dispatcher = Dispatcher(settings.data_dir, runtime.services.routing)
    stop = threading.Event()
    watchdog = threading.Thread(target=processes.run_watchdog, args=(settings,),
                                kwargs={"stop": stop, "interval": 0.1})

    watchdog.start()
    try:
        for _ in range(600):
            if not dispatcher.due():
                break
            stop.wait(0.1)
    finally:
        stop.set()
        watchdog.join(30)

    assert not dispatcher.due()
    assert dispatcher.suggest("出口退税", "发票", "other").source == MODEL
