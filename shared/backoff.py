"""Waits between retries: doubling after each failure up to a ceiling, and starting over
after a success. Each wait is shortened by a random part of up to `jitter` of it, so processes
that failed together do not all retry at the same moment."""

from __future__ import annotations

import random

MAX_BACKOFF_SECONDS = 30.0


class Backoff:
    def __init__(
        self, first: float = 0.5, ceiling: float = MAX_BACKOFF_SECONDS, jitter: float = 0.2
    ) -> None:
        self.first = max(first, 0.1)
        self.ceiling = ceiling
        self.jitter = jitter
        self.current = self.first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.ceiling)
        return delay * (1 - random.uniform(0, self.jitter))

    def reset(self) -> None:
        self.current = self.first
