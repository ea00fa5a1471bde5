"""Due times on the official calendar, walked through the application with time under control.

Each test travels to a real calendar edge (the Spring Festival, National Day, a make-up
Saturday, the turn into a year without an official schedule) and checks the exact due
times recorded; the watchdog tests leave cases alone past their limits.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import time_machine

from complaints import cli, processes
from complaints.application.access_codes import derive_access_code
from complaints.application.principals import Principal
from complaints.application.service import Complaints
from complaints.bootstrap import Services, build_services
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import Role, Stage
from complaints.readmodels.case_index import open_case_index
from complaints.settings import Settings
from complaints.timelimits.watchdog import Watchdog
from shared.locale import CITY_TIME
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import TEST_KEK

INTAKE = Principal(actor_id="intake-1", role=Role.INTAKE)
SUPERVISOR = Principal(actor_id="supervisor-1", role=Role.SUPERVISOR)
HANDLER = Principal(actor_id="handler-1", role=Role.HANDLER, department="TAX")
TEST_SCHEDULE_2027 = Path(__file__).parents[1] / "unit" / "data" / "schedule-2027-test.json"


def city(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CITY_TIME)


def end_of(year: int, month: int, day: int) -> datetime:
    return city(year, month, day, 23, 59, 59)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = build_services(settings, create_tables=True)
    open_case_index(settings, create_tables=True).close()
    yield services
    services.close()


def submission(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "category": "tax",
        "subject": "出口退税三个月未到账",
        "description": "来电反映出口退税迟迟未到账。",
        "filer": {"enterprise_name": "黑河市远东商贸有限公司", "phone": "+86 456 823 1234"},
        **overrides,
    }


def file_at(app: Complaints, moment: datetime) -> UUID:
    with time_machine.travel(moment, tick=False):
        return app.file_case(INTAKE, filing_command(submission())).case_id


def assign_at(app: Complaints, case_id: UUID, moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        app.accept_case(INTAKE, case_id)
        app.assign_case(INTAKE, case_id)


def event_types(app: Complaints, case_id: UUID) -> list[str]:
    return [type(event).__name__ for event in app.repository.event_store.get(case_id)]


# -- calendar edges ------------------------------------------------------------------------


def test_filed_on_the_eve_of_the_spring_festival(services: Services):
    """2026: rest Feb 15–23; Saturday Feb 14 and Saturday Feb 28 are make-up working days."""
    app = services.complaints
    case_id = file_at(app, city(2026, 2, 13, 16, 30))
    assert app.load_case(case_id).due_at == end_of(2026, 2, 14)
    assign_at(app, case_id, city(2026, 2, 14, 10, 0))
    case = app.load_case(case_id)
    # Feb 24–27 (4), Sat Feb 28 (5), Mar 2–6 (10), Mar 9–13 (15).
    assert (case.deadline.stage, case.due_at) == (Stage.REPLY, end_of(2026, 3, 13))
    assert case.deadline.provisional is False


def test_filed_on_the_eve_of_national_day(services: Services):
    """2025: rest Oct 1–8; Sunday Sep 28 and Saturday Oct 11 are make-up working days."""
    app = services.complaints
    case_id = file_at(app, city(2025, 9, 30, 17, 45))
    assert app.load_case(case_id).due_at == end_of(2025, 10, 9)
    assign_at(app, case_id, city(2025, 10, 9, 9, 0))
    # Oct 10, Sat Oct 11 (2), Oct 13–17 (7), Oct 20–24 (12), Oct 27–29 (15).
    assert app.load_case(case_id).due_at == end_of(2025, 10, 29)


def test_a_make_up_saturday_is_a_working_day(services: Services):
    app = services.complaints
    case_id = file_at(app, city(2025, 10, 10, 11, 0))
    assert app.load_case(case_id).due_at == end_of(2025, 10, 11)


def test_waiting_for_the_filer_does_not_count(services: Services):
    app = services.complaints
    case_id = file_at(app, city(2026, 3, 2, 9, 0))
    assign_at(app, case_id, city(2026, 3, 2, 10, 0))
    assert app.load_case(case_id).due_at == end_of(2026, 3, 23)
    with time_machine.travel(city(2026, 3, 4, 10, 0), tick=False):
        app.request_information(HANDLER, case_id, ["the export declaration"])
    filer = app.authenticate_filer(app.load_case(case_id).reference, _access_code(app, case_id))
    with time_machine.travel(city(2026, 3, 9, 15, 0), tick=False):  # Thu, Fri, Mon waited
        app.supply_information(filer, case_id, "attached")
    assert app.load_case(case_id).due_at == end_of(2026, 3, 26)


def test_a_deadline_that_crosses_into_a_year_without_a_schedule_is_provisional_until_loaded(
    services: Services, settings: Settings
):
    app = services.complaints
    case_id = file_at(app, city(2026, 12, 15, 10, 0))
    assign_at(app, case_id, city(2026, 12, 15, 11, 0))
    case = app.load_case(case_id)
    # Dec 16–18 (3), 21–25 (8), 28–31 (12), [Fri Jan 1 2027: New Year's Day], Jan 4–6 (15).
    assert (case.due_at, case.deadline.provisional) == (end_of(2027, 1, 6), True)

    settings.calendar_dir.mkdir(parents=True, exist_ok=True)
    (settings.calendar_dir / "2027.json").write_text(TEST_SCHEDULE_2027.read_text())
    assert app.deadlines.reload_calendar()
    processes.catch_up_projections(settings)
    index = open_case_index(settings)
    try:
        with time_machine.travel(city(2026, 12, 20, 9, 0), tick=False):
            done = Watchdog(app, index).sweep()
    finally:
        index.close()
    assert done["recomputed"] == 1
    case = app.load_case(case_id)
    assert (case.due_at, case.deadline.provisional) == (_official_2027_due(), False)
    recomputed = list(app.repository.event_store.get(case_id))[-1]
    assert type(recomputed).__name__ == "DeadlineRecomputed"
    assert recomputed.previous_due_at == end_of(2027, 1, 6)


def _official_2027_due() -> datetime:
    """The invented 2027 schedule of the tests makes Mon Jan 4 a rest day too."""
    schedule = json.loads(TEST_SCHEDULE_2027.read_text())
    rest = set(schedule["holidays"])
    assert "2027-01-04" in rest, "the test schedule was expected to rest on Jan 4, 2027"
    return end_of(2027, 1, 7)


def _access_code(app: Complaints, case_id: UUID) -> str:
    return derive_access_code(app.secret_key, case_id)


# -- extension --------------------------------------------------------------------------------


def test_a_supervisor_extends_a_stage_once_by_at_most_fifteen_working_days(services: Services):
    app = services.complaints
    case_id = file_at(app, city(2026, 3, 2, 9, 0))
    assign_at(app, case_id, city(2026, 3, 2, 10, 0))
    with time_machine.travel(city(2026, 3, 10, 9, 0), tick=False):
        with pytest.raises(CaseRuleError) as too_long:
            app.extend_deadline(SUPERVISOR, case_id, "reply", 16, "an expert opinion is needed")
        assert too_long.value.rule == "extension_too_long"
        app.extend_deadline(SUPERVISOR, case_id, "reply", 5, "an expert opinion is needed")
        # Mar 23 + 5 working days.
        assert app.load_case(case_id).due_at == end_of(2026, 3, 30)
        with pytest.raises(CaseRuleError) as twice:
            app.extend_deadline(SUPERVISOR, case_id, "reply", 1, "again")
        assert twice.value.rule == "one_extension_per_stage"


# -- the watchdog ----------------------------------------------------------------------------


def sweep(services: Services, settings: Settings, moment: datetime) -> Counter[str]:
    processes.catch_up_projections(settings)
    index = open_case_index(settings)
    try:
        with time_machine.travel(moment, tick=False):
            return Watchdog(services.complaints, index).sweep()
    finally:
        index.close()


def test_each_limit_left_alone_is_warned_breached_and_escalated_once(
    services: Services, settings: Settings
):
    app = services.complaints
    case_id = file_at(app, city(2026, 3, 2, 9, 0))  # accept by Tue Mar 3
    assert sweep(services, settings, city(2026, 3, 3, 10, 0))["breached"] == 0
    assert sweep(services, settings, city(2026, 3, 4, 0, 0, 1))["breached"] == 1
    assert sweep(services, settings, city(2026, 3, 5, 0, 0))["breached"] == 0
    breach = [e for e in app.repository.event_store.get(case_id)
              if type(e).__name__ == "DeadlineBreached"]
    assert [(b.stage, b.department, b.stamp.occurred_at) for b in breach] == [
        ("accept", None, end_of(2026, 3, 3) + timedelta(seconds=1))]

    assign_at(app, case_id, city(2026, 3, 5, 9, 0))  # reply by Thu Mar 26
    assert sweep(services, settings, city(2026, 3, 24, 12, 0)) == Counter()
    assert sweep(services, settings, city(2026, 3, 25, 8, 0))["warned"] == 1  # a working day left
    assert sweep(services, settings, city(2026, 3, 25, 9, 0)) == Counter()
    assert sweep(services, settings, city(2026, 3, 27, 8, 0))["breached"] == 1
    assert sweep(services, settings, city(2026, 3, 30, 8, 0)) == Counter()

    types = event_types(app, case_id)
    assert Counter(types)["DeadlineBreached"] == 2
    assert Counter(types)["Escalated"] == 2
    assert Counter(types)["DeadlineApproaching"] == 1  # none for a one-day stage
    view = app.load_case(case_id)
    assert view.deadline.breached and view.escalations == 2


def test_the_review_loop_runs_against_its_own_limits(services: Services, settings: Settings):
    app = services.complaints
    case_id = file_at(app, city(2026, 3, 2, 9, 0))
    assign_at(app, case_id, city(2026, 3, 2, 10, 0))
    with time_machine.travel(city(2026, 3, 3, 10, 0), tick=False):
        app.respond(HANDLER, case_id, "resolved", "已退税")
        filer = app.authenticate_filer(app.load_case(case_id).reference,
                                       _access_code(app, case_id))
        app.rate_case(filer, case_id, 1, "并没有到账")
        app.conclude_review(SUPERVISOR, case_id, True, "退税确未到账")
    case = app.load_case(case_id)
    # Mar 4–6 (3), 9–13 (8), 16–20 (13), 23–24 (15).
    assert (case.deadline.stage, case.due_at) == (Stage.RECTIFY, end_of(2026, 3, 24))
    assert sweep(services, settings, city(2026, 3, 25, 9, 0))["breached"] == 1
    with time_machine.travel(city(2026, 3, 26, 10, 0), tick=False):
        app.record_rectification(HANDLER, case_id, ["退税已到账"])
    case = app.load_case(case_id)
    assert (case.deadline.stage, case.due_at) == (Stage.RETURN_VISIT, end_of(2026, 3, 31))
    assert sweep(services, settings, city(2026, 4, 1, 9, 0))["breached"] == 1
    breaches = [(e.stage, e.department) for e in app.repository.event_store.get(case_id)
                if type(e).__name__ == "DeadlineBreached"]
    assert breaches == [("rectify", "TAX"), ("return_visit", "TAX")]


def test_two_watchdogs_at_once_record_each_breach_once(services: Services, settings: Settings):
    app = services.complaints
    cases = [file_at(app, city(2026, 3, 2, 9, minute)) for minute in range(12)]
    processes.catch_up_projections(settings)
    barrier = threading.Barrier(2)
    results: list[Counter[str]] = []
    errors: list[BaseException] = []

    worker = replace(settings, create_tables=False)  # as `make run` starts them

    def watchdog() -> None:
        try:
            own = build_services(worker)  # a process of its own: its own app and index
            index = open_case_index(worker)
            try:
                barrier.wait(30)
                results.append(Watchdog(own.complaints, index).sweep())
            finally:
                index.close()
                own.close()
        except BaseException as error:  # reported below, with the thread's results
            errors.append(error)
            barrier.abort()

    with time_machine.travel(city(2026, 3, 10, 9, 0), tick=False):
        threads = [threading.Thread(target=watchdog) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    assert sum(result["breached"] for result in results) == len(cases)
    for case_id in cases:
        counts = Counter(event_types(app, case_id))
        assert (counts["DeadlineBreached"], counts["Escalated"]) == (1, 1)
    assert sweep(services, settings, city(2026, 3, 11, 9, 0)) == Counter()


def test_a_watchdog_back_from_downtime_records_what_it_missed_as_it_happened(
    services: Services, settings: Settings
):
    app = services.complaints
    case_id = file_at(app, city(2026, 3, 2, 9, 0))
    assign_at(app, case_id, city(2026, 3, 2, 10, 0))
    assert sweep(services, settings, city(2026, 4, 20, 9, 0))["breached"] == 1
    breached = [e for e in app.repository.event_store.get(case_id)
                if type(e).__name__ == "DeadlineBreached"]
    assert breached[0].stamp.occurred_at == end_of(2026, 3, 23) + timedelta(seconds=1)


def test_loading_the_official_schedule_from_the_command_line_recomputes_as_events(
    services: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys
):
    app = services.complaints
    case_id = file_at(app, city(2026, 12, 15, 10, 0))
    assign_at(app, case_id, city(2026, 12, 15, 11, 0))
    untouched = file_at(app, city(2026, 12, 1, 10, 0))  # due in 2026: official already
    monkeypatch.setenv("HUIYIN_KEK", TEST_KEK)
    monkeypatch.setenv("HUIYIN_SECRET_KEY", app.secret_key)
    monkeypatch.setenv("HUIYIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUIYIN_DATABASE_URL", settings.database_url or "")
    with time_machine.travel(city(2026, 12, 16, 9, 0), tick=False):
        assert cli.main(["calendar", "load", str(TEST_SCHEDULE_2027)]) == 0
        assert cli.main(["calendar", "load", str(TEST_SCHEDULE_2027)]) == 0
    printed = capsys.readouterr().out
    assert "1 provisional due time(s) recomputed" in printed
    assert "0 provisional due time(s) recomputed" in printed
    case = app.load_case(case_id)
    assert (case.due_at, case.deadline.provisional) == (_official_2027_due(), False)
    recomputed = list(app.repository.event_store.get(case_id))[-1]
    assert "the official 2027 schedule was loaded" in recomputed.reason
    assert "DeadlineRecomputed" not in event_types(app, untouched)


def test_a_bad_schedule_file_is_refused_and_changes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
):
    bad = tmp_path / "2027.json"
    bad.write_text(json.dumps({"year": 2027, "source": "x", "holidays": {"2028-01-01": "元旦"},
                               "workdays": {}}))
    monkeypatch.setenv("HUIYIN_KEK", TEST_KEK)
    monkeypatch.setenv("HUIYIN_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("HUIYIN_DATA_DIR", str(settings.data_dir))
    assert cli.main(["calendar", "load", str(bad)]) == 2
    assert "2028-01-01" in capsys.readouterr().err
    assert not (settings.calendar_dir / "2027.json").exists()
