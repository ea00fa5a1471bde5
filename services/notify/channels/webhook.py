"""Webhook: the notification as JSON to the filer's URL, signed with the case's own secret,
sent only to a public address (see public_post)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from notify.application.delivery import Dispatch
from notify.channels.public_post import PublicPost
from shared.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, webhook_secret


class SignedWebhook:
    def __init__(
        self, secret_key: str, post: PublicPost, clock: Callable[[], float] = time.time
    ) -> None:
        self.secret_key = secret_key
        self.post = post
        self.clock = clock

    def send(self, dispatch: Dispatch) -> str:
        body = json.dumps(dispatch.webhook_payload(), ensure_ascii=False).encode("utf-8")
        timestamp = int(self.clock())
        secret = webhook_secret(self.secret_key, dispatch.case_id)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            "X-Huiyin-Notification-Id": str(dispatch.notification_id),
        }
        self.post.post(dispatch.address, body, headers)
        return f"webhook:{dispatch.notification_id}"
