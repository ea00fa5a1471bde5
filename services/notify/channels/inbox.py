"""The filer's inbox: nothing to send; the receipt itself lands in the case's history."""

from __future__ import annotations

from notify.application.delivery import Dispatch


class Inbox:
    def send(self, dispatch: Dispatch) -> str:
        return f"inbox:{dispatch.notification_id}"
