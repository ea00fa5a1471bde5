"""The case index keeps no plain contact detail, and forgets the filer at once when erased.

On SQLite and PostgreSQL: credit codes, phones and emails are found through keyed hashes
only; an erasure clears every personal column and the full-text entry with its tracking
record; a rebuild from the events afterwards brings nothing back; scorecards do not move.
"""

from __future__ import annotations

from datetime import date

import pytest
from psycopg.sql import SQL

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.processes import catch_up_projections, rebuild_projections
from complaints.readmodels.case_index import open_case_index
from complaints.readmodels.case_index.postgres import CaseIndexPostgresRecorder
from complaints.readmodels.case_index.rows import CaseRow
from complaints.readmodels.scorecards import open_scorecards
from tests.fixtures.filing import filing_command

FILER = Principal("public", Role.FILER)
INTAKE = Principal("i", Role.INTAKE)
SUPERVISOR = Principal("s", Role.SUPERVISOR)
TAX_HANDLER = Principal("h", Role.HANDLER, department="TAX")
CREDIT_CODE = "91350100M000100Y43"
# One value no other text contains, in every personal field the index could hold.
MARKERS = {
    "enterprise_name": "Zqxenterprise 黑河市琥珀贸易有限公司",
    "contact_person": "Zqxcontact",
    "phone": "+86 456 823 7719",
    "email": "Zqx.Marker@Example.CN",
    "subject": "Zqxsubject 琥珀退税迟迟未到账",
    "description": "Zqxdescription 我公司申请出口退税。",
    "happened_at_place": "Zqxplace",
}
SEARCHES = {
    "text": "zqxsubject", "enterprise_name": "zqxenterprise",
    "credit_code": " 9135 0100 m000 100y43", "phone": "0456-823-7719",
    "email": " zqx.marker@example.cn ",
}
WHOLE_HISTORY = (date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture
def services(settings):
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def app(services):
    return services.complaints


@pytest.fixture
def index(settings, app):
    case_index = open_case_index(settings)
    yield case_index
    case_index.close()


def file_marked(app, **changes):
    filer = {key: MARKERS[key] for key in
             ("enterprise_name", "contact_person", "phone", "email")} | {
        "credit_code": CREDIT_CODE}
    submission = {
        "channel": "web", "category": "tax", "subject": MARKERS["subject"],
        "description": MARKERS["description"], "happened_at_place": MARKERS["happened_at_place"],
        "filer": filer, **changes,
    }
    return app.file_case(FILER, filing_command(submission))


def assigned(app, filing):
    app.accept_case(INTAKE, filing.case_id)
    app.assign_case(INTAKE, filing.case_id)
    return filing


def closed_and_rated(app, filing, score):
    assigned(app, filing)
    app.respond(TAX_HANDLER, filing.case_id, "resolved", "已办结，税款已退。")
    app.rate_case(INTAKE, filing.case_id, score, "Zqxcomment")
    if score <= 2:
        app.conclude_review(SUPERVISOR, filing.case_id, False, "不属实")
    app.close_case(TAX_HANDLER, filing.case_id)
    return filing


def raw_text(index) -> str:
    """Every value of every row of the index and of its full-text entries, as stored."""
    recorder = index.recorder
    if isinstance(recorder, CaseIndexPostgresRecorder):
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(f"SELECT *, search_grams::text AS words FROM {recorder.table}"))
            rows = [list(row.values()) for row in curs.fetchall()]
    else:
        with recorder.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM case_index")
            rows = [list(row) for row in c.fetchall()]
            c.execute("SELECT * FROM case_index_fts")
            rows += [list(row) for row in c.fetchall()]
    return "\n".join(str(value) for row in rows for value in row)


def found_by(index, **search) -> list[str]:
    return [item["reference"] for item in index.search(**search).items]


def marks_in(text: str) -> list[str]:
    lowered = text.lower()
    needles = ["zqx", "琥珀", "8237719", "4568237719", CREDIT_CODE.lower()]
    return [needle for needle in needles if needle in lowered]


def test_credit_code_phone_and_email_are_found_as_written_yet_kept_only_as_keyed_hashes(
    settings, app, index
):
    filing = file_marked(app)
    other = file_marked(app, filer={"enterprise_name": "Other Ltd", "phone": "+86 138 0000 0000"})
    catch_up_projections(settings)

    for name in ("credit_code", "phone", "email"):
        assert found_by(index, **{name: SEARCHES[name]}) == [filing.reference], name
    assert found_by(index, phone="13800000000") == [other.reference]
    assert found_by(index, phone="+86 456 823 7710") == []
    assert found_by(index, phone="--") == []  # names no number: finds nothing, not everything
    stored = raw_text(index)
    for plain in (CREDIT_CODE, "4568237719", "zqx.marker@example.cn", "Zqx.Marker"):
        assert plain.lower() not in stored.lower()


def test_a_handler_does_not_find_a_confidential_filer_by_phone_or_email(settings, app, index):
    filing = assigned(app, file_marked(app, confidential=True))
    catch_up_projections(settings)

    assert found_by(index, phone=SEARCHES["phone"]) == [filing.reference]
    for name in ("phone", "email", "credit_code"):
        assert found_by(index, masked_identities=True, **{name: SEARCHES[name]}) == []


def test_erasure_clears_every_personal_value_and_the_words_keeping_the_cases_facts(
    settings, app, index
):
    filing = assigned(app, file_marked(app))
    catch_up_projections(settings)
    before = index.search(reference=filing.reference).items[0]
    for name, value in SEARCHES.items():
        assert found_by(index, **{name: value}) == [filing.reference], name
    assert marks_in(raw_text(index))

    app.erase_personal_data(SUPERVISOR, filing.case_id, "filer_request")
    catch_up_projections(settings)

    assert_forgotten(index, filing, before)
    assert index.lag().behind == 0  # the erasure's rows came with its tracking record


def test_a_rebuild_from_the_events_after_erasure_brings_nothing_back(settings, app, index):
    filing = assigned(app, file_marked(app))
    kept = app.file_case(FILER, filing_command({
        "channel": "web", "category": "tax", "subject": "Keptsubject 出口退税",
        "description": "Kept.", "filer": {"enterprise_name": "Kept Ltd", "phone": "13800000000"},
    }))
    catch_up_projections(settings)
    before = index.search(reference=filing.reference).items[0]
    app.erase_personal_data(SUPERVISOR, filing.case_id, "filer_request")
    catch_up_projections(settings)

    rebuild_projections(settings)

    assert_forgotten(index, filing, before)
    assert found_by(index, text="keptsubject 退税") == [kept.reference]  # the other case stays
    assert found_by(index, phone="+86 138 0000 0000") == [kept.reference]


def test_an_erased_case_reads_as_erased_even_where_its_key_is_still_cached(settings, app, index):
    filing = assigned(app, file_marked(app))
    projecting = build_services(settings).complaints  # another process, its key cache warm
    try:
        assert projecting.case_keys.data_key(filing.case_id) is not None
        app.erase_personal_data(SUPERVISOR, filing.case_id, "filer_request")
        case = projecting.load_case(filing.case_id)

        row = CaseRow.of(case, index.blind)
    finally:
        projecting.close()

    assert case.personal_data_erased is not None
    assert not marks_in(str(row.values()))
    assert (row.credit_code_hash, row.phone_hash, row.email_hash) == (None, None, None)


def test_scorecards_are_the_same_before_and_after_erasure_and_its_rebuild(settings, app):
    cases = [closed_and_rated(app, file_marked(app), score) for score in (5, 2, 4)]
    assigned(app, file_marked(app))
    catch_up_projections(settings)
    scorecards = open_scorecards(app, create=True)
    before = scorecards.scorecard(*WHOLE_HISTORY)

    for filing, basis in zip(cases, ("purpose_fulfilled", "retention_expired", "filer_request"),
                             strict=True):
        app.erase_personal_data(SUPERVISOR, filing.case_id, basis)
    catch_up_projections(settings)
    after = scorecards.scorecard(*WHOLE_HISTORY)
    rebuild_projections(settings)
    rebuilt = scorecards.scorecard(*WHOLE_HISTORY)

    assert before.total.figures["received"] == 4
    for report in (after, rebuilt):
        assert (report.total, report.departments) == (before.total, before.departments)


def assert_forgotten(index, filing, before):
    for name, value in SEARCHES.items():
        assert found_by(index, **{name: value}) == [], name
    (row,) = index.search(reference=filing.reference).items
    assert row["personal_data_erased"] is True
    assert (row["subject"], row["enterprise_name"], row["credit_code_sealed"]) == ("", None, None)
    facts = ("status", "category", "lead_department", "co_departments", "filed_at", "due_at",
             "confidential", "anonymous", "round", "review_stage", "deadline_state")
    assert {name: row[name] for name in facts} == {name: before[name] for name in facts}
    assert marks_in(raw_text(index)) == []


def test_an_index_an_earlier_version_made_with_plain_credit_codes_is_made_anew(
    settings, app, index
):
    filing = file_marked(app)
    catch_up_projections(settings)
    earlier = [  # the table as it was: a credit code in clear, no hash of the email
        "DROP INDEX IF EXISTS case_index_by_email",
        "ALTER TABLE {table} DROP COLUMN email_hash",
        "ALTER TABLE {table} ADD COLUMN credit_code TEXT",
        f"UPDATE {{table}} SET credit_code = '{CREDIT_CODE}'",
    ]
    recorder = index.recorder
    if isinstance(recorder, CaseIndexPostgresRecorder):
        recorder.execute_in_transaction([SQL(s.format(table=recorder.table)) for s in earlier])
    else:
        recorder.execute_in_transaction([s.format(table="case_index") for s in earlier])
    assert CREDIT_CODE in raw_text(index)

    reopened = open_case_index(settings, create_tables=True)
    try:
        assert reopened.lag().tracked == 0 and reopened.search().total == 0
        catch_up_projections(settings)
        assert found_by(reopened, credit_code=CREDIT_CODE) == [filing.reference]
        assert CREDIT_CODE not in raw_text(reopened)
    finally:
        reopened.close()
