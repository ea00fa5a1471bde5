"""Receipts: notify's reports on `huiyin.receipts` become the case's history.

Each receipt is recorded once (Case.FilerNotified, one per notice with the channels it
reached, or FilerUnreachable when every channel failed) and committed only after the write:
a receipt delivered twice, or again after a crash, finds itself recorded and changes nothing.
A receipt that can never be recorded (no such case here, or one that breaks the contract) is
logged and committed, not retried forever.
A receipt's text names the filer, so notify seals it with the case's key; it is recorded
with that same token, or as nothing if the key is gone (the case's data was erased).
The receipts process, which polls, records and commits, is in `complaints.processes`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from complaints.application.case_application import CaseNotFoundError, VersionConflictError
from complaints.application.service import Complaints
from complaints.domain.errors import DomainError
from complaints.domain.personal import SealedText
from shared.contract.codec import ContractError
from shared.contract.receipts import Receipt, decode_receipt
from shared.sealing import SealingError, is_token
from shared.stream.base import Message

log = logging.getLogger(__name__)


def record_receipts(app: Complaints, messages: Sequence[Message]) -> int:
    """Record the receipts in `messages`; the number new to their cases.

    A store outage or a concurrent write raises, with nothing to undo: the caller retries
    the same messages and those already recorded are recognised.
    """
    recorded = 0
    for message in messages:
        try:
            receipt = decode_receipt(message.value)
        except ContractError as error:
            log.error("receipts: skipped %s[%d]@%d, which breaks the contract: %s",
                      message.topic, message.partition, message.offset, error)
            continue
        try:
            recorded += _record(app, receipt)
        except VersionConflictError:
            raise
        except CaseNotFoundError:
            log.warning("receipts: skipped receipt %s for case %s, which this store does not hold",
                        receipt.receipt_id, receipt.case_id)
        except DomainError as error:
            log.error("receipts: skipped receipt %s for case %s: %s",
                      receipt.receipt_id, receipt.case_id, error)
    return recorded


def _record(app: Complaints, receipt: Receipt) -> int:
    return int(app.record_receipt(
        receipt.case_id, receipt.receipt_id, delivered=receipt.delivered,
        channel=receipt.channel, template=receipt.template, message_id=receipt.message_id,
        sent_at=receipt.sent_at, text=_opened(app, receipt), reason=receipt.reason,
        channels=[dataclasses.asdict(delivery) for delivery in receipt.channels],
    ))


def _opened(app: Complaints, receipt: Receipt) -> str:
    """The receipt's text, kept sealed as notify sealed it; "" when no key opens it."""
    if not is_token(receipt.text):
        return receipt.text  # from a case without a key, or an older notify
    key = app.case_keys.data_key(receipt.case_id) if app.case_keys is not None else None
    if key is None:
        return ""
    try:
        return SealedText(key.open(receipt.text), receipt.text)
    except SealingError:
        log.warning("receipts: receipt %s's text does not open with case %s's key",
                    receipt.receipt_id, receipt.case_id)
        return ""
