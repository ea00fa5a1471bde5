"""One log line when a dependency goes away and one when it is back, not one per retry."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from eventsourcing.persistence import PersistenceError

from complaints.settings import Settings
from shared.backoff import Backoff
from shared.stream.base import StreamUnavailableError
from shared.stream.factory import describe

FIRST_RETRY_SECONDS = 0.5


class Outage:
    """Tracks whether `process` is waiting for something (the broker, the store) to come back."""

    def __init__(self, log: logging.Logger, process: str) -> None:
        self.log = log
        self.process = process
        self.what: str | None = None
        self.started = 0.0
        self.failures = 0

    def failed(self, what: str, error: Exception, retry_in: float) -> None:
        self.failures += 1
        if self.what != what:
            self.what = what
            self.started = time.monotonic()
            self.log.warning(
                "%s: %s is unavailable (%s); retrying with backoff until it is back",
                self.process, what, error,
                extra={"outage": what},
            )
        else:
            self.log.debug("%s: %s still unavailable; retry in %.1fs", self.process, what,
                           retry_in)

    def recovered(self) -> None:
        if self.what is None:
            return
        self.log.warning(
            "%s: %s is back after %.1fs and %d failed attempt(s)",
            self.process, self.what, time.monotonic() - self.started, self.failures,
            extra={"outage": self.what},
        )
        self.what = None
        self.failures = 0


def what_failed(error: Exception, settings: Settings) -> str:
    """The event store for a persistence error, else the stream the settings name."""
    return "the event store" if isinstance(error, PersistenceError) else describe(settings)


def supervise(
    process: str,
    settings: Settings,
    stop: threading.Event,
    log: logging.Logger,
    work: Callable[[Outage, Backoff], None],
) -> None:
    """Run `work` until `stop` is set, starting it again after the store or the stream failed,
    with backoff and one log line per outage."""
    outage = Outage(log, process)
    backoff = Backoff(FIRST_RETRY_SECONDS)
    while not stop.is_set():
        try:
            work(outage, backoff)
        except (PersistenceError, StreamUnavailableError) as error:
            delay = backoff.next()
            outage.failed(what_failed(error, settings), error, delay)
            stop.wait(delay)
    log.info("%s: stopped", process)
