"""What a batch must publish before its offsets are committed: receipts, then dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract.dead_letters import DeadLetter, encode_dead_letter
from shared.contract.receipts import Receipt, encode_receipt
from shared.contract.topics import NOTIFY_DEAD_LETTER, RECEIPTS
from shared.stream.base import Outgoing, Publisher


@dataclass
class Outbox:
    receipts: list[Outgoing] = field(default_factory=list)
    dead_letters: list[Outgoing] = field(default_factory=list)

    def add_receipt(self, receipt: Receipt) -> None:
        # Keyed by case, so one case's receipts stay in order, as its events did.
        self.receipts.append(Outgoing(str(receipt.case_id), encode_receipt(receipt)))

    def add_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(Outgoing(str(letter.case_id), encode_dead_letter(letter)))

    def publish(self, publisher: Publisher) -> None:
        """Publish everything, acknowledged, and start empty again."""
        publisher.publish(RECEIPTS, self.receipts)
        publisher.publish(NOTIFY_DEAD_LETTER, self.dead_letters)
        self.receipts = []
        self.dead_letters = []
