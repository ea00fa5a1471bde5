"""The consumer loop: poll case events, handle a batch, publish its reports, then commit."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from notify.application.delivery import DeliveryInterruptedError
from notify.application.handling import EventHandler
from notify.application.messages import RenderingError, redacted
from notify.application.outbox import Outbox
from shared.contract.codec import ContractError
from shared.contract.dead_letters import DeadLetter
from shared.contract.envelope import decode_envelope
from shared.stream.base import Message, Publisher, StreamUnavailableError, Subscription

log = logging.getLogger(__name__)

NIL = UUID(int=0)
# Small batches bound the work between polls when a channel is down and every try times
# out, so the consumer stays well inside Kafka's max.poll.interval.ms (5 minutes).
BATCH_SIZE = 20
# What the run loop rides out by reconnecting: the stream or the notify store is away.
OUTAGES = (StreamUnavailableError, PersistenceError)


def handle_batch(
    messages: Sequence[Message],
    handler: EventHandler,
    publisher: Publisher,
    stop: threading.Event | None = None,
) -> list[Message]:
    """Handle messages in order until done or stopping; publish what they produced.

    Returns the messages whose work is now durable (recorded and published): commit those.
    A message that breaks the contract is dead-lettered and counts as done.
    """
    outbox = Outbox()
    done: list[Message] = []
    for message in messages:
        if stop is not None and stop.is_set():
            break
        try:
            handler.handle(decode_envelope(message.value), outbox)
        except (ContractError, RenderingError) as error:
            log.error("dead-lettered %s/%d@%d: %s", message.topic, message.partition,
                      message.offset, error)
            outbox.add_dead_letter(unusable_message_letter(message, str(error)))
        except DeliveryInterruptedError:
            break
        done.append(message)
    outbox.publish(publisher)
    return done


def follow(
    subscription: Subscription,
    handler: EventHandler,
    publisher: Publisher,
    stop: threading.Event,
    poll_seconds: float = 1.0,
    polled: Callable[[], None] = lambda: None,
) -> None:
    """Batch after batch until `stop` is set; each batch committed once its work is durable.

    `polled` is called after every poll that reached the stream (a backoff resets there).
    """
    while not stop.is_set():
        messages = subscription.poll(poll_seconds, BATCH_SIZE)
        polled()
        if messages:
            subscription.commit(handle_batch(messages, handler, publisher, stop))


def drain(
    subscription: Subscription,
    handler: EventHandler,
    publisher: Publisher,
    wait_seconds: float,
) -> int:
    """Handle what is pending (waiting up to `wait_seconds` for the first message); how many."""
    handled = 0
    timeout = wait_seconds
    while messages := subscription.poll(timeout, BATCH_SIZE):
        done = handle_batch(messages, handler, publisher)
        subscription.commit(done)
        handled += len(done)
        timeout = min(wait_seconds, 0.5)
    return handled


def unusable_message_letter(message: Message, problem: str) -> DeadLetter:
    """A dead letter for a message that cannot be handled at all, with whatever it said."""
    raw = _json_object(message.value)
    return DeadLetter(
        notification_id=f"unusable:{message.topic}:{message.partition}:{message.offset}",
        event_id=_uuid(raw.get("event_id")),
        case_id=_uuid(raw.get("case_id")),
        channel="none",
        recipient="",
        attempts=1,
        last_error=problem[:2000],
        failed_at=datetime.now(UTC),
        envelope=raw,
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"undecodable": raw[:4000].decode("utf-8", "replace")}
    if not isinstance(parsed, dict):
        return {"not_an_object": parsed}
    if isinstance(parsed.get("data"), dict):
        parsed["data"] = redacted(parsed["data"])
    return parsed


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        return NIL
