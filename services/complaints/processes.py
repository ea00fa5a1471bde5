"""The long-running processes: each built from the settings, then looping until told to stop.

The projections, the relay, the receipts and the watchdog (what `make run` starts besides the
web) each build the service (`complaints.bootstrap`) and their feature's parts here, then
repeat the feature's one step — one projection pass, one relay batch, one batch of receipts,
one sweep — riding out store and broker outages with backoff. The one-off forms here (the
CLI's `catch-up`, `rebuild` and `sweep`) build the same parts and stop once nothing is pending.
Each process logs under the name of its feature's module (`complaints.streaming.relay`, …).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from functools import partial

from eventsourcing.persistence import PersistenceError

from complaints.adapters.attachment_sweep import sweep_uploads
from complaints.adapters.staging import StagingArea, open_staging
from complaints.application.case_application import VersionConflictError
from complaints.application.service import Complaints
from complaints.bootstrap import build_services
from complaints.following import BATCH_SIZE
from complaints.intelligence.suggestions import Dispatcher, TrainingReport
from complaints.readmodels import projection
from complaints.readmodels.case_index import CaseIndex, CaseIndexProjection, open_case_index
from complaints.readmodels.projection import Follower, Lag, Part
from complaints.readmodels.scorecards import ScorecardProjection, open_scorecards
from complaints.retention.job import RetentionJob
from complaints.retention.periods import RetentionPeriods
from complaints.settings import Settings
from complaints.streaming import receipts, relay
from complaints.streaming.outages import Outage, supervise, what_failed
from complaints.streaming.relay import Prepared, Relay, open_relay_positions, store_wakeup
from complaints.timelimits.watchdog import Watchdog, recompute_provisional
from shared.backoff import Backoff
from shared.contract.topics import RECEIPTS, RECEIPTS_GROUP
from shared.logging_setup import configure_logging
from shared.stream.base import Message, StreamUnavailableError, Subscription
from shared.stream.factory import describe, open_publisher, open_subscription, prepare_topics
from shared.stream.wakeups import Wakeup

WakeupFactory = Callable[[Complaints, Settings, threading.Event], Wakeup]

projections_log = logging.getLogger(projection.__name__)
relay_log = logging.getLogger(relay.__name__)
receipts_log = logging.getLogger(receipts.__name__)
watchdog_log = logging.getLogger(Watchdog.__module__)

LAG_LOG_SECONDS = 60.0
RELAY_POLL_SECONDS = 0.5
RELAY_PROGRESS_LOG_SECONDS = 60.0
RECEIPTS_POLL_SECONDS = 1.0
UPLOADS_SWEEP_SECONDS = 3600.0


# -- projections: the read models follow the notification log -------------------------------


# Told where the read models stand: each one's name and lag.
Progress = Callable[[list[tuple[str, Lag]]], None]


def catch_up_projections(settings: Settings, *, progress: Progress | None = None,
                         every: float = 2.0) -> int:
    """Process everything pending once; the most notifications any read model moved past.
    `progress`, if given, is told where each read model stands every `every` seconds."""
    with _read_models(settings) as (_, followers), _reporting(followers, progress, every):
        return _catch_up(settings, followers)


def rebuild_projections(settings: Settings, *, progress: Progress | None = None,
                        every: float = 2.0) -> int:
    """Empty every read model and project the whole log again; the notifications processed."""
    with _read_models(settings) as (_, followers), _reporting(followers, progress, every):
        return projection.rebuild(followers, catch_up=partial(_catch_up, settings))


# Notifications behind from which a catch-up on PostgreSQL gives each read model a process of
# its own: starting one costs about a second, what a read model catches up on in ~5,000.
APART_FROM = 20_000
CASE_INDEX = "case_index"


def _catch_up(settings: Settings, followers: Sequence[Follower]) -> int:
    """Every read model up to the head of the log: in SQLite one after the other (its one
    file takes one writer); on PostgreSQL at once, in threads of this process for a short
    way, and for a long one each in a process of its own, the case index in parts."""
    if settings.postgres is None:
        return projection.catch_up(followers)
    if max(follower.lag().behind for follower in followers) < APART_FROM:
        return projection.catch_up(followers, together=True)
    apart = _catch_up_apart(settings, [follower.name for follower in followers])
    # What was committed meanwhile, past the head the case index's parts went up to.
    return apart + projection.catch_up(followers, together=True)


def _catch_up_apart(settings: Settings, names: Sequence[str]) -> int:
    """Each read model caught up by a process of its own, the case index by one for each of
    its parts (`CaseIndex.parts`); the most notifications any moved past.

    Threads share one interpreter: folding events into rows is Python, so two read models in
    threads take about the sum of their times; in processes they take the longest one's.
    The case index is the longest: its parts (the cases, by their ids) go on from their own
    positions to the head as it was at the start, and once every part has reached it, the
    index's own position moves there (`settle_parts`). Stopped before, the parts keep their
    positions and the next catch-up goes on from them. The processes are spawned, not
    forked: they inherit no thread, lock or connection of this one, and open their own store.
    Each one's batches commit with its tracking record as always, so a process that dies
    leaves its read model (or its part) where its last batch took it.
    """
    opened = replace(settings, create_tables=False)  # this process made them as they must be
    jobs: list[tuple[str, Part | None]] = [(name, None) for name in names if name != CASE_INDEX]
    with ExitStack() as stack:
        until = None
        if CASE_INDEX in names:
            index = open_case_index(opened)
            stack.callback(index.close)
            lag = index.lag()
            until = lag.head
            index.recorder.start_parts(index.application_name, index.part_positions)
            if _most_of_it_ahead(lag):
                stack.enter_context(index.recorder.indexes_deferred())
            jobs += [(CASE_INDEX, part) for part in index.parts]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            len(jobs), mp_context=context, initializer=_start_catch_up_process,
            initargs=(settings.log_level, settings.log_format, os.getpid()),
        ) as pool:
            processed = max(pool.map(_catch_up_one, [opened] * len(jobs),
                                     [name for name, _ in jobs], [part for _, part in jobs],
                                     [until] * len(jobs)))
        if CASE_INDEX in names:
            index.recorder.settle_parts(index.application_name, index.part_positions, until)
            projections_log.info("%s: every part caught up", CASE_INDEX)
        return processed


# In a catch-up's process: set once the catch-up that started it is gone (`_exit_when_orphaned`),
# and held while it works, so that it ends after the batch in hand.
_orphaned = threading.Event()
_working = threading.Lock()


def _start_catch_up_process(log_level: str, log_format: str, parent: int) -> None:
    """A catch-up's process, before its first task: logs as its parent does, and ends once
    that parent is gone (`_exit_when_orphaned`)."""
    configure_logging(log_level, log_format)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="orphan-watch",
                     daemon=True).start()


def _exit_when_orphaned(parent: int, every: float = 1.0) -> None:
    """End this process once `parent` is gone (killed, say: nothing else would tell it): its
    catch-up stops after the batch in hand (and makes the indexes it deferred), and the
    process exits then, or at once if idle. A pool's process would otherwise wait for its
    next task for ever, since its siblings keep the task queue open."""
    _stop_when_orphaned(parent, _orphaned, every)
    with _working:
        os._exit(1)


def _catch_up_one(settings: Settings, name: str, part: Part | None = None,
                  until: int | None = None) -> int:
    """One read model (or one part of the case index) up to the head (`until`), in a process
    of its own (`_start_catch_up_process`)."""
    with _working:
        if part is not None:
            with _case_index(settings) as (app, index):
                # Each of a part's transactions holds about as many rows as the whole's.
                return CaseIndexProjection(app, index, BATCH_SIZE * part.of,
                                           part=part).catch_up(_orphaned, until)
        with _read_models(settings) as (_, followers), ExitStack() as stack:
            (follower,) = (follower for follower in followers if follower.name == name)
            bulk = _most_of_it_ahead(follower.lag())
            if bulk:
                stack.enter_context(follower.indexes_deferred())
            processed = follower.projection.catch_up(_orphaned)
            if bulk:
                projections_log.info("%s: caught up; making its indexes again", name)
            return processed


def _most_of_it_ahead(lag: Lag) -> bool:
    """Whether a read model is far behind with more of the log ahead of it than behind it
    (a rebuild, a catch-up after a large import): then its indexes are made once at the end
    rather than changed row by row (`Follower.indexes_deferred`)."""
    return lag.behind >= APART_FROM and lag.behind > lag.tracked


def _stop_when_orphaned(parent: int, stop: threading.Event, every: float = 1.0) -> None:
    """Set `stop` once this process's parent is no longer `parent` (an orphan is given to
    another); return once `stop` is set."""
    while not stop.wait(every):
        if os.getppid() != parent:
            projections_log.warning("the catch-up that started this process is gone; stopping")
            stop.set()


@contextmanager
def _reporting(followers: Sequence[Follower], progress: Progress | None,
               every: float) -> Iterator[None]:
    """Tell `progress` where the read models stand every `every` seconds while the block runs,
    and once more at its end."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def report() -> None:
        while not done.wait(every):
            progress([(follower.name, follower.lag()) for follower in followers])

    reporter = threading.Thread(target=report, name="catch-up-progress", daemon=True)
    reporter.start()
    try:
        yield
    finally:
        done.set()
        reporter.join()
    progress([(follower.name, follower.lag()) for follower in followers])


def run_projections(
    settings: Settings,
    *,
    stop: threading.Event,
    poll_interval: float = 0.5,
    wakeup_for: WakeupFactory = store_wakeup,
) -> None:
    """Keep the read models current until `stop` is set, riding out database outages.

    When they are current it waits, as the relay does, for the store to say events were
    committed (`wakeup_for`: LISTEN on PostgreSQL, the file's change counter on SQLite), and
    reads again after `poll_interval` at the latest, in case a wake-up was missed; so a page
    read right after a filing finds it without waiting out a poll. (The library's
    ProjectionRunner would listen too, but it builds the application from an env alone —
    ours needs its routing and secret key — and commits one event per transaction.) A pass
    reads one indexed range (`position > tracked`), a whole batch commits with one tracking
    record, and one loop serves both stores. It skips no position: the PostgreSQL recorder
    locks the events table while it inserts, so positions become visible in order.
    """
    # A store error is tried again after Backoff's own first delay, however far apart the
    # polls are: a transient one (SQLite's "database is locked") costs half a second.
    backoff = Backoff()
    while not stop.is_set():
        try:
            with _read_models(settings) as (app, followers):
                # Listening before the first pass: nothing committed after it goes unseen.
                wakeup = wakeup_for(app, settings, stop)
                try:
                    _project(followers, stop, poll_interval, wakeup)
                finally:
                    wakeup.close()
        except PersistenceError as error:
            delay = backoff.next()
            projections_log.warning(
                "projections: cannot open the store (%s); retrying in %.1fs", error, delay
            )
            stop.wait(delay)


def _project(
    followers: Sequence[Follower], stop: threading.Event, poll_interval: float, wakeup: Wakeup
) -> None:
    """Pass after pass while there are batches; when there are not, a wait until the store
    says events were committed, or `poll_interval` at the most."""
    backoff = Backoff()
    next_lag_report = 0.0
    while not stop.is_set():
        try:
            pending = projection.advance(followers)
            if time.monotonic() >= next_lag_report:
                projection.report_lag(followers)
                next_lag_report = time.monotonic() + LAG_LOG_SECONDS
        except PersistenceError as error:
            delay = backoff.next()
            projections_log.warning("projections: store error (%s); retrying in %.1fs",
                                    error, delay)
            stop.wait(delay)
            continue
        backoff.reset()
        if not pending:
            wakeup.wait(poll_interval)


@contextmanager
def _read_models(settings: Settings) -> Iterator[tuple[Complaints, list[Follower]]]:
    """The application and its read models' followers, closed afterwards."""
    with _case_index(settings) as (app, index):
        scorecards = open_scorecards(app, create=settings.create_tables)
        yield app, [
            Follower(
                CASE_INDEX,
                CaseIndexProjection(app, index),
                index.lag,
                index.recorder.recreate_tables,
                index.recorder.indexes_deferred,
            ),
            Follower(
                "scorecards",
                ScorecardProjection(app, scorecards),
                scorecards.lag,
                scorecards.recorder.recreate_tables,
                scorecards.recorder.indexes_deferred,
            ),
        ]


# -- the relay: the notification log onto the stream -----------------------------------------


def relay_once(settings: Settings) -> int:
    """Publish everything pending now; the number of events published."""
    with open_relay(settings) as case_relay:
        prepare_topics(settings)
        return case_relay.catch_up()


def run_relay(
    settings: Settings,
    *,
    stop: threading.Event,
    poll_interval: float = RELAY_POLL_SECONDS,
    wakeup_for: WakeupFactory = store_wakeup,
) -> None:
    """Relay until `stop` is set, riding out broker and store outages with backoff.

    When the log is idle it waits for the store to say events were committed
    (`wakeup_for`), and reads again after `poll_interval` at the latest, in case a wake-up
    was missed.
    """
    relay_log.info("relay: publishing the case events to %s", describe(settings))

    def relay_until_stopped(outage: Outage, backoff: Backoff) -> None:
        with open_relay(settings) as case_relay:
            # Listening before the first read: nothing committed after it goes unseen.
            wakeup = wakeup_for(case_relay.app, settings, stop)
            try:
                _publish(case_relay, settings, stop, poll_interval, outage, backoff, wakeup)
            finally:
                wakeup.close()

    supervise("relay", settings, stop, relay_log, relay_until_stopped)


def _publish(
    case_relay: Relay,
    settings: Settings,
    stop: threading.Event,
    poll_interval: float,
    outage: Outage,
    backoff: Backoff,
    wakeup: Wakeup,
) -> None:
    """Batch after batch; the same batch again after a failure; when the log is idle, a
    wait until the store says events were committed, or `poll_interval` at the most."""
    topics_ready = False
    prepared: Prepared | None = None
    published = 0
    next_progress = time.monotonic() + RELAY_PROGRESS_LOG_SECONDS
    while not stop.is_set():
        try:
            if not topics_ready:
                prepare_topics(settings)
                topics_ready = True
            prepared = prepared or case_relay.prepare()
            published += case_relay.deliver(prepared)
        except (PersistenceError, StreamUnavailableError) as error:
            # The same batch again after the wait: nothing skipped, nothing reordered.
            delay = backoff.next()
            outage.failed(what_failed(error, settings), error, delay)
            stop.wait(delay)
            continue
        outage.recovered()
        backoff.reset()
        idle = len(prepared.batch.notifications) < case_relay.batch_size
        prepared = None
        if time.monotonic() >= next_progress:
            relay_log.info("relay: %d events published; at position %d",
                           published, case_relay.position())
            next_progress = time.monotonic() + RELAY_PROGRESS_LOG_SECONDS
        if idle:
            wakeup.wait(poll_interval)


@contextmanager
def open_relay(settings: Settings) -> Iterator[Relay]:
    """A relay on the settings' store and stream, closed afterwards."""
    with ExitStack() as stack:
        services = build_services(settings)
        stack.callback(services.close)
        positions = open_relay_positions(services.complaints, create=settings.create_tables)
        publisher = open_publisher(settings, client_id="huiyin-relay")
        stack.callback(publisher.close)
        yield Relay(services.complaints, positions, publisher, secret_key=settings.secret_key)


# -- receipts: notify's reports become the cases' history ------------------------------------


def receive_once(settings: Settings) -> int:
    """Record every receipt waiting now; the number of receipt messages handled."""
    handled = 0
    with _receipts(settings) as (app, subscription):
        while messages := subscription.poll(RECEIPTS_POLL_SECONDS):
            recorded = receipts.record_receipts(app, messages)
            subscription.commit(messages)
            handled += len(messages)
            receipts_log.info("receipts: %d handled, %d new", len(messages), recorded)
    return handled


def run_receipts(settings: Settings, *, stop: threading.Event) -> None:
    """Record receipts until `stop` is set, riding out broker and store outages."""
    receipts_log.info("receipts: reading %s from %s", RECEIPTS, describe(settings))

    def receive_until_stopped(outage: Outage, backoff: Backoff) -> None:
        with _receipts(settings) as (app, subscription):
            _consume(app, subscription, settings, stop, outage, backoff)

    supervise("receipts", settings, stop, receipts_log, receive_until_stopped)


def _consume(
    app: Complaints,
    subscription: Subscription,
    settings: Settings,
    stop: threading.Event,
    outage: Outage,
    backoff: Backoff,
) -> None:
    while not stop.is_set():
        try:
            messages = subscription.poll(RECEIPTS_POLL_SECONDS)
        except StreamUnavailableError as error:
            delay = backoff.next()
            outage.failed(describe(settings), error, delay)
            stop.wait(delay)
            continue
        if not messages:
            continue
        if not _record_until_done(app, messages, stop, outage, backoff):
            return  # stopped: nothing committed, so the next start reads them again
        try:
            subscription.commit(messages)
        except StreamUnavailableError as error:
            # Recorded already: delivered again later, they are recognised and skipped.
            delay = backoff.next()
            outage.failed(describe(settings), error, delay)
            stop.wait(delay)
            continue
        outage.recovered()
        backoff.reset()


def _record_until_done(
    app: Complaints,
    messages: Sequence[Message],
    stop: threading.Event,
    outage: Outage,
    backoff: Backoff,
) -> bool:
    """Record the same messages until it works (True) or `stop` is set (False)."""
    while not stop.is_set():
        try:
            recorded = receipts.record_receipts(app, messages)
        except (PersistenceError, VersionConflictError) as error:
            delay = backoff.next()
            outage.failed("the event store", error, delay)
            stop.wait(delay)
            continue
        receipts_log.debug("receipts: %d handled, %d new", len(messages), recorded)
        return True
    return False


@contextmanager
def _receipts(settings: Settings) -> Iterator[tuple[Complaints, Subscription]]:
    """The application and the subscription to the receipts topic, closed afterwards."""
    with ExitStack() as stack:
        services = build_services(settings)
        stack.callback(services.close)
        subscription = open_subscription(settings, RECEIPTS_GROUP, [RECEIPTS])
        stack.callback(subscription.close)
        yield services.complaints, subscription


# -- the watchdog: deadlines near or past ------------------------------------------------------


def sweep_attachments(settings: Settings) -> Counter[str]:
    """Remove the uploads no case refers to: expired staging folders, unreferenced files."""
    services = build_services(settings)
    try:
        return sweep_uploads(services.complaints, open_staging(settings))
    finally:
        services.close()


def sweep_once(settings: Settings) -> Counter[str]:
    with _case_index(settings) as (app, index):
        return Watchdog(app, index).sweep()


def run_watchdog(settings: Settings, *, stop: threading.Event, interval: float = 30.0) -> None:
    """Sweep every `interval` seconds until `stop` is set, riding out database outages: the
    deadlines, then the personal data kept past its retention period; the uploads no case
    refers to are swept too, every `UPLOADS_SWEEP_SECONDS`. Malformed retention periods stop
    it at start (RetentionError), before it sweeps anything."""
    backoff = Backoff(interval)
    uploads_due = 0.0
    periods: RetentionPeriods | None = None
    while not stop.is_set():
        try:
            with _case_index(settings) as (app, index):
                periods = periods or retention_periods(settings, app)
                watchdog = Watchdog(app, index)
                retention = RetentionJob(app, index, periods)
                staging = open_staging(settings)
                dispatcher = Dispatcher(settings.data_dir, app.routing)
                while not stop.is_set():
                    watchdog.sweep()
                    retention.sweep()
                    if dispatcher.due():
                        _retrain(dispatcher, index)
                    if time.time() >= uploads_due:
                        _sweep_uploads(app, staging)
                        uploads_due = time.time() + UPLOADS_SWEEP_SECONDS
                    backoff.reset()
                    stop.wait(interval)
        except PersistenceError as error:
            delay = backoff.next()
            watchdog_log.warning("watchdog: store error (%s); retrying in %.1fs", error, delay)
            stop.wait(delay)


def _retrain(dispatcher: Dispatcher, index: CaseIndex) -> None:
    """The daily retraining of dispatch suggestions (and at start when there is no model for
    the catalogue). Too little history keeps the routing table's suggestions; the next try
    is a day later, so each sweep does not read every closed case again."""
    report = dispatcher.train(index.closed_texts())
    watchdog_log.info("watchdog: dispatch suggestions: %s", report.message)
    if not report.trained:
        dispatcher.postpone()


def train_suggestions(settings: Settings) -> TrainingReport:
    """Bring the case index up to date, then learn dispatch suggestions from its closed cases."""
    catch_up_projections(settings)
    with _case_index(settings) as (app, index):
        return Dispatcher(settings.data_dir, app.routing).train(index.closed_texts())


def _sweep_uploads(app: Complaints, staging: StagingArea) -> None:
    try:
        done = sweep_uploads(app, staging)
    except OSError as error:  # a full or read-only disk must not stop the deadlines
        watchdog_log.warning("watchdog: cannot sweep the uploads (%s)", error)
        return
    if done["staging"] or done["unreferenced"] or done["erased"]:
        watchdog_log.info("watchdog: removed %d expired staging folder(s), %d erased case(s)' "
                          "files and %d unreferenced file(s)", done["staging"], done["erased"],
                          done["unreferenced"])


def expire_once(settings: Settings, *, dry_run: bool = False) -> tuple[Counter[str], list[str]]:
    """Bring the case index up to date, then erase (or, `dry_run`, list) the personal data
    kept past its retention period: what was done, and the references due."""
    catch_up_projections(settings)
    with _case_index(settings) as (app, index):
        job = RetentionJob(app, index, retention_periods(settings, app))
        if dry_run:
            return Counter(), job.due()
        return job.sweep(), []


def retention_periods(settings: Settings, app: Complaints) -> RetentionPeriods:
    """The operator's retention periods (HUIYIN_RETENTION_FILE) or the packaged ones."""
    return RetentionPeriods.load(settings.retention_file, app.routing.categories)


def recompute_provisional_deadlines(settings: Settings, reason: str) -> int:
    """Bring the case index up to date, then recompute what it lists as provisional."""
    catch_up_projections(settings)
    with _case_index(settings) as (app, index):
        return recompute_provisional(app, index, reason)


@contextmanager
def _case_index(settings: Settings) -> Iterator[tuple[Complaints, CaseIndex]]:
    """The application and the case index, closed afterwards."""
    with ExitStack() as stack:
        services = build_services(settings)
        stack.callback(services.close)
        index = open_case_index(settings)
        stack.callback(index.close)
        yield services.complaints, index
