"""Followers woken by a commit instead of a fixed sleep, and still polling if a wake-up is lost.

Every wait here is far longer than any test run (a minute, ten minutes): if the wake-up did
not arrive, the test would fail on its own deadline rather than pass by a timer.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.processes import run_relay
from complaints.settings import Settings
from shared.contract.envelope import decode_envelope
from shared.contract.topics import CASE_EVENTS
from shared.stream.base import Outgoing
from shared.stream.embedded import EmbeddedLog, EmbeddedPublisher, EmbeddedSubscription
from shared.stream.wakeups import PostgresNotifications, Sleep, SQLiteChanges
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import settings_for

LONG = 600.0  # a poll interval no test waits out
WAIT_SECONDS = 60


def _commit_from_another_process(path: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("INSERT INTO t VALUES (1)")
    connection.close()


def _publish_from_another_process(path: str) -> None:
    publisher = EmbeddedPublisher(Path(path))
    publisher.publish("topic.a", [Outgoing("k", b"from afar")])
    publisher.close()


def test_a_commit_in_another_process_wakes_a_sqlite_waiter(tmp_path):
    path = tmp_path / "store.sqlite"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    waiter = SQLiteChanges(path)
    try:
        assert not waiter.wait(0), "nothing was committed since it began watching"
        writer = multiprocessing.get_context("spawn").Process(
            target=_commit_from_another_process, args=(str(path),))
        writer.start()
        assert waiter.wait(WAIT_SECONDS)
        writer.join()
        assert not waiter.wait(0), "one commit wakes it once"
    finally:
        waiter.close()


def test_a_commit_made_before_the_wait_began_still_wakes_it(tmp_path):
    """The follower reads, then waits: a commit in between must not be slept through."""
    path = tmp_path / "store.sqlite"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("CREATE TABLE t (x INTEGER)")
    waiter = SQLiteChanges(path)
    setup.execute("INSERT INTO t VALUES (1)")
    setup.close()
    try:
        assert waiter.wait(WAIT_SECONDS)
    finally:
        waiter.close()


def test_a_stopped_waiter_returns_without_a_wake_up(tmp_path):
    stop = threading.Event()
    stop.set()
    waiter = SQLiteChanges(tmp_path / "empty.sqlite", stop)
    try:
        assert not waiter.wait(LONG)
    finally:
        waiter.close()
    assert not Sleep(stop).wait(LONG)


def test_an_embedded_poll_returns_what_another_process_publishes_while_it_waits(tmp_path):
    path = tmp_path / "stream.sqlite"
    EmbeddedLog(path).close()
    subscription = EmbeddedSubscription(path, "group", ["topic.a"])
    try:
        writer = multiprocessing.get_context("spawn").Process(
            target=_publish_from_another_process, args=(str(path),))
        writer.start()
        messages = subscription.poll(LONG)
        writer.join()
        assert [m.value for m in messages] == [b"from afar"]
    finally:
        subscription.close()


def _relayed(settings: Settings) -> list[str]:
    if not settings.stream_path.exists():
        return []
    log = EmbeddedLog(settings.stream_path)
    try:
        return [decode_envelope(m.value).event_type for m in log.read(CASE_EVENTS, 0, 1000)]
    finally:
        log.close()


def _relay_thread(settings: Settings, stop: threading.Event, **options) -> threading.Thread:
    relay = threading.Thread(target=run_relay, args=(settings,),
                             kwargs={"stop": stop, **options}, daemon=True)
    relay.start()
    return relay


def _wait_for(probe, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not probe():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS}s for {what}"
        time.sleep(0.05)


def test_a_filing_wakes_the_idle_relay(settings, filer):
    """Its poll interval is ten minutes: only the store's wake-up can publish the filing."""
    stop = threading.Event()
    relay = _relay_thread(settings, stop, poll_interval=LONG)
    try:
        _wait_for(lambda: settings.stream_path.exists(), "the relay to start")
        time.sleep(0.5)  # the relay is idle now, in its wait
        filer.file_case()
        _wait_for(lambda: "case.filed" in _relayed(settings), "the filing on the stream")
    finally:
        stop.set()
        relay.join(WAIT_SECONDS)
    assert not relay.is_alive()


def test_a_missed_wake_up_is_made_good_by_the_poll_interval(settings, filer):
    """A wake-up that never comes (here: none at all) leaves the relay polling."""
    stop = threading.Event()
    relay = _relay_thread(settings, stop, poll_interval=0.2,
                          wakeup_for=lambda app, settings, stop: Sleep(stop))
    try:
        filer.file_case()
        _wait_for(lambda: "case.filed" in _relayed(settings), "the filing on the stream")
    finally:
        stop.set()
        relay.join(WAIT_SECONDS)


@pytest.mark.postgres
def test_the_event_store_notifies_a_listener_of_every_commit_of_events(postgres_url, tmp_path):
    """The case store's inserts send the NOTIFY the relay listens for (the library's, on the
    events table's channel): whatever changes how filings are saved must keep it."""
    settings = settings_for("postgresql", str(tmp_path), postgres_url)
    services = build_services(settings, create_tables=True)
    try:
        waiter = PostgresNotifications(postgres_url, services.complaints.recorder.channel_name)
        try:
            assert not waiter.wait(0.2), "nothing was committed"
            services.complaints.file_case(Principal("public", Role.FILER), filing_command({
                "channel": "web", "category": "tax", "subject": "税务", "description": "说明",
                "filer": {"enterprise_name": "某公司", "phone": "13800000000"},
            }))
            assert waiter.wait(WAIT_SECONDS)
        finally:
            waiter.close()
    finally:
        services.close()


@pytest.mark.postgres
def test_a_listener_whose_connection_was_lost_wakes_and_listens_again(postgres_url):
    waiter = PostgresNotifications(postgres_url, "huiyin_test_channel")
    try:
        assert waiter.connection is not None
        pid = waiter.connection.info.backend_pid
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            # Lost: it wakes the follower, which reads (and meets any outage itself).
            assert waiter.wait(WAIT_SECONDS)
            admin.execute("NOTIFY huiyin_test_channel")
            assert waiter.wait(WAIT_SECONDS)
    finally:
        waiter.close()

