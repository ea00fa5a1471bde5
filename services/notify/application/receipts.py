"""The receipts notify reports to the complaints service: one per notice to the filer.

A notice (an event's message to the filer) goes out on several channels at once (the inbox,
and email, SMS or a webhook). It is reported once, when the event's handling is finished,
listing every channel it reached, so the case's history holds one `FilerNotified` per notice
rather than one per channel. The receipt's id is the notice's, derived from the event, so a
redelivered event reports the same notice again and the complaints service recognises it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from notify.domain.notification import Notification, notice_id_for
from notify.domain.policy import Channel, Notice
from shared.contract.delivery_failures import INTERNAL_ERROR
from shared.contract.envelope import Envelope
from shared.contract.receipts import Delivery, Receipt
from shared.sealing import DataKey

# The inbox first: its text is the whole message (an SMS's is the short one).
_CHANNEL_ORDER = (Channel.INBOX, Channel.EMAIL, Channel.WEBHOOK, Channel.SMS)


def notice_receipt(
    envelope: Envelope,
    told: Sequence[tuple[Notice, Notification]],
    text_for: Callable[[Notice], str],
    key: DataKey | None,
) -> Receipt:
    """One receipt for the filer's notice, naming each channel that reached them (`told`,
    every one sent); its text, sealed with the case's key, is what the first channel read."""
    told = sorted(told, key=lambda pair: _CHANNEL_ORDER.index(pair[0].channel))
    first_notice, first = told[0]
    text = text_for(first_notice)
    return Receipt(
        receipt_id=str(notice_id_for(envelope.event_id, first_notice.recipient)),
        case_id=envelope.case_id,
        event_id=envelope.event_id,
        delivered=True,
        channel=first_notice.channel.value,
        template=first_notice.template,
        message_id=first.message_id,
        sent_at=first.sent_at,
        text=key.seal(text) if key is not None else text,
        channels=tuple(
            Delivery(notice.channel.value, str(notification.id), notification.message_id,
                     notification.sent_at)
            for notice, notification in told
        ),
    )


def unreachable_receipt(
    envelope: Envelope, notice: Notice, notification: Notification
) -> Receipt:
    """Every way to reach the filer failed: the complaints service flags the case."""
    return Receipt(
        receipt_id=str(notification.id),
        case_id=envelope.case_id,
        event_id=envelope.event_id,
        delivered=False,
        channel=notice.channel.value,
        template=notice.template,
        message_id="",
        sent_at=notification.failed_at,
        # A reason code (shared.contract.delivery_failures): no address, no network words.
        reason=notification.last_error or INTERNAL_ERROR,
    )
