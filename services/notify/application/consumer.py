"""The consumer loop: poll case events, hand them to the dispatcher, publish what it produced,
then commit what is done — a message only once every notice it called for is settled."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from eventsourcing.persistence import PersistenceError

from notify.application.dispatcher import Dispatcher
from notify.application.handling import EventHandler
from shared.stream.base import Message, Publisher, StreamUnavailableError, Subscription

# Messages polled at once; how many may be under way (taken, not yet committed) before polling
# waits, so that memory stays bounded while a channel is down and every try times out.
BATCH_SIZE = 20
MAX_PENDING = 500
# How long one turn waits while sends are under way: their outcomes are recorded this soon.
STEP_SECONDS = 0.05
# What the run loop rides out by reconnecting: the stream or the notify store is away.
OUTAGES = (StreamUnavailableError, PersistenceError)


def handle_batch(
    messages: Sequence[Message],
    handler: EventHandler,
    publisher: Publisher,
    stop: threading.Event | None = None,
) -> list[Message]:
    """Handle messages until every notice is settled or stopping; publish what they produced.

    Returns the messages whose work is now durable (recorded and published): commit those.
    A message that breaks the contract is dead-lettered and counts as done.
    """
    stopping = stop or threading.Event()
    dispatcher = Dispatcher(handler)
    try:
        if not stopping.is_set():
            dispatcher.accept_all(messages)
        while dispatcher.busy and not stopping.is_set():
            dispatcher.step(STEP_SECONDS)
    finally:
        dispatcher.close()
    return dispatcher.flush(publisher, wait=True)


def follow(
    subscription: Subscription,
    handler: EventHandler,
    publisher: Publisher,
    stop: threading.Event,
    poll_seconds: float = 1.0,
    polled: Callable[[], None] = lambda: None,
) -> None:
    """Turn after turn until `stop` is set; each message committed once its work is durable.

    `polled` is called after every poll that reached the stream (a backoff resets there).
    """
    dispatcher = Dispatcher(handler)
    try:
        while not stop.is_set():
            _turn(subscription, dispatcher, publisher, poll_seconds, polled)
    finally:
        dispatcher.close()
    subscription.commit(dispatcher.flush(publisher, wait=True))


def drain(
    subscription: Subscription,
    handler: EventHandler,
    publisher: Publisher,
    wait_seconds: float,
) -> int:
    """Handle what is pending (waiting up to `wait_seconds` for the first message), retries
    included; how many messages were handled."""
    dispatcher = Dispatcher(handler)
    handled = 0
    timeout = wait_seconds
    try:
        while True:
            polled, done = _turn(subscription, dispatcher, publisher, timeout)
            handled += done
            if not polled and not dispatcher.busy and not dispatcher.pending:
                return handled
            timeout = min(wait_seconds, 0.5)
    finally:
        dispatcher.close()


def _turn(
    subscription: Subscription,
    dispatcher: Dispatcher,
    publisher: Publisher,
    poll_seconds: float,
    polled: Callable[[], None] = lambda: None,
) -> tuple[int, int]:
    """Poll (unless too much is under way), step, publish, commit; (polled, committed).

    The turn waits in one place: in the poll while there is room for more, so that a new
    message is taken the moment it comes, and the outcomes of the sends that finished
    meanwhile are recorded right after; on the outcomes only while polling must wait.
    """
    room = MAX_PENDING - dispatcher.pending
    waiting = dispatcher.busy or dispatcher.publishing
    messages: list[Message] = []
    if room > 0:
        messages = subscription.poll(
            dispatcher.wait_seconds(STEP_SECONDS) if waiting else poll_seconds,
            min(BATCH_SIZE, room))
        polled()
        dispatcher.accept_all(messages)
    dispatcher.step(STEP_SECONDS if waiting and room <= 0 else 0)
    done = dispatcher.flush(publisher)
    if done:
        subscription.commit(done)
    return len(messages), len(done)
