"""Builds the notify service's parts from its settings: called once per process."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from notify.adapters.store_config import store_env
from notify.application.delivery import RetryPolicy, Sender, Timeouts
from notify.application.directory import Directory
from notify.application.handling import DEFAULT_WORKERS, EventHandler
from notify.application.messages import MessageRenderer
from notify.application.notifications import Notifications
from notify.application.sealed import CaseKeyring
from notify.channels.email import MaildirEmail, SmtpEmail
from notify.channels.inbox import Inbox
from notify.channels.public_post import PublicPost
from notify.channels.sms import SmsGateway, SmsOutbox
from notify.channels.webhook import SignedWebhook
from notify.domain.policy import Channel
from notify.settings import NotifySettings
from shared.stream.factory import open_case_keys

CLIENT_ID = "huiyin-notify"


@dataclass(frozen=True)
class NotifyService:
    settings: NotifySettings
    notifications: Notifications
    handler: EventHandler
    connections: ExitStack

    def close(self) -> None:
        self.connections.close()
        self.notifications.close()


def build_service(settings: NotifySettings, *, create_tables: bool | None = None) -> NotifyService:
    directory = Directory.load().with_catalogue(settings.shared.catalogue)
    connections = ExitStack()
    notifications = Notifications(store_env(settings, create_tables=create_tables))
    # The case keys channel, read when an event's sealed values must be opened to send.
    keys = CaseKeyring(open_case_keys(settings.shared, CLIENT_ID), settings.shared.key_ring)
    connections.callback(keys.close)
    handler = EventHandler(
        notifications=notifications,
        renderer=MessageRenderer(directory, settings.public_url),
        senders=build_senders(settings, connections),
        retry=RetryPolicy(settings.attempts, settings.backoff_seconds),
        directory=directory,
        workers={**DEFAULT_WORKERS, Channel.WEBHOOK: settings.webhook_workers},
        keys=keys,
    )
    return NotifyService(settings, notifications, handler, connections)


def build_senders(settings: NotifySettings, connections: ExitStack) -> dict[Channel, Sender]:
    """SMTP and the SMS gateway when configured; a maildir and an outbox file otherwise.

    A sender that keeps a connection open registers its closing with `connections`."""
    timeouts = Timeouts(settings.connect_timeout, settings.read_timeout)
    if settings.smtp_host:
        smtp = SmtpEmail(settings.smtp_host, settings.smtp_port, settings.smtp_from, timeouts)
        connections.callback(smtp.close)
        email: Sender = smtp
    else:
        email = MaildirEmail(settings.maildir, settings.smtp_from)
    if settings.sms_gateway_url:
        sms: Sender = SmsGateway(settings.sms_gateway_url, settings.sms_gateway_token,
                                 settings.read_timeout)
    else:
        sms = SmsOutbox(settings.sms_outbox)
    return {
        Channel.EMAIL: email,
        Channel.SMS: sms,
        Channel.WEBHOOK: SignedWebhook(
            settings.shared.secret_key,
            PublicPost(timeouts, allow_loopback=settings.webhook_allow_loopback),
        ),
        Channel.INBOX: Inbox(),
    }
