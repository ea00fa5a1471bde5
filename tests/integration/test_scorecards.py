"""Scorecards on each store: folded once, rebuilt the same, served to the right roles, traceable."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from psycopg.sql import SQL

from complaints import processes
from complaints.application.principals import Principal
from complaints.application.routing import RoutingTable
from complaints.domain.values import Role
from complaints.following import Batch
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from complaints.processes import catch_up_projections, rebuild_projections, run_projections
from complaints.readmodels.case_index import open_case_index
from complaints.readmodels.scorecards import ScorecardProjection
from complaints.readmodels.scorecards.figures import RATES, figure_codes, is_count
from complaints.web.runtime import SCORECARDS
from tests.fixtures.filing import filing_command
from tests.fixtures.samples import (
    CFPB_SAMPLE,
    cfpb_category,
    cfpb_channel,
    cfpb_department,
    cfpb_outcome,
)

CITY = ZoneInfo("Asia/Shanghai")
INTAKE = Principal("intake-1", Role.INTAKE)
SUPERVISOR = Principal("supervisor-1", Role.SUPERVISOR)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
WAIT_SECONDS = 30.0

# The figures under the packaged catalogue, which the tests run on.
CODES = figure_codes(tuple(RoutingTable.load().categories))


def city(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CITY)


def handler(department: str) -> Principal:
    return Principal(f"handler-{department}", Role.HANDLER, department=department)


class History:
    """Cases driven through the application's commands, each at the moment it happened."""

    def __init__(self, complaints) -> None:
        self.app = complaints

    def file(self, when: datetime, category: str = "tax"):
        submission = {
            "channel": "hotline",
            "category": category,
            "subject": "出口退税迟迟未到账",
            "description": "我公司三月申请出口退税，至今未到账。",
            "filer": {"enterprise_name": "黑河市远东贸易有限公司"},
        }
        return self.app.file_case(INTAKE, filing_command(submission, occurred_at=when))

    def assign(self, filing, when: datetime) -> None:
        self.app.accept_case(INTAKE, filing.case_id, occurred_at=when)
        self.app.assign_case(INTAKE, filing.case_id, occurred_at=when)

    def reply(self, filing, department: str, when: datetime) -> None:
        self.app.respond(handler(department), filing.case_id, "resolved", "已办结",
                         occurred_at=when)

    def rate(self, filing, score: int, when: datetime) -> None:
        self.app.rate_case(INTAKE, filing.case_id, score, occurred_at=when)


@pytest.fixture
def complaints(runtime):
    return runtime.services.complaints


@pytest.fixture
def scorecards(app):
    return app.extensions[SCORECARDS]


@pytest.fixture
def march(complaints):
    """Six cases: five received in March 2026 (city time), one on 1 April just after midnight."""
    history = History(complaints)
    on_time = history.file(city(3, 2, 9))  # TAX: accepted and replied on time, rated good
    history.assign(on_time, city(3, 2, 10))
    history.reply(on_time, "TAX", city(3, 6))
    history.rate(on_time, 5, city(3, 7))
    late = history.file(city(3, 3, 9))  # TAX: accepted and replied late, bad review upheld
    history.assign(late, city(3, 5))
    history.reply(late, "TAX", city(3, 30))
    history.rate(late, 2, city(3, 31))
    complaints.conclude_review(SUPERVISOR, late.case_id, True, "属实", occurred_at=city(4, 1))
    complaints.record_rectification(handler("TAX"), late.case_id, ["已退税"],
                                    occurred_at=city(4, 3))
    complaints.record_follow_up(INTAKE, late.case_id, "phone", True, occurred_at=city(4, 7))
    reopened = history.file(city(3, 10), "cross_border_trade")  # CUSTOMS: malicious, reopened
    history.assign(reopened, city(3, 10, 11))
    history.reply(reopened, "CUSTOMS", city(3, 12))
    history.rate(reopened, 1, city(3, 13))
    complaints.invalidate_rating(SUPERVISOR, reopened.case_id, "malicious", "辱骂",
                                 occurred_at=city(3, 16))
    complaints.reopen_case(SUPERVISOR, reopened.case_id, "复查", occurred_at=city(3, 17))
    history.reply(reopened, "CUSTOMS", city(3, 20))
    breached = history.file(city(3, 31, 23, 30), "licensing")  # SAMR: never replied
    history.assign(breached, city(4, 1, 9))
    assert complaints.watch_deadline(breached.case_id) == "breached"
    referred = history.file(city(3, 12))  # no department: referred at intake
    complaints.refer_case(INTAKE, referred.case_id, "not ours", "12315", occurred_at=city(3, 12))
    april = history.file(city(4, 1, 0, 10))
    return {"on_time": on_time, "late": late, "reopened": reopened, "breached": breached,
            "referred": referred, "april": april}


@pytest.fixture
def supervisor(staff):
    return staff.login("supervisor")


def card_of(body: dict, department: str | None) -> dict:
    if department is None:
        return body["total"]
    (card,) = [card for card in body["departments"] if card["department"] == department]
    return card


def values(card: dict) -> dict:
    return {code: figure["value"] for code, figure in card["figures"].items()}


# -- the projection ---------------------------------------------------------------------------


def test_the_same_notifications_processed_twice_count_once(complaints, scorecards, march):
    projection = ScorecardProjection(complaints, scorecards, batch_size=10_000)
    batch = projection.pending()

    first = projection.process(batch)
    seen = scorecards.scorecard(city(3, 1, 0), city(4, 1, 0))
    second = projection.process(batch)

    assert (first, second) == (len(batch.notifications), 0)
    assert scorecards.scorecard(city(3, 1, 0), city(4, 1, 0)) == seen
    assert seen.total.figures["received"] == 5


def test_a_position_already_recorded_is_refused(complaints, scorecards, march):
    ScorecardProjection(complaints, scorecards).catch_up()
    tracked = scorecards.lag().tracked

    with pytest.raises(IntegrityError):
        scorecards.recorder.apply([], Tracking(complaints.name, tracked), after=tracked)
    with pytest.raises(IntegrityError):
        scorecards.recorder.apply([], Tracking(complaints.name, tracked), after=0)
    assert scorecards.lag().tracked == tracked


def test_an_event_already_folded_is_never_folded_again(complaints, scorecards):
    history = History(complaints)
    filing = history.file(city(3, 2, 9))
    history.assign(filing, city(3, 2, 10))
    complaints.watch_deadline(filing.case_id)  # breached and escalated, long ago
    projection = ScorecardProjection(complaints, scorecards)
    projection.catch_up()
    tracked = scorecards.lag().tracked
    breach = complaints.recorder.select_notifications(start=tracked - 1, limit=2)
    history.reply(filing, "TAX", city(4, 30))

    # A batch that starts where the facts stand but carries two events folded already.
    mixed = Batch(tracked, [*breach, *projection.pending().notifications])
    processed = projection.process(mixed)

    figures = scorecards.scorecard(city(3, 1, 0), city(4, 1, 0)).total.figures
    assert processed == 3
    assert (figures["breaches"], figures["escalations"], figures["replies"]) == (1, 1, 1)


def test_a_batch_read_before_a_rebuild_is_refused_after_it(complaints, scorecards, march):
    projection = ScorecardProjection(complaints, scorecards, batch_size=5)
    projection.catch_up()
    History(complaints).file(city(3, 20))
    stale = projection.pending()

    scorecards.recorder.recreate_tables()
    skipped = projection.process(stale)
    projection.catch_up()

    assert skipped == 0
    assert scorecards.scorecard(city(3, 1, 0), city(4, 1, 0)).total.figures["received"] == 6


def test_a_rebuild_gives_the_figures_and_cases_that_following_the_log_gave(
    settings, complaints, scorecards
):
    history = History(complaints)
    first = history.file(city(3, 2, 9))
    # Part of the way, so the incremental path folds onto stored facts.
    catch_up_projections(settings)
    history.assign(first, city(3, 2, 10))
    catch_up_projections(settings)
    history.reply(first, "TAX", city(3, 6))
    history.rate(first, 4, city(3, 7))
    second = history.file(city(3, 4), "cross_border_trade")
    history.assign(second, city(3, 9))
    catch_up_projections(settings)

    incremental = everything(scorecards)
    processed = rebuild_projections(settings)

    assert processed == complaints.recorder.max_notification_id()
    assert everything(scorecards) == incremental
    assert incremental[1].figures["replied_on_time"] == 1


@pytest.mark.parametrize("store", ["postgresql"])
def test_a_long_way_is_caught_up_by_a_process_for_each_read_model(
    settings, complaints, scorecards, monkeypatch
):
    """Far behind on PostgreSQL, each read model catches up in a process of its own: the
    figures and cases are the ones threads of this process made, both read models at the head."""
    history = History(complaints)
    first = history.file(city(3, 2, 9))
    history.assign(first, city(3, 2, 10))
    history.reply(first, "TAX", city(3, 6))
    history.assign(history.file(city(3, 4), "cross_border_trade"), city(3, 9))
    catch_up_projections(settings)  # a short way: in threads
    in_threads = everything(scorecards), case_index_rows(settings)
    apart, catch_up_apart = [], processes._catch_up_apart
    monkeypatch.setattr(processes, "APART_FROM", 1)
    monkeypatch.setattr(processes, "_catch_up_apart", lambda settings, names: apart.append(
        names) or catch_up_apart(settings, names))

    processed = rebuild_projections(settings)

    assert apart == [["case_index", "scorecards"]]
    assert processed == complaints.recorder.max_notification_id()
    assert (everything(scorecards), case_index_rows(settings)) == in_threads
    assert scorecards.lag().behind == 0
    # From the start, the whole log ahead: each made its indexes once, at its end.
    assert index_names(settings) >= {"case_index_search", "case_index_open_queue",
                                      "scorecard_cases_by_department"}


@pytest.mark.parametrize("store", ["postgresql"])
def test_a_catch_up_without_its_indexes_makes_them_again_however_it_ends(settings):
    index = open_case_index(settings)
    try:
        made = index_names(settings)
        with pytest.raises(RuntimeError), index.recorder.indexes_deferred():
            assert made - index_names(settings) == set(index.recorder._indexes)
            raise RuntimeError("the catch-up failed")
        assert index_names(settings) == made
    finally:
        index.close()


# A gate the test holds shut (an advisory lock) and each group's first statement waits at
# (asking for the same lock shared): the test opens it once both wait there at once.
GATE = 4242
WAITING_AT_THE_GATE = f"""SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
    AND classid = 0 AND objid = {GATE} AND objsubid = 1 AND NOT granted"""


@pytest.mark.parametrize("store", ["postgresql"])
def test_the_word_index_is_made_again_beside_the_b_trees_not_after_them(settings):
    index = open_case_index(settings)
    recorder = index.recorder
    seen: list[int] = []

    def open_once_both_wait(gate: psycopg.Connection) -> None:
        with psycopg.connect(settings.database_url, autocommit=True) as watcher:
            for _ in range(600):  # 30 s at the most, then open anyway: the test fails
                (waiting,) = watcher.execute(WAITING_AT_THE_GATE).fetchone()
                if waiting == 2:
                    break
                time.sleep(0.05)
            seen.append(waiting)
        gate.execute("SELECT pg_advisory_unlock(%s)", (GATE,))

    try:
        assert recorder._inverted == {"case_index_search", "case_index_co_departments"}
        made = index_names(settings)
        real, inverted = dict(recorder._indexes), set(recorder._inverted)
        with psycopg.connect(settings.database_url, autocommit=True) as gate:
            gate.execute("SELECT pg_advisory_lock(%s)", (GATE,))
            opener = threading.Thread(target=open_once_both_wait, args=(gate,))
            with recorder.indexes_deferred():
                stand_in = SQL(f"SELECT pg_advisory_xact_lock_shared({GATE})")
                recorder._indexes = {"gate_1": stand_in, "gate_2": stand_in, **real}
                recorder._inverted = {"gate_1", *inverted}
                opener.start()
            opener.join()
        recorder._indexes, recorder._inverted = real, inverted
        assert seen == [2], "the groups were not both under way at once"
        assert index_names(settings) == made
    finally:
        index.close()


def index_names(settings) -> set[str]:
    """The indexes in the store's database now (opening a read model would make them)."""
    with psycopg.connect(settings.database_url) as connection:
        return {name for (name,) in connection.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}


def everything(scorecards):
    """Every figure of March, all departments and each, and the cases behind each."""
    report = scorecards.scorecard(city(3, 1, 0), city(4, 1, 0))
    behind = {(department, figure): scorecards.cases_behind(
                  figure, city(3, 1, 0), city(4, 1, 0), department)
              for department in (None, "TAX", "CUSTOMS") for figure in CODES.figures}
    return report.departments, report.total, behind


def case_index_rows(settings):
    index = open_case_index(settings)
    try:
        return index.search().items, index.lag().behind
    finally:
        index.close()


def test_the_runner_keeps_the_scorecards_current(settings, complaints, scorecards):
    stop = threading.Event()
    runner = threading.Thread(
        target=run_projections, args=(settings,), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    runner.start()
    try:
        History(complaints).file(city(3, 2))
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and scorecards.lag().behind:
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(timeout=WAIT_SECONDS)

    assert scorecards.lag().behind == 0
    assert scorecards.scorecard(city(3, 1, 0), city(4, 1, 0)).total.figures["received"] == 1


# -- the figures through the API --------------------------------------------------------------


def test_the_scorecard_counts_each_departments_cases_of_the_period(
    march, event_store, supervisor
):
    event_store.catch_up()

    body = supervisor.get("/api/v1/scorecards", query_string=MARCH).json

    assert [card["department"] for card in body["departments"]] == ["CUSTOMS", "SAMR", "TAX"]
    assert (body["from"], body["to"], body["department"]) == ("2026-03-01", "2026-03-31", None)
    tax, customs, samr, total = (values(card_of(body, code))
                                 for code in ("TAX", "CUSTOMS", "SAMR", None))
    assert {name: tax[name] for name in (
        "received", "accepted", "accepted_on_time", "replies", "replied_on_time", "rated_good",
        "rated_bad", "satisfaction_rate", "bad_reviews_upheld", "rectified", "rectified_on_time",
        "return_visits", "return_visit_rate", "time_to_reply_median", "time_to_reply_p90",
    )} == {
        "received": 2, "accepted": 2, "accepted_on_time": 1, "replies": 2, "replied_on_time": 1,
        "rated_good": 1, "rated_bad": 1, "satisfaction_rate": 0.5, "bad_reviews_upheld": 1,
        "rectified": 1, "rectified_on_time": 1, "return_visits": 1, "return_visit_rate": 1.0,
        # 2 → 6 March: 4 working days; 5 → 30 March: 17.
        "time_to_reply_median": 10.5, "time_to_reply_p90": 17.0,
    }
    assert (customs["ratings"], customs["ratings_malicious"], customs["satisfaction_rate"]) == (
        0, 1, None)
    assert (customs["replies"], customs["reopened_cases"], customs["reopen_rate"]) == (2, 1, 1.0)
    assert (samr["received"], samr["breaches_reply"], samr["escalations_reply"]) == (1, 1, 1)
    assert (total["received"], total["accepted"], total["replied_cases"]) == (5, 5, 3)
    assert body["lag"]["behind"] == 0


def test_the_last_day_of_the_period_is_included_in_city_time(march, event_store, supervisor):
    event_store.catch_up()

    march_only = supervisor.get("/api/v1/scorecards", query_string=MARCH).json
    first_of_april = supervisor.get(
        "/api/v1/scorecards", query_string={"from": "2026-04-01", "to": "2026-04-01"}).json
    listed = supervisor.get("/api/v1/scorecards/cases", query_string={
        **MARCH, "figure": "received"}).json

    assert march["breached"].reference in [item["reference"] for item in listed["items"]]
    assert march["april"].reference not in [item["reference"] for item in listed["items"]]
    assert values(first_of_april["total"])["received"] == 1
    assert values(march_only["total"])["received"] == 5


def test_every_figure_links_to_as_many_cases_as_it_counts(march, event_store, supervisor):
    event_store.catch_up()
    body = supervisor.get("/api/v1/scorecards", query_string=MARCH).json

    for card in [*body["departments"], body["total"]]:
        for code, figure in card["figures"].items():
            listed = supervisor.get(figure["cases"]).json
            if is_count(code):
                expected = figure["value"]
            elif code in RATES:
                expected = sum(values(card)[name] for name in figure["numerator"])
            else:
                expected = values(card)["replies"]
            assert listed["total"] == len(listed["items"]) == expected, (card["department"], code)
            assert listed["department"] == card["department"]


def test_one_department_is_read_against_the_total(march, event_store, supervisor):
    event_store.catch_up()

    body = supervisor.get("/api/v1/scorecards",
                          query_string={**MARCH, "department": "TAX"}).json

    assert [card["department"] for card in body["departments"]] == ["TAX"]
    assert values(body["total"])["received"] == 5


def test_the_csv_has_a_row_per_department_and_the_total(march, event_store, supervisor):
    event_store.catch_up()
    body = supervisor.get("/api/v1/scorecards", query_string=MARCH).json

    reply = supervisor.get("/api/v1/scorecards.csv", query_string=MARCH)

    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    assert reply.headers["Huiyin-Lag-Behind"] == "0"
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    # A time's column says its unit; every other is named by the figure's code.
    assert list(rows[0])[-4:] == [
        "time_to_reply_median [working days]", "time_to_reply_p90 [working days]",
        "time_to_reply_calendar_median [calendar days]",
        "time_to_reply_calendar_p90 [calendar days]"]
    rows = [{key.split(" [")[0]: value for key, value in row.items()} for row in rows]
    assert list(rows[0]) == ["from", "to", "department", *CODES.figures]
    assert [row["department"] for row in rows] == ["CUSTOMS", "SAMR", "TAX", "total"]
    for row in rows:
        card = values(card_of(body, None if row["department"] == "total" else row["department"]))
        assert row == {"from": "2026-03-01", "to": "2026-03-31", "department": row["department"],
                       **{code: "" if value is None else str(value)
                          for code, value in card.items()}}


def test_the_scorecard_says_how_far_behind_it_is(march, event_store, supervisor):
    before = supervisor.get("/api/v1/scorecards", query_string=MARCH).json
    event_store.catch_up()
    after = supervisor.get("/api/v1/scorecards", query_string=MARCH).json

    assert before["lag"]["behind"] > 0
    assert values(before["total"])["received"] == 0
    assert after["lag"] == {"tracked": event_store.head(), "head": event_store.head(),
                            "behind": 0}


# -- who may read them, and what they refuse --------------------------------------------------


PATHS = {
    "/api/v1/scorecards": MARCH,
    "/api/v1/scorecards.csv": MARCH,
    "/api/v1/scorecards/cases": {**MARCH, "figure": "received"},
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("query", [None, {"from": "nonsense"}], ids=["good", "bad"])
def test_scorecards_need_a_token_before_anything_else(client, assert_error, path, query):
    reply = client.get(path, query_string=PATHS[path] if query is None else query)
    assert_error(reply, 401, "unauthenticated")


@pytest.mark.parametrize("path", PATHS)
def test_only_supervisors_and_auditors_read_scorecards(staff, filer, assert_error, path):
    case = filer.file_case()
    refused = [staff.login("intake"), staff.login("handler-TAX"), filer.sign_in(case)]
    allowed = [staff.login("supervisor"), staff.login("auditor")]

    for session in refused:
        body = assert_error(session.get(path, query_string=PATHS[path]), 403, "forbidden")
        assert body["details"]["allowed_roles"] == ["auditor", "supervisor"]
    for session in allowed:
        assert session.get(path, query_string=PATHS[path]).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2026-03-31"}, "from"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "2026-02-30", "to": "2026-03-31"}, "from"),
        ({"from": "1 March", "to": "2026-03-31"}, "from"),
        ({"from": "2026-04-01", "to": "2026-03-31"}, "to"),
        ({"from": "2021-03-01", "to": "2026-03-01"}, "to"),  # a day past five years
        ({**MARCH, "department": "NOWHERE"}, "department"),
        ({**MARCH, "colour": "red"}, "colour"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/scorecards", "/api/v1/scorecards.csv"])
def test_bad_periods_and_departments_are_refused_in_the_error_shape(
    supervisor, assert_error, path, query, field
):
    body = assert_error(supervisor.get(path, query_string=query), 422, "invalid_input")
    assert field in body["details"]["fields"]


def test_five_years_is_the_longest_period_as_on_the_dashboard(supervisor):
    reply = supervisor.get("/api/v1/scorecards", query_string={"from": "2021-03-01",
                                                               "to": "2026-02-28"})

    assert reply.status_code == 200


@pytest.mark.parametrize("figure", ["", "happiness", "received_rate"])
def test_the_cases_behind_an_unknown_figure_are_refused(supervisor, assert_error, figure):
    reply = supervisor.get("/api/v1/scorecards/cases", query_string={**MARCH, "figure": figure})
    body = assert_error(reply, 422, "invalid_input")
    assert "figure" in body["details"]["fields"]


# -- the imported CFPB history ----------------------------------------------------------------

STILL_OPEN = {"In progress", "Untimely response"}


def first_working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while not chinese_calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def figures_from_the_csv(rows: list[dict[str, str]]) -> dict[str | None, dict]:
    """Each department's figures and the total's, from the rows alone.

    A row is filed on "Date received" and assigned (dispatched, never transferred) on "Date sent
    to company", with one working day to do so: one assigned later breached and escalated its
    accept stage. A closed one is replied to, but the source has no reply date, so its reply's
    time is not recorded: neither on time nor late, and no time to reply. One still open (all of
    them from 2023) has been past its reply stage's 15 working days since long before the
    import: breached, escalated.
    """
    groups: dict[str | None, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[cfpb_department(row)].append(row)
        groups[None].append(row)
    expected = {}
    for department, members in groups.items():
        figures: dict = {code: 0 for code in CODES.counts} | {
            code: None for code in CODES.figures if code not in CODES.counts}
        on_time = sum(
            date.fromisoformat(row["Date sent to company"])
            <= first_working_day_after(date.fromisoformat(row["Date received"]))
            for row in members
        )
        replies = sum(row["Company response to consumer"] not in STILL_OPEN for row in members)
        figures.update({f"received_via_{channel}": n for channel, n in
                        Counter(cfpb_channel(row) for row in members).items()})
        figures.update({f"received_in_{category}": n for category, n in
                        Counter(cfpb_category(row) for row in members).items()})
        outcomes = Counter(cfpb_outcome(row) for row in members)
        figures.update({f"outcome_{outcome}": n for outcome, n in outcomes.items()
                        if outcome != "open"})
        figures["open_cases"] = outcomes["open"]
        late, overdue = len(members) - on_time, outcomes["open"]
        figures.update(received=len(members), accepted=len(members), accepted_on_time=on_time,
                       accepted_on_time_rate=round(on_time / len(members), 4),
                       replies=replies, replies_time_not_recorded=replies, replied_cases=replies,
                       breaches_accept=late, escalations_accept=late, breaches_reply=overdue,
                       escalations_reply=overdue, breaches=late + overdue,
                       escalations=late + overdue,
                       # Each row is sent to one company and never moved: right first time.
                       dispatched=len(members), first_dispatch_final=len(members),
                       first_dispatch_accuracy=1.0,
                       # History is never answered at first contact.
                       answered_at_first_contact_rate=0.0)
        if replies:
            figures.update(reopen_rate=0.0)
        expected[department] = figures
    return expected


# The whole sample (2012 to 2023) in periods of at most five years, the longest asked for.
@pytest.mark.parametrize(("first", "last"), [("2012-01-01", "2016-12-31"),
                                             ("2017-01-01", "2021-12-31"),
                                             ("2022-01-01", "2023-12-31"),
                                             ("2023-08-01", "2023-08-31")])
def test_the_scorecard_of_the_imported_cfpb_history_agrees_with_the_csv(
    complaints, event_store, supervisor, first, last
):
    report = import_file(complaints, CFPB_SAMPLE,
                         load_mapping(shipped_mapping("cfpb-2023"), complaints.routing))
    event_store.catch_up()
    with CFPB_SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        rows = [row for row in csv.DictReader(source)
                if first <= row["Date received"] <= last]

    body = supervisor.get("/api/v1/scorecards", query_string={"from": first, "to": last}).json

    expected = figures_from_the_csv(rows)
    assert report.rejected == []
    assert [card["department"] for card in body["departments"]] == sorted(
        code for code in expected if code)
    for department, figures in expected.items():
        assert values(card_of(body, department)) == figures, department
    if len(rows) > 1000:  # the sample's last years: some were late, so lateness is tested
        assert expected[None]["accepted_on_time"] < expected[None]["received"]
