"""The application on each real store: tamper evidence, idempotent intake, unique references."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import psycopg
import pytest

from complaints.application.audit import all_case_ids, case_history, verify_case
from complaints.application.case_application import VersionConflictError
from complaints.application.filing import IdempotencyKeyReusedError
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.settings import Settings
from tests.fixtures.filing import filing_command

PUBLIC = Principal("public", Role.FILER)
INTAKE = Principal("intake", Role.INTAKE)
HANDLER = Principal("handler-TAX", Role.HANDLER, department="TAX")


def submission(subject: str = "出口退税迟迟不到账") -> dict:
    return {
        "channel": "web",
        "category": "tax",
        "subject": subject,
        "description": "三个月前申报的出口退税至今未到账。",
        "filer": {"enterprise_name": "黑河边贸有限公司", "credit_code": "91110000802100433B"},
    }


@pytest.fixture
def services(settings: Settings):
    built = build_services(settings, create_tables=True)
    yield built
    built.close()


def handled_case(services):
    app = services.complaints
    filing = app.file_case(PUBLIC, filing_command(submission()))
    app.accept_case(INTAKE, filing.case_id)
    app.assign_case(INTAKE, filing.case_id)
    app.respond(HANDLER, filing.case_id, outcome="resolved", reply="退税已到账")
    return filing


def edit_stored_event(settings: Settings, case_id, version: int, change) -> None:
    """Change one stored row behind the application's back, as an intruder with SQL would."""
    if settings.postgres is None:
        with sqlite3.connect(settings.sqlite_path) as db:
            (state,) = db.execute(
                "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
                (case_id.hex, version),
            ).fetchone()
            db.execute(
                "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
                (json.dumps(change(json.loads(state))).encode(), case_id.hex, version),
            )
        return
    with psycopg.connect(settings.database_url, autocommit=True) as db:
        (state,) = db.execute(
            "SELECT state FROM complaints_events"
            " WHERE originator_id=%s AND originator_version=%s",
            (case_id, version),
        ).fetchone()
        db.execute(
            "UPDATE complaints_events SET state=%s"
            " WHERE originator_id=%s AND originator_version=%s",
            (json.dumps(change(json.loads(bytes(state)))).encode(), case_id, version),
        )


def test_an_untouched_case_verifies(services):
    filing = handled_case(services)
    result = verify_case(services.complaints, filing.case_id)
    assert result.intact and result.events_checked == 4


def test_an_edited_row_fails_verification_naming_the_event(services, settings):
    filing = handled_case(services)

    def soften_the_reply(state):
        state["reply"] = "没有问题"
        return state

    edit_stored_event(settings, filing.case_id, 4, soften_the_reply)
    result = verify_case(services.complaints, filing.case_id)
    assert not result.intact
    assert [(b.position, b.event_type) for b in result.broken] == [(4, "Responded")]
    assert "does not match its hash" in result.broken[0].problem


def test_rewriting_an_events_hash_too_breaks_the_next_link(services, settings):
    filing = handled_case(services)

    def forge(state):
        state["proposed_lead"] = "CUSTOMS"
        state["hash"] = "f" * 64
        return state

    edit_stored_event(settings, filing.case_id, 2, forge)
    broken = verify_case(services.complaints, filing.case_id).broken
    assert [(b.position, b.event_type) for b in broken] == [(2, "Accepted"), (3, "Assigned")]
    assert "previous hash" in broken[1].problem


def test_the_same_idempotency_key_files_one_case_and_answers_the_same(services):
    app = services.complaints
    first = app.file_case(PUBLIC, filing_command(submission()), idempotency_key="key-1")
    again = app.file_case(PUBLIC, filing_command(submission()), idempotency_key="key-1")
    assert (again.case_id, again.reference, again.access_code) == (
        first.case_id, first.reference, first.access_code)
    assert again.replayed and not first.replayed
    assert list(all_case_ids(app)) == [first.case_id]
    with pytest.raises(IdempotencyKeyReusedError):
        app.file_case(PUBLIC, filing_command(submission("another matter")), idempotency_key="key-1")


def test_concurrent_retries_with_one_key_file_one_case(services):
    app = services.complaints
    with ThreadPoolExecutor(max_workers=6) as pool:
        filings = list(pool.map(
            lambda _: app.file_case(PUBLIC, filing_command(submission()), idempotency_key="burst"),
            range(12)))
    assert len({f.case_id for f in filings}) == 1
    assert len(list(all_case_ids(app))) == 1


def _file_many(settings: Settings, count: int, queue) -> None:
    services = build_services(settings, create_tables=False)
    queue.put([services.complaints.file_case(PUBLIC, filing_command(submission())).reference
               for _ in range(count)])
    services.close()


def test_references_are_unique_across_processes(services, settings):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_file_many, args=(settings, 25, queue))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    references = [ref for _ in workers for ref in queue.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=60)
    assert len(references) == len(set(references)) == 75
    assert all(ref.startswith("HY-2026-") for ref in references)


def test_history_replays_the_case_as_it_stood_after_each_event(services):
    filing = handled_case(services)
    app = services.complaints
    statuses = [case_history(app, INTAKE, filing.case_id, as_of_position=n)["state"]["status"]
                for n in range(1, 5)]
    assert statuses == ["filed", "accepted", "assigned", "responded"]
    accepted_at = case_history(app, INTAKE, filing.case_id)["events"][1]["recorded_at"]
    as_of = datetime.fromisoformat(accepted_at)
    then = case_history(app, INTAKE, filing.case_id, as_of_time=as_of)
    assert then["state"]["status"] == "accepted" and len(then["events"]) == 2


def test_a_receipt_delivered_twice_is_recorded_once(services):
    app = services.complaints
    filing = app.file_case(PUBLIC, filing_command(submission()))
    receipt = {"delivered": True, "channel": "email", "template": "filed",
               "message_id": "<1@huiyin.example>", "text": "您的投诉已受理"}
    first = app.record_receipt(filing.case_id, "notification-1", **receipt)
    again = app.record_receipt(filing.case_id, "notification-1", **receipt)
    case = app.load_case(filing.case_id)
    assert (first, again) == (True, False)
    assert [m["channel"] for m in case.messages] == ["email"]
    assert verify_case(app, filing.case_id).intact


@pytest.fixture
def receipt_saved_between_load_and_save(services):
    """A receipt recorded on a case after the next command loaded it, once: the background
    process that records notify's receipts saving while a person acts."""
    app = services.complaints
    load_case = app.load_case
    interposed: list = []

    def load_then_interpose(case_id, version=None):
        case = load_case(case_id, version)
        if not interposed:
            interposed.append(case_id)
            app.record_receipt(case_id, "notification-1", delivered=True, channel="email",
                               template="filed", text="您的投诉已受理")
        return case

    app.load_case = load_then_interpose
    return interposed


def test_a_command_without_a_version_is_decided_again_after_a_save_in_between(
    services, receipt_saved_between_load_and_save
):
    app = services.complaints
    filing = app.file_case(PUBLIC, filing_command(submission()))

    app.accept_case(INTAKE, filing.case_id)

    case = app.load_case(filing.case_id)
    assert receipt_saved_between_load_and_save == [filing.case_id]
    assert (case.status, case.version) == ("accepted", 3)
    assert [m["channel"] for m in case.messages] == ["email"]
    assert verify_case(app, filing.case_id).intact


def test_a_command_naming_the_version_it_saw_conflicts_with_a_save_in_between(
    services, receipt_saved_between_load_and_save
):
    app = services.complaints
    filing = app.file_case(PUBLIC, filing_command(submission()))

    with pytest.raises(VersionConflictError):
        app.accept_case(INTAKE, filing.case_id, expected_version=1)

    case = app.load_case(filing.case_id)
    assert (case.status, case.version) == ("filed", 2)


OPENERS, OPENINGS = 4, 5


def _open_store_again_and_again(settings: Settings, together, results) -> None:
    for _ in range(OPENINGS):
        together.wait(timeout=120)
        try:
            build_services(settings, create_tables=True).close()
            results.put("opened")
        except Exception as error:  # what a server starting at that moment would die of
            results.put(f"{type(error).__name__}: {error}")


@pytest.mark.parametrize("store", ["postgresql"])
def test_processes_opening_the_store_at_once_all_open_it(settings):
    """Servers started together each make sure of the tables (`CREATE … IF NOT EXISTS`,
    the library's functions, the tables' storage settings); they take turns, so none dies of
    a deadlock between one's function and another's table lock."""
    context = multiprocessing.get_context("spawn")
    together, results = context.Barrier(OPENERS), context.Queue()
    openers = [context.Process(target=_open_store_again_and_again,
                               args=(settings, together, results)) for _ in range(OPENERS)]
    for opener in openers:
        opener.start()
    outcomes = [results.get(timeout=120) for _ in range(OPENERS * OPENINGS)]
    for opener in openers:
        opener.join(timeout=60)
    assert outcomes == ["opened"] * OPENERS * OPENINGS
