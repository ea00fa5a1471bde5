"""Receipts: notify's reports on `huiyin.receipts` become the case's history.

Each receipt is recorded once (Case.FilerNotified, or FilerUnreachable when every channel
failed) and committed only after the write: a receipt delivered twice, or again after a
crash, finds itself recorded and changes nothing. A receipt that can never be recorded (no
such case here, or one that breaks the contract) is logged and committed, not retried forever.
The receipts process, which polls, records and commits, is in `complaints.processes`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from complaints.application.case_application import CaseNotFoundError, VersionConflictError
from complaints.application.service import Complaints
from complaints.domain.errors import DomainError
from shared.contract.codec import ContractError
from shared.contract.receipts import Receipt, decode_receipt
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
        sent_at=receipt.sent_at, text=receipt.text, reason=receipt.reason,
    ))
