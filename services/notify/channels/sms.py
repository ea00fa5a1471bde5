"""SMS: the gateway's HTTP API ({to, text} as JSON), or a local outbox file when none is set."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from notify.application.delivery import DeliveryError, Dispatch
from notify.channels.http_post import post_json


class SmsGateway:
    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, dispatch: Dispatch) -> str:
        body = json.dumps({"to": dispatch.address, "text": dispatch.message.sms},
                          ensure_ascii=False).encode("utf-8")
        headers = {"Idempotency-Key": str(dispatch.notification_id)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        answer = post_json(self.url, body, headers, self.timeout, "sms")
        return _gateway_id(answer) or f"sms:{dispatch.notification_id}"


class SmsOutbox:
    """Embedded mode: one JSON line per message in <data dir>/sms-outbox.jsonl, for a person."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, dispatch: Dispatch) -> str:
        line = json.dumps({"to": dispatch.address, "text": dispatch.message.sms,
                           "notification_id": str(dispatch.notification_id),
                           "at": datetime.now(UTC).isoformat()}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(line + "\n")
        except OSError as error:
            raise DeliveryError("sms_outbox_failed", f"{self.path}: {error}") from None
        return f"sms-outbox:{dispatch.notification_id}"


def _gateway_id(answer: bytes) -> str:
    """The gateway's id for the message, from {"id": …} or {"message_id": …}, if it gave one."""
    try:
        parsed = json.loads(answer.decode("utf-8")) if answer else {}
    except (UnicodeDecodeError, ValueError):
        return ""
    if not isinstance(parsed, dict):
        return ""
    return str(parsed.get("id") or parsed.get("message_id") or "")
