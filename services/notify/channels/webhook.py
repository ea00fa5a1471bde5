"""Webhook: the notification as JSON to the filer's URL, signed with the case's own secret."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from notify.application.delivery import DeliveryError, Dispatch
from notify.channels.http_post import post_json
from shared.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, webhook_secret


class SignedWebhook:
    def __init__(
        self, secret_key: str, timeout: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.secret_key = secret_key
        self.timeout = timeout
        self.clock = clock

    def send(self, dispatch: Dispatch) -> str:
        if urlsplit(dispatch.address).scheme not in ("http", "https"):
            raise DeliveryError(f"a webhook URL must be http(s), not {dispatch.address!r}")
        body = json.dumps(dispatch.webhook_payload(), ensure_ascii=False).encode("utf-8")
        timestamp = int(self.clock())
        secret = webhook_secret(self.secret_key, dispatch.case_id)
        headers = {
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            "X-Huiyin-Notification-Id": str(dispatch.notification_id),
        }
        post_json(dispatch.address, body, headers, self.timeout)
        return f"webhook:{dispatch.notification_id}"
