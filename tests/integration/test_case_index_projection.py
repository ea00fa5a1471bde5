"""The case_index projection counts each event once, rebuilds the same, and runs by itself."""

import logging
import threading
import time

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.processes import catch_up_projections, rebuild_projections, run_projections
from complaints.readmodels.case_index import CaseIndexProjection, open_case_index
from complaints.readmodels.case_index.rows import CaseRow
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import settings_for

FILER = Principal("public", Role.FILER)
INTAKE = Principal("i", Role.INTAKE)
TAX_HANDLER = Principal("h", Role.HANDLER, department="TAX")
SUPERVISOR = Principal("s", Role.SUPERVISOR)
WAIT_SECONDS = 30.0


@pytest.fixture
def app(settings):
    services = build_services(settings)
    yield services.complaints
    services.close()


@pytest.fixture
def index(settings, app):
    case_index = open_case_index(settings)
    yield case_index
    case_index.close()


def file_case(app, subject="出口退税迟迟未到账",
              description="我公司三月申请出口退税，至今未到账。"):
    return app.file_case(
        FILER,
        filing_command({
            "channel": "web",
            "category": "tax",
            "subject": subject,
            "description": description,
            "filer": {"enterprise_name": "黑河市远东贸易有限公司"},
        }),
    )


def wait_until(condition):
    """Poll `condition` until it holds or WAIT_SECONDS pass; whether it held."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def indexed_status(index, reference):
    page = index.search(reference=reference)
    return page.items[0]["status"] if page.items else None


@pytest.fixture
def running_projections(settings):
    stop = threading.Event()
    runner = threading.Thread(
        target=run_projections, args=(settings,), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    runner.start()
    yield runner
    stop.set()
    runner.join(timeout=WAIT_SECONDS)


# -- exactly once -----------------------------------------------------------------------------


def test_processing_the_same_notifications_twice_changes_nothing(app, index):
    filing = file_case(app)
    app.accept_case(INTAKE, filing.case_id)
    projection = CaseIndexProjection(app, index)
    batch = projection.pending()

    first = projection.process(batch)
    seen = (index.search().items, index.status_counts(), index.lag())
    second = projection.process(batch)

    assert (first, second) == (2, 0)
    assert (index.search().items, index.status_counts(), index.lag()) == seen
    assert index.status_counts()["accepted"] == 1


def test_a_position_already_recorded_is_refused(app, index):
    file_case(app)
    CaseIndexProjection(app, index).catch_up()
    tracked = index.lag().tracked

    with pytest.raises(IntegrityError):
        index.recorder.apply([], Tracking(app.name, tracked), after=tracked)
    with pytest.raises(IntegrityError):
        index.recorder.apply([], Tracking(app.name, tracked), after=0)
    assert index.lag().tracked == tracked


def test_a_row_never_goes_back_to_an_older_version_of_its_case(app, index):
    filing = file_case(app)
    app.accept_case(INTAKE, filing.case_id)
    CaseIndexProjection(app, index).catch_up()
    filed_only = CaseRow.of(app.load_case(filing.case_id, version=1), index.blind)
    tracked = index.lag().tracked

    index.recorder.apply([filed_only], Tracking(app.name, tracked + 1), after=tracked)

    (row,) = index.search().items
    assert (row["status"], row["version"]) == ("accepted", 2)


def test_a_batch_read_before_a_rebuild_is_refused_after_it(app, index):
    file_case(app)
    projection = CaseIndexProjection(app, index)
    projection.catch_up()
    late = file_case(app, "进出口退税办理太慢")
    stale = projection.pending()

    index.recorder.recreate_tables()
    skipped = projection.process(stale)
    caught_up = projection.catch_up()

    assert (skipped, caught_up) == (0, 2)
    assert index.search().total == 2
    assert index.search(text="进出口").items[0]["reference"] == late.reference


# -- rebuild ----------------------------------------------------------------------------------


def test_a_rebuild_gives_the_same_index(settings, app, index):
    answered = file_case(app, "进出口退税办理太慢")
    waiting = file_case(app, "Груз стоит на границе")
    file_case(app, "Construction permit never came")
    for filing in (answered, waiting):
        app.accept_case(INTAKE, filing.case_id)
        app.assign_case(INTAKE, filing.case_id)
    app.respond(TAX_HANDLER, answered.case_id, "resolved", "已退税。")
    catch_up_projections(settings)
    before = (index.search().items, index.queue("TAX").items, index.status_counts())

    processed = rebuild_projections(settings)

    assert processed == 8
    assert (index.search().items, index.queue("TAX").items, index.status_counts()) == before
    assert index.search(text="permit").total == 1
    assert index.lag().behind == 0



def test_an_index_an_earlier_version_made_is_made_again_from_the_events(settings, app, index):
    """Its words were cut another way (a column of another name): opening the index drops
    it, and the projection fills the new one from the log."""
    filed = file_case(app, "进出口退税办理太慢")
    catch_up_projections(settings)
    old = "search_vector" if settings.postgres else "search_text"
    with index.recorder.datastore.transaction(commit=True) as curs:
        curs.execute(f"ALTER TABLE case_index RENAME COLUMN search_grams TO {old}")

    reopened = open_case_index(settings)
    try:
        assert reopened.search().total == 0
        catch_up_projections(settings)
        assert [row["reference"] for row in reopened.search(text="口退税").items] == [
            filed.reference]
    finally:
        reopened.close()

# -- the runner -------------------------------------------------------------------------------


def test_the_runner_keeps_the_index_current_and_stops_when_asked(
    app, index, running_projections, caplog
):
    caplog.set_level(logging.INFO, logger="complaints.readmodels.projection")
    filing = file_case(app)

    assert wait_until(lambda: indexed_status(index, filing.reference) == "filed")
    app.accept_case(INTAKE, filing.case_id)
    assert wait_until(lambda: indexed_status(index, filing.reference) == "accepted")
    assert wait_until(lambda: index.lag().behind == 0)
    assert any("case_index lag" in record.getMessage() for record in caplog.records)


def test_the_runner_thread_ends_once_stop_is_set(settings, app):
    stop = threading.Event()
    runner = threading.Thread(
        target=run_projections, args=(settings,), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    runner.start()
    file_case(app)

    stop.set()
    runner.join(timeout=WAIT_SECONDS)

    assert not runner.is_alive()


def test_the_runner_wakes_when_events_are_committed_rather_than_after_its_poll(
    settings, app, index
):
    # A poll a minute apart: only the store's word that events were committed (LISTEN on
    # PostgreSQL, the file's change counter on SQLite) brings the second case in in time.
    stop = threading.Event()
    runner = threading.Thread(
        target=run_projections, args=(settings,), kwargs={"stop": stop, "poll_interval": 60}
    )
    first = file_case(app)
    runner.start()
    try:
        assert wait_until(lambda: indexed_status(index, first.reference) == "filed")
        second = file_case(app, subject="执法检查过于频繁")  # while the runner waits

        assert wait_until(lambda: indexed_status(index, second.reference) == "filed")
    finally:
        stop.set()
        runner.join(timeout=WAIT_SECONDS)
    assert not runner.is_alive()


@pytest.mark.postgres
def test_the_runner_rides_out_dropped_database_connections(tmp_path, postgres_url):
    # Tables once, before the processes start, as a deployment does: concurrent CREATE
    # statements on a fresh PostgreSQL database can collide.
    build_services(settings_for("postgresql", str(tmp_path), postgres_url)).close()
    open_case_index(settings_for("postgresql", str(tmp_path), postgres_url)).close()
    settings = settings_for("postgresql", str(tmp_path), postgres_url, HUIYIN_CREATE_TABLES="0")
    stop = threading.Event()
    runner = threading.Thread(
        target=run_projections, args=(settings,), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    runner.start()
    try:
        first = file_case_with_fresh_services(settings)
        assert wait_until(lambda: indexed(settings, first.reference))

        drop_every_connection(postgres_url)
        second = file_case_with_fresh_services(settings)

        assert wait_until(lambda: indexed(settings, second.reference))
    finally:
        stop.set()
        runner.join(timeout=WAIT_SECONDS)
    assert not runner.is_alive()


def file_case_with_fresh_services(settings):
    services = build_services(settings)
    try:
        return file_case(services.complaints)
    finally:
        services.close()


def indexed(settings, reference):
    case_index = open_case_index(settings, create_tables=False)
    try:
        return case_index.search(reference=reference).total == 1
    finally:
        case_index.close()


def drop_every_connection(url):
    with psycopg.connect(url, autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    assert dropped, "the runner should have held connections to drop"


# -- folding cases from the batches -----------------------------------------------------------


def history(app, cases=4):
    """Cases at different stages, their events interleaved in the log."""
    filings = [file_case(app, f"出口退税迟迟未到账 {number}") for number in range(cases)]
    for filing in filings[1:]:
        app.accept_case(INTAKE, filing.case_id)
    for filing in filings[2:]:
        app.assign_case(INTAKE, filing.case_id)
    for filing in filings[3:]:
        app.respond(TAX_HANDLER, filing.case_id, "resolved", "已退税。")
    return filings


def indexed_rows(index):
    return sorted(index.search(limit=100).items, key=lambda row: row["reference"])


def rows_of_the_cases_loaded_whole(app, index, filings):
    """What the index must hold: each case's row made from the case loaded from the store."""
    rows = [CaseRow.of(app.load_case(filing.case_id), index.blind) for filing in filings]
    return sorted((row.reference, row.status, row.version, row.subject, tuple(row.search_words))
                   for row in rows)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7])
def test_cases_split_across_batches_are_indexed_as_the_store_has_them(app, index, batch_size):
    filings = history(app)
    CaseIndexProjection(app, index).catch_up()
    in_one_batch = indexed_rows(index)

    index.recorder.recreate_tables()
    processed = CaseIndexProjection(app, index, batch_size=batch_size).catch_up()

    assert processed == 4 + 3 + 2 + 1
    assert indexed_rows(index) == in_one_batch
    assert [row["version"] for row in in_one_batch] == [1, 2, 3, 4]
    assert [(row["reference"], row["status"], row["version"], row["subject"])
            for row in in_one_batch] == [
        expected[:4] for expected in rows_of_the_cases_loaded_whole(app, index, filings)
    ]
    assert index.search(text="退税").total == 4


def loads_counted(app, monkeypatch):
    """The case ids the application loads whole from the store, in order."""
    loaded = []
    load_case = app.load_case

    def counted(case_id, *args, **kwargs):
        loaded.append(case_id)
        return load_case(case_id, *args, **kwargs)

    monkeypatch.setattr(app, "load_case", counted)
    return loaded


def test_cases_whose_events_stand_batches_apart_are_folded_without_loading(
        app, index, monkeypatch):
    filings = history(app)  # each case's events several batches of one apart
    loaded = loads_counted(app, monkeypatch)

    CaseIndexProjection(app, index, batch_size=1).catch_up()

    assert loaded == []
    assert [(row[0], row[1], row[2]) for row in rows_of_the_cases_loaded_whole(
        app, index, filings)] == [(row["reference"], row["status"], row["version"])
                                   for row in indexed_rows(index)]


def test_a_case_dropped_from_those_kept_is_loaded_again_and_indexed_as_stored(
        app, index, monkeypatch):
    filings = history(app)
    loaded = loads_counted(app, monkeypatch)

    CaseIndexProjection(app, index, batch_size=1, recent=1).catch_up()

    # Only the case changed last is kept: each later event of another case loads it again.
    assert loaded
    assert set(loaded) <= {filing.case_id for filing in filings[1:]}
    assert [row["version"] for row in indexed_rows(index)] == [1, 2, 3, 4]
    assert sorted((row["reference"], row["status"], row["version"], row["subject"])
                  for row in indexed_rows(index)) == [
        expected[:4] for expected in rows_of_the_cases_loaded_whole(app, index, filings)]


def test_a_case_with_long_texts_counts_as_several_of_those_kept(app, index, monkeypatch):
    short = file_case(app)
    long = file_case(app, description="出口退税" * 2_250)  # 9,000 characters: counts as 3
    app.accept_case(INTAKE, short.case_id)
    app.accept_case(INTAKE, long.case_id)
    loaded = loads_counted(app, monkeypatch)

    CaseIndexProjection(app, index, batch_size=1, recent=3).catch_up()

    # Three cases of short texts would all be kept; the long one leaves room for itself alone.
    assert loaded == [short.case_id, long.case_id]
    assert [row["status"] for row in indexed_rows(index)] == ["accepted", "accepted"]
    assert index.search(text="出口退税").total == 2


def test_an_erased_case_is_not_kept_between_batches(app, index, monkeypatch):
    filing = file_case(app)
    app.accept_case(INTAKE, filing.case_id)
    app.erase_personal_data(SUPERVISOR, filing.case_id, "filer_request")
    app.assign_case(INTAKE, filing.case_id)
    loaded = loads_counted(app, monkeypatch)

    CaseIndexProjection(app, index, batch_size=1).catch_up()

    # Kept after its filing and its acceptance, not after its erasure: the next event loads it.
    assert loaded == [filing.case_id]
    (row,) = index.search().items
    assert (row["status"], row["personal_data_erased"], row["subject"]) == (
        "assigned", True, "")


def test_a_catch_up_overtaken_half_way_goes_on_from_where_the_read_model_is(app, index):
    filings = history(app)  # ten events
    other = CaseIndexProjection(app, index, batch_size=2)

    class Overtaken(CaseIndexProjection):
        overtaken = False

        def process(self, batch):
            if not self.overtaken:  # another process moves the read model first, by two batches
                self.overtaken = True
                assert other.process(other.pending()) + other.process(other.pending()) == 4
            return super().process(batch)

    # Its first batch is refused: it goes on from the fifth event, each of the rest applied
    # once.
    assert Overtaken(app, index, batch_size=2).catch_up() == 6
    assert [(row["reference"], row["status"], row["version"], row["subject"])
            for row in indexed_rows(index)] == [
        expected[:4] for expected in rows_of_the_cases_loaded_whole(app, index, filings)]


def test_a_projection_started_half_way_through_a_case_loads_it_from_the_store(app, index):
    filing = file_case(app)
    app.accept_case(INTAKE, filing.case_id)
    app.assign_case(INTAKE, filing.case_id)
    earlier = CaseIndexProjection(app, index, batch_size=1)
    earlier.process(earlier.pending())  # another process indexed the filing, then stopped

    CaseIndexProjection(app, index, batch_size=2).catch_up()  # knows nothing of the case

    (row,) = index.search().items
    assert (row["status"], row["version"]) == ("assigned", 3)
    assert row["subject"] == "出口退税迟迟未到账"


def test_an_erasure_in_a_later_batch_clears_the_row_folded_in_an_earlier_one(app, index):
    filing = file_case(app)
    app.accept_case(INTAKE, filing.case_id)
    projection = CaseIndexProjection(app, index, batch_size=2)
    projection.catch_up()
    assert index.search(text="退税").total == 1

    app.erase_personal_data(SUPERVISOR, filing.case_id, "filer_request")
    projection.catch_up()

    (row,) = index.search().items
    assert (row["personal_data_erased"], row["subject"]) == (True, "")
    assert index.search(text="退税").total == 0


# -- a long catch-up in parts (PostgreSQL) ----------------------------------------------------


def references_held(index, part, filings):
    return {filing.reference for filing in filings if part.holds(filing.case_id)}


@pytest.mark.parametrize("store", ["postgresql"])
def test_the_parts_of_a_catch_up_index_their_own_cases_and_the_index_moves_once_all_have(
        app, index):
    filings = history(app, cases=8)  # 8 + 7 + 6 + 5 events
    head = index.lag().head
    recorder, whole = index.recorder, index.application_name
    (first, second), positions = index.parts, index.part_positions
    assert references_held(index, first, filings) and references_held(index, second, filings)
    recorder.start_parts(whole, positions)

    assert CaseIndexProjection(app, index, batch_size=4, part=first).catch_up(until=head) == 26
    assert {row["reference"] for row in indexed_rows(index)} == references_held(
        index, first, filings)
    assert index.lag().tracked == 0  # the second part has taken in nothing yet
    CaseIndexProjection(app, index, batch_size=4, part=second).catch_up(until=head)
    assert index.lag().tracked == head  # every part has: the index has reached the head
    assert recorder.max_tracking_id(whole) is None

    recorder.settle_parts(whole, positions, head)

    assert recorder.max_tracking_id(whole) == head
    assert [recorder.max_tracking_id(name) for name in positions] == [None, None]
    assert index.lag().behind == 0
    assert [(row["reference"], row["status"], row["version"], row["subject"])
            for row in indexed_rows(index)] == [
        expected[:4] for expected in rows_of_the_cases_loaded_whole(app, index, filings)]
    # The sums of cases by state, kept as rows are written, as the rows have them.
    assert {status: n for status, n in index.status_counts().items() if n} == {
        "filed": 1, "accepted": 1, "assigned": 1, "responded": 5}


@pytest.mark.parametrize("store", ["postgresql"])
def test_the_index_does_not_move_before_every_part_has_reached_the_head(app, index):
    history(app, cases=8)
    head = index.lag().head
    recorder, whole = index.recorder, index.application_name
    (first, _), positions = index.parts, index.part_positions
    recorder.start_parts(whole, positions)
    CaseIndexProjection(app, index, batch_size=4, part=first).catch_up(until=head)

    with pytest.raises(IntegrityError):
        recorder.settle_parts(whole, positions, head)

    assert recorder.max_tracking_id(whole) is None
    assert recorder.max_tracking_id(positions[0]) == head
    assert index.lag().tracked == 0


@pytest.mark.parametrize("store", ["postgresql"])
def test_a_catch_up_stopped_half_way_goes_on_from_its_parts_positions(
        settings, app, index, monkeypatch):
    from complaints import processes

    filings = history(app, cases=8)
    catch_up_projections(settings)  # the whole index at the head
    app.assign_case(INTAKE, filings[1].case_id)  # a case it holds moves on
    more = history(app, cases=4)
    recorder, whole = index.recorder, index.application_name
    before, head = index.lag().tracked, index.lag().head
    (first, second), positions = index.parts, index.part_positions
    # An earlier catch-up in parts was stopped: the first part had reached the head, the
    # second had taken one batch.
    recorder.start_parts(whole, positions)
    CaseIndexProjection(app, index, part=first).catch_up(until=head)
    half = CaseIndexProjection(app, index, batch_size=3, part=second)
    half.process(half.pending(head))
    assert index.lag().tracked == before + 3 == recorder.max_tracking_id(positions[1])
    recorder.start_parts(whole, positions)  # as the next catch-up does: each goes on
    assert [recorder.max_tracking_id(name) for name in positions] == [head, before + 3]
    monkeypatch.setattr(processes, "APART_FROM", 1)

    catch_up_projections(settings)

    assert recorder.max_tracking_id(whole) == head
    assert [recorder.max_tracking_id(name) for name in positions] == [None, None]
    assert [(row["reference"], row["status"], row["version"], row["subject"])
            for row in indexed_rows(index)] == [
        expected[:4]
        for expected in rows_of_the_cases_loaded_whole(app, index, [*filings, *more])]


# The advisory lock's key as pg_locks shows it: its high and low 32 bits.
def writers_waiting(url):
    from complaints.readmodels.case_index.postgres import WRITERS_LOCK

    with psycopg.connect(url, autocommit=True) as watcher:
        (waiting,) = watcher.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
            "AND objid = %s AND objsubid = 1 AND NOT granted",
            (WRITERS_LOCK >> 32, WRITERS_LOCK & 0xFFFF_FFFF)).fetchone()
    return waiting


@pytest.mark.parametrize("store", ["postgresql"])
def test_a_part_writes_beside_the_other_parts_but_never_beside_the_whole_index(
        settings, app, index):
    """A part and the whole index could meet on a case (a catch-up in parts while `huiyin
    projections run` follows the log); the sums of cases by state are right only if they
    take turns."""
    from complaints.readmodels.case_index.postgres import WRITERS_LOCK

    filings = history(app, cases=8)
    recorder, whole = index.recorder, index.application_name
    (first, _), positions = index.parts, index.part_positions
    recorder.start_parts(whole, positions)
    with psycopg.connect(settings.database_url) as other_part:
        other_part.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WRITERS_LOCK,))
        # Another part's transaction is open: this part's go on beside it.
        parted = threading.Thread(target=CaseIndexProjection(app, index, part=first).catch_up)
        parted.start()
        parted.join(WAIT_SECONDS)
        assert not parted.is_alive()
        # The whole index's writer waits until that part's transaction ends.
        followed = threading.Thread(target=CaseIndexProjection(app, index).catch_up)
        followed.start()
        assert wait_until(lambda: writers_waiting(settings.database_url) == 1)
        assert index.lag().tracked == 0
        other_part.commit()
    followed.join(WAIT_SECONDS)
    assert not followed.is_alive()
    assert recorder.max_tracking_id(whole) == index.lag().head
    assert [(row["reference"], row["status"], row["version"])
            for row in indexed_rows(index)] == [
        expected[:3] for expected in rows_of_the_cases_loaded_whole(app, index, filings)]


@pytest.mark.parametrize("store", ["postgresql"])
def test_a_batch_adds_to_the_sums_in_their_keys_order_whatever_its_own(settings, index):
    """The parts of a catch-up add to the same sums at once: each adds in one order, so
    neither can hold one sum while waiting for another that the other holds (a deadlock)."""
    import json

    from psycopg.sql import SQL

    from complaints.readmodels.case_index.state_counts import TABLE

    days = ["2026-03-03", "2026-03-01", "2026-03-02"]
    with index.recorder.datastore.transaction(commit=True) as curs:
        curs.execute(SQL(index.recorder.states.add), {"rows": json.dumps([
            {"day": day, "department": "", "status": "filed", "n": 1} for day in days])})

    with psycopg.connect(settings.database_url) as connection:
        written = [day.isoformat() for (day,) in connection.execute(
            f"SELECT day FROM {TABLE} ORDER BY ctid")]  # the order they were written in
    assert written == sorted(days)
