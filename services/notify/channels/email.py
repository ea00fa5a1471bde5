"""Email: a UTF-8 MIME message over SMTP, or into a Maildir when no SMTP host is configured."""

from __future__ import annotations

import mailbox
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from notify.application.delivery import DeliveryError, Dispatch


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
    def __init__(self, host: str, port: int, sender: str, timeout: float) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def send(self, dispatch: Dispatch) -> str:
        try:
            message = email_message(dispatch, self.sender)
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as error:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {error}") from None
        return message["Message-ID"]


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
            raise DeliveryError(f"maildir {self.path}: {error}") from None
        return message["Message-ID"]
