"""A short slice of `python -m tests.bench rebuild`: a few cases written as in use, rebuilt."""

from __future__ import annotations

from complaints.bootstrap import build_services
from complaints.following import is_case_event, read_batch
from tests.bench.rebuild import EVENTS_PER_CASE, live_throughput, write_history
from tests.fixtures.stores import settings_for


def test_a_history_written_as_in_use_sets_each_cases_events_apart(tmp_path):
    settings = settings_for("sqlite", str(tmp_path))
    write_history(settings, 3)

    services = build_services(settings)
    try:
        log = read_batch(services.complaints.recorder, 0, 100).notifications
    finally:
        services.close()
    cases = [n.originator_id for n in log if is_case_event(n)]
    assert len(cases) == 3 * EVENTS_PER_CASE
    # Each step taken on every case before the next: the three cases in turn, six times.
    assert cases == cases[:3] * EVENTS_PER_CASE
    assert len(set(cases)) == 3


def test_the_rebuilds_of_a_history_written_as_in_use_are_timed_against_their_baseline(
        tmp_path):
    rows = live_throughput("sqlite", settings_for("sqlite", str(tmp_path)), cases=4)

    assert [row[1] for row in rows] == [
        "read the log only", "rebuild the case index, one batch's cases kept (baseline)",
        "rebuild the case index, 10,000 cases kept", "huiyin projections rebuild"]
    assert {row[2] for row in rows} == {"4"}
    assert rows[1][5] == "1.00"
