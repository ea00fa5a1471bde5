"""Historical import on each real store: the CFPB sample whole, idempotent, at its own times."""

from __future__ import annotations

import argparse
import csv
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import IntegrityError
from openpyxl import Workbook

from complaints.application.audit import all_case_ids, verify_case
from complaints.application.intake_records import IdempotencyClaim
from complaints.bootstrap import Services, build_services
from complaints.importing import cli
from complaints.importing.importer import BuiltCase, ImportReport, build_cases, import_file
from complaints.importing.mapping import ImportMapping, load_mapping, shipped_mapping
from complaints.importing.rows import read_case
from complaints.importing.sources import open_source
from complaints.settings import Settings
from tests.fixtures.processes import clean_environment
from tests.fixtures.samples import (
    CFPB_SAMPLE,
    LEAD_DEPARTMENTS,
    cfpb_category,
    cfpb_channel,
    cfpb_outcome,
)
from tests.fixtures.stores import TEST_KEK, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent



@dataclass(frozen=True)
class Figures:
    """Counts over a set of cases: what a scorecard over them must agree with."""

    total: int
    per_channel: Counter[str]
    per_category: Counter[str]
    per_outcome: Counter[str]  # "open" for a case with no reply yet
    per_department: Counter[str]  # the lead department
    still_open: int


def expected_figures(path: Path = CFPB_SAMPLE) -> Figures:
    """The figures of a CFPB export, computed from the CSV alone (reusable for scorecards)."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))

    outcomes = Counter(cfpb_outcome(row) for row in rows)
    categories = Counter(cfpb_category(row) for row in rows)
    return Figures(
        total=len(rows),
        per_channel=Counter(cfpb_channel(row) for row in rows),
        per_category=categories,
        per_outcome=outcomes,
        per_department=Counter({LEAD_DEPARTMENTS[c]: n for c, n in categories.items()}),
        still_open=outcomes["open"],
    )


def stored_figures(services: Services) -> Figures:
    app = services.complaints
    cases = [app.load_case(case_id) for case_id in all_case_ids(app)]
    outcomes = Counter(case.reply["outcome"] if case.reply else "open" for case in cases)
    return Figures(
        total=len(cases),
        per_channel=Counter(case.channel for case in cases),
        per_category=Counter(case.category for case in cases),
        per_outcome=outcomes,
        per_department=Counter(case.lead_department for case in cases),
        still_open=sum(case.status != "closed" for case in cases),
    )


def event_count(services: Services) -> int:
    recorder, start, counted = services.complaints.recorder, None, 0
    while page := recorder.select_notifications(start=start, limit=1000,
                                                inclusive_of_start=False):
        counted += len(page)
        start = page[-1].id
    return counted


@pytest.fixture(scope="module")
def sample() -> Path:
    if not CFPB_SAMPLE.is_file():
        pytest.fail(f"the CFPB sample is missing: {CFPB_SAMPLE}", pytrace=False)
    return CFPB_SAMPLE


@pytest.fixture
def services(settings: Settings):
    built = build_services(settings, create_tables=True)
    yield built
    built.close()


@pytest.fixture
def cfpb(services: Services) -> ImportMapping:
    return load_mapping(shipped_mapping("cfpb-2023"), services.routing)


def sample_rows(sample: Path) -> tuple[list[str], list[dict[str, str]]]:
    with sample.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- the CFPB sample --------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_the_cfpb_sample_imports_whole_and_agrees_with_the_csv(services, cfpb, sample, workers):
    report = import_file(services.complaints, sample, cfpb, workers=workers)

    expected = expected_figures(sample)
    assert report.rejected == []
    assert (report.rows, report.imported, report.skipped_existing) == (expected.total,) * 2 + (0,)
    assert stored_figures(services) == expected
    assert expected.still_open == 616 and expected.per_category["intermediaries"] == 1
    app = services.complaints
    assert all(verify_case(app, case_id).intact for case_id in all_case_ids(app))


def test_importing_twice_changes_nothing(services, cfpb, sample):
    import_file(services.complaints, sample, cfpb)
    events = event_count(services)

    again = import_file(services.complaints, sample, cfpb)

    assert (again.imported, again.skipped_existing, again.rejected) == (0, again.rows, [])
    assert again.rows == expected_figures(sample).total
    assert event_count(services) == events


def test_an_imported_case_keeps_its_historical_times(services, cfpb, sample):
    started = datetime.now(UTC)
    import_file(services.complaints, sample, cfpb)
    app = services.complaints
    # Complaint 107099: received 2012-06-24, sent to the company 2012-07-03, explained.
    case_id = app.intake_records.find_idempotency_claim("import:cfpb:107099").case_id

    case = app.load_case(case_id)
    history = list(app.repository.event_store.get(case_id))

    def city(day: int, month: int) -> datetime:
        return datetime(2012, month, day, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai

    # Accepted a working day late: the breach and escalation the watchdog would have made,
    # the moment after the accept stage's due time (the end of Monday 25 June in the city).
    passed = datetime(2012, 6, 25, 23, 59, 59, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert [(type(e).__name__, e.stamp.occurred_at) for e in history] == [
        ("Filed", city(24, 6)), ("DeadlineBreached", passed), ("Escalated", passed),
        ("Accepted", city(3, 7)), ("Assigned", city(3, 7)), ("Responded", city(3, 7)),
        ("Closed", city(3, 7)),
    ]
    assert {(e.stamp.actor_id, e.stamp.actor_role) for e in history} == {("import:cfpb", "system")}
    assert all(e.timestamp >= started for e in history)  # recorded now, happened then
    assert case.reference.startswith("HY-2012-")
    assert case.subject == "BANK OF AMERICA, NATIONAL ASSOCIATION: Transaction issue"
    assert "Company complained about: BANK OF AMERICA, NATIONAL ASSOCIATION" in case.description
    assert case.happened_at_place == "NV 89138"
    assert case.anonymous and case.filer.email is None and case.filer.phone is None
    assert (case.reply["outcome"], case.lead_department) == ("explained", "FINSVC")
    assert verify_case(app, case_id).intact


def test_an_open_case_stays_with_its_department_and_its_due_time(services, cfpb, sample):
    import_file(services.complaints, sample, cfpb)
    app = services.complaints
    # Complaint 7446803: received and sent 2023-08-23, "In progress".
    case = app.load_case(app.intake_records.find_idempotency_claim("import:cfpb:7446803").case_id)

    assert (case.status, case.lead_department, case.reply) == ("assigned", "BIZENV", None)
    # The reply is due 15 working days after the assignment, on the city's calendar.
    assert case.due_at.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2023, 9, 13)


def test_a_run_that_died_half_way_is_finished_by_the_next(services, cfpb, sample):
    class Died(Exception):
        pass

    def die_after_two_batches(report: ImportReport) -> None:
        if report.rows >= 1000:
            raise Died

    with pytest.raises(Died):
        import_file(services.complaints, sample, cfpb, batch_size=500,
                    progress=die_after_two_batches)
    resumed = import_file(services.complaints, sample, cfpb)

    assert (resumed.skipped_existing, resumed.imported) == (1000, resumed.rows - 1000)
    assert stored_figures(services) == expected_figures(sample)


@pytest.mark.parametrize("workers", [1, 2])
def test_two_imports_of_one_file_at_once_import_each_row_once(
    settings, services, cfpb, sample, workers
):
    other = build_services(settings)
    reports: list[ImportReport] = []
    try:
        threads = [
            threading.Thread(target=lambda app=app: reports.append(
                import_file(app, sample, cfpb, batch_size=200, workers=workers)))
            for app in (services.complaints, other.complaints)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()

    rows = expected_figures(sample).total
    assert len(reports) == 2
    assert sum(r.imported for r in reports) == rows
    assert sum(r.skipped_existing for r in reports) == rows
    assert stored_figures(services).total == rows


def test_an_import_killed_at_any_moment_is_finished_by_the_next_each_row_once(
    settings, services, cfpb, sample
):
    environment = {**clean_environment(), "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
                   "HUIYIN_DATA_DIR": str(settings.data_dir),
                   "HUIYIN_DATABASE_URL": settings.database_url, "HUIYIN_LOG_LEVEL": "WARNING"}
    running = subprocess.Popen(
        [str(BIN / "huiyin"), "import", str(sample), "--mapping", "cfpb-2023",
         "--batch-size", "100", "--workers", "2"],
        env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while event_count(services) == 0 and running.poll() is None:
            assert time.monotonic() < deadline, "the import wrote nothing"
            time.sleep(0.02)
    finally:
        running.kill()  # SIGKILL: no clean-up, wherever it is (in a batch's transaction, often)
        running.wait()
    app = services.complaints
    killed_with = len(list(all_case_ids(app)))

    resumed = import_file(app, sample, cfpb, workers=2)

    rows = expected_figures(sample).total
    assert 0 < killed_with < rows  # it died half way
    assert (resumed.skipped_existing, resumed.imported) == (killed_with, rows - killed_with)
    assert stored_figures(services) == expected_figures(sample)
    assert all(verify_case(app, case_id).intact for case_id in all_case_ids(app))


def test_a_batch_one_of_whose_rows_was_claimed_meanwhile_writes_nothing(
    services, cfpb, sample, tmp_path
):
    app = services.complaints
    header, rows = sample_rows(sample)
    import_file(app, write_csv(tmp_path / "first.csv", header, rows[:1]), cfpb)
    with open_source(write_csv(tmp_path / "second.csv", header, rows[1:2])) as source:
        case = read_case(cfpb, app.routing, next(source.rows), now=app.clock())
    (built,) = build_cases(app, cfpb, [(case, "HY-2099-000001")])
    taken = app.intake_records.find_idempotency_claims([cfpb.claim_key(rows[0]["Complaint ID"])])
    assert isinstance(built, BuiltCase) and built.key is not None and len(taken) == 1

    own = IdempotencyClaim(cfpb.claim_key(case.source_id), built.case_id, case.digest)
    with pytest.raises(IntegrityError):
        app.recorder.insert_new_cases(built.events, [own, *taken.values()], [built.key])

    assert list(app.recorder.select_events(built.case_id)) == []
    assert app.recorder.select_case_keys([built.case_id]) == {}
    assert app.intake_records.find_idempotency_claims([own.key]) == {}
    app.recorder.insert_new_cases(built.events, [own], [built.key])
    assert verify_case(app, built.case_id).intact


# -- rows that cannot be imported ----------------------------------------------------------------


def test_bad_rows_are_reported_with_their_reasons_and_the_rest_imported(
    services, cfpb, sample, tmp_path
):
    header, rows = sample_rows(sample)
    good = dict(rows[0], **{"Complaint ID": "900001"})
    rows = [
        good,
        dict(good, **{"Complaint ID": "900002", "Date received": "2023-02-30"}),
        dict(good, **{"Complaint ID": "900003", "Submitted via": "Carrier pigeon"}),
        dict(good, **{"Complaint ID": "900004", "Date sent to company": "2023-08-01"}),
        dict(good, **{"Complaint ID": ""}),
        dict(good, **{"Issue": "A second row with the first one's id"}),
        dict(good, **{"Complaint ID": "900007", "Company": ""}),
        dict(rows[1], **{"Complaint ID": "900008"}),
    ]
    path = write_csv(tmp_path / "mixed.csv", header, rows)

    report = import_file(services.complaints, path, cfpb)

    assert report.imported == 2
    assert [(r.row_number, r.source_id) for r in report.rejected] == [
        (3, "900002"), (4, "900003"), (5, "900004"), (6, ""), (7, "900001"), (8, "900007"),
    ]
    reasons = [r.reason for r in report.rejected]
    assert "'Date received' '2023-02-30' is not a date in the format %Y-%m-%d" in reasons[0]
    assert "'Submitted via' 'Carrier pigeon' is not one of the mapping's channel" in reasons[1]
    assert "'Date sent to company' '2023-08-01' is before 'Date received'" in reasons[2]
    assert "no source id" in reasons[3]
    assert "source id 900001 is also on row 2" in reasons[4]
    assert "'Company' is empty" in reasons[5]
    assert stored_figures(services).total == 2


def test_a_row_imported_before_with_other_content_is_rejected_not_changed(
    services, cfpb, sample, tmp_path
):
    header, rows = sample_rows(sample)
    first = write_csv(tmp_path / "first.csv", header, rows[:3])
    import_file(services.complaints, first, cfpb)
    changed = dict(rows[2], **{"Company response to consumer": "Closed with monetary relief"})
    second = write_csv(tmp_path / "second.csv", header, [*rows[:2], changed])

    report = import_file(services.complaints, second, cfpb)

    assert (report.imported, report.skipped_existing) == (0, 2)
    assert [(r.row_number, r.source_id) for r in report.rejected] == [(4, rows[2]["Complaint ID"])]
    assert "imported before with different content" in report.rejected[0].reason


def test_ratings_and_departments_from_columns_are_recorded(services, sample, tmp_path):
    text = shipped_mapping("cfpb-2023").read_text("utf-8").replace(
        "[category]\n", '[category]\ndepartment_column = "Department"\n', 1
    ) + '\n[rating]\ncolumn = "Stars"\nat = "Rated on"\ncomment = "Comment"\n'
    (tmp_path / "rated.toml").write_text(text, encoding="utf-8")
    mapping = load_mapping(tmp_path / "rated.toml", services.routing)
    header, rows = sample_rows(sample)
    closed = [row for row in rows if row["Company response to consumer"] != "In progress"]
    extra = {"Department": "", "Stars": "", "Rated on": "", "Comment": ""}
    path = write_csv(tmp_path / "rated.csv", [*header, *extra], [
        {**closed[0], **extra, "Stars": "5", "Rated on": "2023-09-01", "Comment": "Fixed"},
        {**closed[1], **extra, "Stars": "2", "Rated on": "2023-09-01"},
        {**closed[2], **extra, "Department": "TAX"},
        {**closed[3], **extra, "Department": "NOPE"},
    ])

    report = import_file(services.complaints, path, mapping)

    app = services.complaints
    pleased, displeased, taxed = (
        app.load_case(app.intake_records.find_idempotency_claim(
            mapping.claim_key(row["Complaint ID"])).case_id)
        for row in closed[:3]
    )
    assert [(r.row_number, r.reason) for r in report.rejected] == [
        (5, "'Department' 'NOPE' is not a department code")
    ]
    assert (pleased.status, pleased.review.score, pleased.closed_at) == (
        "closed", 5, datetime(2023, 9, 1, 1, 0, tzinfo=UTC)
    )
    # A bad review holds the case open for its re-check, as it would for a case filed today.
    assert (displeased.status, displeased.review.blocker[0]) == ("responded", "review_pending")
    assert (taxed.lead_department, taxed.co_departments, taxed.status) == ("TAX", [], "closed")


def test_an_xlsx_file_imports_like_its_csv(services, cfpb, sample, tmp_path):
    header, rows = sample_rows(sample)
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows[:5]:
        cells = dict(row)
        cells["Complaint ID"] = int(row["Complaint ID"])
        for column in ("Date received", "Date sent to company"):
            cells[column] = datetime.fromisoformat(row[column])  # a date cell, not text
        sheet.append([cells[column] for column in header])
    book.save(tmp_path / "five.xlsx")

    report = import_file(services.complaints, tmp_path / "five.xlsx", cfpb)
    again = import_file(services.complaints, write_csv(tmp_path / "five.csv", header, rows[:5]),
                        cfpb)

    assert (report.imported, report.rejected) == (5, [])
    assert (again.imported, again.skipped_existing) == (0, 5)  # the same rows, the same digests


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def huiyin(tmp_path):
    environment = {**clean_environment(), "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": TEST_SECRET,
                   "HUIYIN_DATA_DIR": str(tmp_path / "var"), "HUIYIN_LOG_LEVEL": "WARNING"}

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "huiyin"), *args], capture_output=True, text=True,
                              env={**environment, **(env or {})}, cwd=ROOT, timeout=300,
                              check=False)

    return run


def test_the_import_command_reports_and_exits_by_what_happened(huiyin, sample, tmp_path):
    header, rows = sample_rows(sample)
    bad = dict(rows[3], **{"Date received": "yesterday"})
    mixed = write_csv(tmp_path / "mixed.csv", header, [*rows[:3], bad])
    rejected = tmp_path / "rejected.csv"

    first = huiyin("import", str(mixed), "--mapping", "cfpb-2023", "--rejected", str(rejected))
    clean = huiyin("import", str(write_csv(tmp_path / "good.csv", header, rows[:3])),
                   "--mapping", "cfpb-2023", "--batch-size", "2")

    assert first.returncode == 1, first.stderr
    assert "3 imported, 0 imported before and skipped, 1 rejected" in first.stdout
    assert "those rows were not imported" in first.stdout
    assert f"rejected row 5 ({rows[3]['Complaint ID']}): 'Date received' 'yesterday'" in (
        first.stdout
    )
    with rejected.open(encoding="utf-8", newline="") as saved:
        assert [line[:2] for line in csv.reader(saved)] == [
            ["row", "source_id"], ["5", rows[3]["Complaint ID"]]
        ]
    assert "retention: a case closed more than 3 years ago (before " in first.stdout
    assert clean.returncode == 0, clean.stderr
    assert "0 imported, 3 imported before and skipped, 0 rejected" in clean.stdout
    assert "retention:" not in clean.stdout  # nothing imported, nothing to warn of


def test_an_import_that_fails_part_way_exits_3_and_the_next_run_finishes_it(
    settings, sample, monkeypatch, capsys
):
    """The store gives way after two batches: what was saved stays, the status says failure
    (not "rows rejected"), and running it again imports the rest."""
    real_import = cli.import_file

    def store_gives_way(app, path, mapping, **options):
        def after_two_batches(report: ImportReport) -> None:
            if report.rows >= 1000:
                raise sqlite3.OperationalError("disk I/O error")

        return real_import(app, path, mapping, **{**options, "progress": after_two_batches})

    arguments = argparse.Namespace(file=sample, mapping="cfpb-2023", format=None,
                                   batch_size=500, workers=1, rejected=None)
    monkeypatch.setattr(cli, "import_file", store_gives_way)
    failed = cli.run(settings, arguments)
    said = capsys.readouterr().err
    monkeypatch.setattr(cli, "import_file", real_import)
    finished = cli.run(settings, arguments)

    assert failed == cli.FAILED == 3
    assert "failed: OperationalError: disk I/O error" in said
    assert "the rows saved so far stay imported" in said
    assert finished == 0
    assert "1,000 imported before and skipped, 0 rejected" in capsys.readouterr().out


def test_the_import_command_refuses_an_unusable_mapping_or_file(huiyin, sample, tmp_path):
    mapping = tmp_path / "broken.toml"
    mapping.write_text(
        shipped_mapping("cfpb-2023").read_text("utf-8").replace('= "credit"', '= "credits"', 1),
        encoding="utf-8",
    )
    header, rows = sample_rows(sample)
    no_channel = write_csv(tmp_path / "no-channel.csv",
                           [c for c in header if c != "Submitted via"],
                           [{k: v for k, v in rows[0].items() if k != "Submitted via"}])

    broken = huiyin("import", str(sample), "--mapping", str(mapping))
    missing_column = huiyin("import", str(no_channel), "--mapping", "cfpb-2023")

    assert broken.returncode == 2
    assert "unknown category 'credits'" in broken.stderr
    assert "nothing was imported" in broken.stderr
    assert missing_column.returncode == 2
    assert "no column 'Submitted via'" in missing_column.stderr


def test_the_import_command_refuses_retention_periods_it_cannot_read(huiyin, sample, tmp_path):
    periods = tmp_path / "retention.json"
    periods.write_text('{"default": {"years": 0}, "overrides": {}}', encoding="utf-8")

    refused = huiyin("import", str(sample), "--mapping", "cfpb-2023",
                     env={"HUIYIN_RETENTION_FILE": str(periods)})

    assert refused.returncode == 2
    assert "nothing was imported" in refused.stderr
    assert "retention.json" in refused.stderr
