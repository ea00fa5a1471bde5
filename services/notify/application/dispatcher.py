"""Many events' sends at once: each channel on workers of its own, each retry when it is due.

The workers send, and record at once what they sent (so a crash cannot widen the window in
which a message is sent twice). Everything else — failed tries, fallbacks, receipts, dead
letters, what may be committed — happens on the thread that calls the dispatcher. A slow
receiver holds one of its own channel's workers for one try (bounded by the timeouts), never
another channel's, and a failed try waits in a queue ordered by due time, not in line.

What survives a crash: each try and when the next is due are in the notify store, and a
message is committed only once every notice it called for is sent or given up. A restart
reads the uncommitted messages again and resumes each notification where it was.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from notify.application.delivery import DeliveryError, Sender
from notify.application.handling import Attempt, EventHandler, EventJob, Plan
from notify.application.messages import RenderingError
from notify.application.outbox import Outbox, unusable_message_letter
from notify.domain.policy import Channel
from shared.contract.codec import ContractError
from shared.contract.delivery_failures import INTERNAL_ERROR
from shared.contract.envelope import decode_envelope
from shared.contract.event_types import PERSONAL_DATA_ERASED
from shared.sealing import SealingError
from shared.stream.base import Message, Publisher, Sending

log = logging.getLogger(__name__)

# A message id (sent and recorded), a DeliveryError, or what recording it sent raised.
Outcome = str | Exception
# The channels whose workers each take a share of the cases (see `_pools`).
IN_ORDER_PER_CASE = frozenset({Channel.EMAIL})


class Dispatcher:
    def __init__(self, handler: EventHandler) -> None:
        self.handler = handler
        self.outbox = Outbox()
        self._pools = {
            channel: _pools(channel, count)
            for channel, count in handler.workers.items() if count > 0
        }
        self._outcomes: queue.SimpleQueue[tuple[Attempt, Outcome]] = queue.SimpleQueue()
        self._in_flight = 0
        self._due: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._jobs: dict[UUID, EventJob] = {}  # unfinished, by event id
        # Per partition, the messages not yet returned as done, in the order they came.
        self._arrived: dict[tuple[str, int], deque[tuple[Message, EventJob | None]]] = {}
        # Finished messages whose receipts and dead letters are on their way to the broker.
        self._publishing: deque[tuple[Sending, list[Message]]] = deque()

    @property
    def busy(self) -> bool:
        """Some event still has a notice neither sent nor given up."""
        return bool(self._jobs)

    @property
    def publishing(self) -> bool:
        """Some finished message waits for its receipts' acknowledgement."""
        return bool(self._publishing)

    @property
    def pending(self) -> int:
        """Messages taken and not yet returned as done."""
        return (sum(len(arrived) for arrived in self._arrived.values())
                + sum(len(messages) for _, messages in self._publishing))

    def accept(self, message: Message) -> None:
        """Start handling `message` (see `accept_all`)."""
        self.accept_all([message])

    def accept_all(self, messages: Sequence[Message]) -> None:
        """Start handling `messages`, in order; a message that breaks the contract is
        dead-lettered at once. The new events' notifications are recorded together, one
        commit for the lot (an erasure first has the events before it begun).

        The same event again (redelivered while it is still being handled) joins its job.
        """
        plans: list[Plan] = []
        planned: dict[UUID, EventJob] = {}
        self.handler.read_keys_ahead(messages)
        for message in messages:
            job: EventJob | None = None
            try:
                envelope = decode_envelope(message.value)
                job = self._jobs.get(envelope.event_id) or planned.get(envelope.event_id)
                if envelope.event_type == PERSONAL_DATA_ERASED:
                    self._begin(plans)  # the tries it withholds are scheduled first
                    plans, planned = [], {}
                    self._withhold_case(envelope.case_id)
                if job is None:
                    plan = self.handler.plan(envelope)
                    plans.append(plan)
                    job = planned[envelope.event_id] = plan.job
            except (ContractError, RenderingError, SealingError) as error:
                log.error("dead-lettered %s/%d@%d: %s", message.topic, message.partition,
                          message.offset, error)
                self.outbox.add_dead_letter(unusable_message_letter(message, str(error)))
                job = None
            self._arrived.setdefault((message.topic, message.partition), deque()).append(
                (message, job))
        self._begin(plans)

    def _begin(self, plans: list[Plan]) -> None:
        """Record the planned events' notifications in one commit, and schedule their tries."""
        if not plans:
            return
        recorded = self.handler.record(plans)
        for plan in plans:
            attempts = self.handler.begin(plan, self.outbox, recorded)
            if not plan.job.finished:
                self._jobs[plan.job.envelope.event_id] = plan.job
            self._schedule(attempts)
        self._launch_due()

    def wait_seconds(self, timeout: float) -> float:
        """How long the caller may wait elsewhere: `timeout`, or less when a retry falls due
        sooner."""
        return min(timeout, self._seconds_to_next_due())

    def step(self, timeout: float) -> None:
        """Start the tries that are due; record the outcomes of sends, waiting up to `timeout`
        (less when a retry falls due sooner) for the first."""
        self._launch_due()
        wait = self.wait_seconds(timeout)
        try:
            outcome = self._outcomes.get(timeout=wait) if wait > 0 else self._outcomes.get_nowait()
        except queue.Empty:
            outcome = None
        while outcome is not None:
            self._in_flight -= 1
            self._settle(*outcome)
            try:
                outcome = self._outcomes.get_nowait()
            except queue.Empty:
                outcome = None
        self._launch_due()

    def flush(self, publisher: Publisher, *, wait: bool = False) -> list[Message]:
        """Start publishing what the finished work produced; the messages that may now be
        committed — each finished, after everything before it in its partition, and what it
        produced acknowledged. The acknowledgements are not waited for (the broker answers
        while the next messages are taken) unless `wait`."""
        finished: list[Message] = []
        for arrived in self._arrived.values():
            while arrived and (arrived[0][1] is None or arrived[0][1].finished):
                finished.append(arrived.popleft()[0])
        sending = self.outbox.send(publisher)
        if finished or not sending.done:
            self._publishing.append((sending, finished))
        done: list[Message] = []
        while self._publishing and (wait or self._publishing[0][0].done):
            sending, messages = self._publishing[0]
            sending.wait()  # raises if the broker refused: nothing of it is committed
            self._publishing.popleft()
            done.extend(messages)
        return done

    def close(self) -> None:
        """Start nothing more; wait for the sends under way (each bounded by its timeouts) and
        record how they went. Tries not yet due stay recorded for the next run."""
        self._due.clear()
        try:
            while self._in_flight:
                attempt, outcome = self._outcomes.get()
                self._in_flight -= 1
                self._settle(attempt, outcome)
        finally:
            for pools in self._pools.values():
                for pool in pools:
                    pool.shutdown(wait=True)

    def _withhold_case(self, case_id: UUID) -> None:
        """Drop every try to the case's filer still waiting: its personal data is erased.
        (A try already handed to a channel's worker goes on: it is being sent.)"""
        kept = []
        for entry in self._due:
            attempt = entry[2]
            if attempt.job.envelope.case_id == case_id and attempt.notice.filer_facing:
                self.handler.withhold(attempt, self.outbox)
                if attempt.job.finished:
                    self._jobs.pop(attempt.job.envelope.event_id, None)
            else:
                kept.append(entry)
        heapq.heapify(kept)
        self._due = kept

    def _schedule(self, attempts: list[Attempt]) -> None:
        for attempt in attempts:
            heapq.heappush(self._due, (attempt.due.timestamp(), next(self._order), attempt))

    def _launch_due(self) -> None:
        while self._due and self._due[0][0] <= self.handler.clock().timestamp():
            _, _, attempt = heapq.heappop(self._due)
            sender = self.handler.senders[attempt.channel]
            pools = self._pools.get(attempt.channel)
            if pools is None:
                self._settle(attempt, self._try(sender, attempt))
            else:
                self._in_flight += 1
                pool = pools[attempt.job.envelope.case_id.int % len(pools)]
                pool.submit(self._send_and_report, sender, attempt)

    def _send_and_report(self, sender: Sender, attempt: Attempt) -> None:
        """On a channel's worker: try, and hand the outcome back."""
        self._outcomes.put((attempt, self._try(sender, attempt)))

    def _try(self, sender: Sender, attempt: Attempt) -> Outcome:
        outcome = _send(sender, attempt)
        if isinstance(outcome, DeliveryError):
            return outcome
        try:
            self.handler.record_sent(attempt, outcome)
        except Exception as error:  # a store outage is raised again on the calling thread
            return error
        return outcome

    def _settle(self, attempt: Attempt, outcome: Outcome) -> None:
        following = self.handler.settle(attempt, outcome, self.outbox)
        if attempt.job.finished:
            self._jobs.pop(attempt.job.envelope.event_id, None)
        self._schedule(following)

    def _seconds_to_next_due(self) -> float:
        if not self._due:
            return float("inf")
        return max(0.0, self._due[0][0] - self.handler.clock().timestamp())


def _pools(channel: Channel, count: int) -> list[ThreadPoolExecutor]:
    """A channel's workers. Email's are lanes, one worker each, a case always in the same
    one: its messages go out one after another, in the order they were planned, while other
    cases' go beside them. The others share one pool: a receiver that hangs holds one
    worker, and the next try goes to another."""
    if channel in IN_ORDER_PER_CASE:
        return [ThreadPoolExecutor(1, thread_name_prefix=f"notify-{channel.value}-{lane}")
                for lane in range(count)]
    return [ThreadPoolExecutor(count, thread_name_prefix=f"notify-{channel.value}")]


def _send(sender: Sender, attempt: Attempt) -> Outcome:
    try:
        return sender.send(attempt.dispatch)
    except DeliveryError as error:
        return error
    except Exception as error:  # a sender's bug must not leave its event waiting forever
        log.exception("notification %s: the %s sender broke", attempt.notification.id,
                      attempt.channel)
        return DeliveryError(INTERNAL_ERROR, repr(error))
