"""What the filer was told, as one entry per notice with the channels it reached.

Notify reports a notice once, listing its channels (receipt version 2), and the case records
one `FilerNotified` for it. Before that, each channel was reported and recorded on its own:
those events stay as they were (events are never rewritten) and are merged here as they are
read, so an old history reads like a new one. Their events say neither the notice nor the
event that caused it, so a channel joins the earliest earlier entry recorded the same way, of
the same template, that lacks that channel and, where both texts are whole messages, says
the same words (an SMS carries a shorter text; an erased one reads as nothing). A notice
recorded after some of its channels were recorded that way (while notify was upgraded)
joins their entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

SMS = "sms"


def told(
    messages: list[dict[str, Any]], *, notification_id: str, template: str, text: str,
    sent_at: datetime, channels: Sequence[Mapping[str, Any]], position: int,
) -> None:
    """Add what one `FilerNotified` (at `position`) says to `messages`, merging a channel
    recorded on its own into the notice it belongs to."""
    ids = {channel["notification_id"] for channel in channels}
    # A notice recorded after some of its channels were, each on its own, joins them.
    entry = next((entry for entry in messages if notification_ids([entry]) & ids), None)
    per_channel = len(channels) == 1 and channels[0]["notification_id"] == notification_id
    if entry is None and per_channel:
        entry = _notice_of(messages, template, channels[0]["channel"], text)
    if entry is not None:
        known = notification_ids([entry])
        _add(entry, [each for each in channels if each["notification_id"] not in known],
             text, position)
        entry["recorded_as"].append(notification_id)
        return
    entry = {"notification_id": notification_id, "template": template, "text": text,
             "sent_at": sent_at, "channels": [], "positions": [], "per_channel": per_channel,
             "recorded_as": [notification_id]}
    _add(entry, channels, text, position)
    messages.append(entry)


def notification_ids(messages: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every id a receipt may carry that was recorded: the notices' and their channels'."""
    return {each for message in messages for each in message["recorded_as"]} | {
        channel["notification_id"] for message in messages for channel in message["channels"]}


def _notice_of(
    messages: list[dict[str, Any]], template: str, channel: str, text: str
) -> dict[str, Any] | None:
    for entry in messages:
        if (entry["per_channel"] and entry["template"] == template
                and channel not in {each["channel"] for each in entry["channels"]}
                and _same_words(entry, channel, text)):
            return entry
    return None


def _same_words(entry: Mapping[str, Any], channel: str, text: str) -> bool:
    whole = [each for each in entry["channels"] if each["channel"] != SMS]
    if channel == SMS or not whole or not text or not entry["text"]:
        return True
    return str(entry["text"]) == str(text)


def _add(
    entry: dict[str, Any], channels: Sequence[Mapping[str, Any]], text: str, position: int
) -> None:
    first_whole = not any(each["channel"] != SMS for each in entry["channels"])
    entry["channels"].extend(dict(channel) for channel in channels)
    entry["positions"].append(position)
    entry["sent_at"] = min(channel["sent_at"] for channel in entry["channels"])
    # The whole message rather than an SMS's short one, where a channel carried it.
    if first_whole and any(channel["channel"] != SMS for channel in channels):
        entry["text"] = text
    entry["channel"] = entry["channels"][0]["channel"]
    entry["message_id"] = entry["channels"][0]["message_id"]
