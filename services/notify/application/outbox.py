"""What must be published before offsets are committed: receipts, then dead letters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from notify.application.messages import redacted
from shared.contract.dead_letters import DeadLetter, encode_dead_letter
from shared.contract.receipts import Receipt, encode_receipt
from shared.contract.topics import NOTIFY_DEAD_LETTER, RECEIPTS
from shared.stream.base import AllSent, Message, Outgoing, Publisher, Sending

NIL = UUID(int=0)


@dataclass
class Outbox:
    receipts: list[Outgoing] = field(default_factory=list)
    dead_letters: list[Outgoing] = field(default_factory=list)

    def add_receipt(self, receipt: Receipt) -> None:
        # Keyed by case, so one case's receipts stay in order, as its events did.
        self.receipts.append(Outgoing(str(receipt.case_id), encode_receipt(receipt)))

    def add_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(Outgoing(str(letter.case_id), encode_dead_letter(letter)))

    def send(self, publisher: Publisher) -> Sending:
        """Start publishing everything, and start empty again; wait on the answer."""
        sendings = []
        if self.receipts:
            sendings.append(publisher.send(RECEIPTS, self.receipts))
            self.receipts = []
        if self.dead_letters:
            sendings.append(publisher.send(NOTIFY_DEAD_LETTER, self.dead_letters))
            self.dead_letters = []
        return AllSent(sendings)


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
