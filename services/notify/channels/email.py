"""Email: a UTF-8 MIME message over SMTP, or into a Maildir when no SMTP host is configured."""

from __future__ import annotations

import mailbox
import smtplib
import threading
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from notify.application.delivery import DeliveryError, Dispatch, Timeouts


def email_message(dispatch: Dispatch, sender: str, *, readable: bool = False) -> EmailMessage:
    """The message, its Message-ID derived from the notification: a resend keeps the same id.

    `readable` writes the body as plain UTF-8 (8bit) for a person opening the file; over
    SMTP the library chooses base64 or quoted-printable, safe for lines of any length.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "huiyin.example"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = dispatch.address
    message["Subject"] = dispatch.message.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{dispatch.notification_id}@{domain}>"
    message["X-Huiyin-Reference"] = dispatch.reference
    message.set_content(dispatch.message.body, charset="utf-8", cte="8bit" if readable else None)
    message["Content-Language"] = dispatch.language  # after set_content, which clears Content-*
    return message


class SmtpEmail:
    """Sends over SMTP connections kept open between messages, as relays expect of a steady
    sender: one per worker thread (smtplib's connection serves one conversation at a time);
    a connection the server closed meanwhile is opened again."""

    def __init__(self, host: str, port: int, sender: str, timeouts: Timeouts) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeouts = timeouts
        self._local = threading.local()  # this thread's connection
        self._open_connections: set[smtplib.SMTP] = set()
        self._lock = threading.Lock()

    def send(self, dispatch: Dispatch) -> str:
        try:
            message = email_message(dispatch, self.sender)
            try:
                self._open().send_message(message)
            except smtplib.SMTPServerDisconnected:
                # The server dropped an idle connection before taking anything: once more, anew.
                self._drop()
                self._open().send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as error:
            self._drop()
            raise DeliveryError(_reason(error), f"SMTP {self.host}:{self.port}: {error}") from None
        return message["Message-ID"]

    def _open(self) -> smtplib.SMTP:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = smtplib.SMTP(timeout=self.timeouts.connect)
            connection.connect(self.host, self.port)
            connection.sock.settimeout(self.timeouts.read)
            self._local.connection = connection
            with self._lock:
                self._open_connections.add(connection)
        return connection

    def _drop(self) -> None:
        """Close this thread's connection."""
        connection, self._local.connection = getattr(self._local, "connection", None), None
        if connection is not None:
            with self._lock:
                self._open_connections.discard(connection)
            _quit(connection)

    def close(self) -> None:
        """Close every thread's connection (the workers are done)."""
        with self._lock:
            connections, self._open_connections = self._open_connections, set()
        self._local = threading.local()
        for connection in connections:
            _quit(connection)


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


class MaildirEmail:
    """Embedded mode: each message becomes a file under <data dir>/mail/new, for a person."""

    def __init__(self, path: Path, sender: str) -> None:
        self.path = path
        self.sender = sender

    def send(self, dispatch: Dispatch) -> str:
        try:
            message = email_message(dispatch, self.sender, readable=True)
            mailbox.Maildir(self.path, create=True).add(message)
        except (OSError, ValueError) as error:
            raise DeliveryError("email_maildir_failed", f"{self.path}: {error}") from None
        return message["Message-ID"]


def _reason(error: Exception) -> str:
    """The reason code for what smtplib raised (its words go to the log only)."""
    if isinstance(error, TimeoutError):
        return "email_timeout"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "email_unreachable"
    if isinstance(error, smtplib.SMTPException):
        return "email_refused"  # the server answered with an error code
    if isinstance(error, ValueError):
        return "email_invalid"
    return "email_unreachable"
