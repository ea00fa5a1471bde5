"""What a stream offers, whatever carries it: publish acknowledged batches, consume and commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class StreamUnavailableError(RuntimeError):
    """The stream (broker or embedded log) cannot be reached now; try again later."""


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


@dataclass(frozen=True)
class Outgoing:
    key: str
    value: bytes | None  # None: a tombstone, which deletes `key` from a compacted topic


class Sending(Protocol):
    @property
    def done(self) -> bool:
        """Every message is answered, acknowledged or not: `wait` returns or raises at once."""

    def wait(self) -> None:
        """Returns once every message sent is acknowledged.

        Raises StreamUnavailableError when they could not all be acknowledged; some may have
        been delivered, so the caller publishes them again (consumers drop duplicates).
        """


@dataclass(frozen=True)
class AllSent:
    """Several sendings answered as one: done when each is, waited on in order."""

    sendings: Sequence[Sending] = ()

    @property
    def done(self) -> bool:
        return all(sending.done for sending in self.sendings)

    def wait(self) -> None:
        for sending in self.sendings:
            sending.wait()


class Publisher(Protocol):
    def connect(self) -> None:
        """Reach the stream now rather than with the first batch."""

    def publish(self, topic: str, messages: Sequence[Outgoing]) -> None:
        """Send `messages` in order; returns only once every one is acknowledged.

        Raises StreamUnavailableError as `Sending.wait` does.
        """

    def send(self, topic: str, messages: Sequence[Outgoing]) -> Sending:
        """Start publishing `messages` in order; `wait` on the answer for the acknowledgements.

        `publish` is `send` then `wait`; in between, the caller may do other work while the
        broker answers. Raises StreamUnavailableError as `wait` does.
        """

    def close(self) -> None: ...


class Subscription(Protocol):
    def poll(self, timeout: float, max_records: int = 500) -> list[Message]:
        """The next messages of the subscribed topics, in order within each partition."""

    def commit(self, messages: Sequence[Message]) -> None:
        """Record that `messages` (and everything before them in their partitions) are done."""

    def close(self) -> None: ...
