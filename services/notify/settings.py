"""The notify service's environment, read once into a frozen settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from shared.settings import (
    CommonSettings,
    PostgresURL,
    SettingsError,
    flag,
    http_url,
    public_url,
)
from shared.webhook_targets import ALLOW_LOOPBACK_VARIABLE


@dataclass(frozen=True)
class NotifySettings:
    shared: CommonSettings
    database_url: str
    smtp_host: str
    smtp_port: int
    smtp_from: str
    sms_gateway_url: str
    sms_gateway_token: str
    attempts: int
    backoff_seconds: float
    connect_timeout: float
    read_timeout: float
    public_url: str  # the base of every link in a message (shared.settings.public_url)
    # Loopback webhooks (and plain http to them): for tests and development only.
    webhook_allow_loopback: bool = False
    # Sends to webhooks at once; one hanging receiver holds one of them for one try.
    webhook_workers: int = 8

    @property
    def postgres(self) -> PostgresURL | None:
        return _postgres(self.database_url) if self.database_url else None

    @property
    def store_name(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return self.shared.data_dir / "notify.sqlite"

    @property
    def maildir(self) -> Path:
        """Where email goes when no SMTP host is set: one file per message, for a person."""
        return self.shared.data_dir / "mail"

    @property
    def sms_outbox(self) -> Path:
        """Where SMS go when no gateway is set: one JSON line per message."""
        return self.shared.data_dir / "sms-outbox.jsonl"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if environ is None else environ
        database_url = env.get("HUIYIN_NOTIFY_DATABASE_URL", "").strip()
        if database_url:
            _postgres(database_url)
        return cls(
            shared=CommonSettings.from_env(env),
            database_url=database_url,
            smtp_host=env.get("HUIYIN_SMTP_HOST", "").strip(),
            smtp_port=int(_number(env, "HUIYIN_SMTP_PORT", 25, 1, 65535, whole=True)),
            smtp_from=_address(env, "HUIYIN_SMTP_FROM", "Huiyin <noreply@huiyin.example>"),
            sms_gateway_url=http_url(env, "HUIYIN_SMS_GATEWAY_URL", ""),
            sms_gateway_token=env.get("HUIYIN_SMS_GATEWAY_TOKEN", "").strip(),
            attempts=int(_number(env, "HUIYIN_NOTIFY_ATTEMPTS", 5, 1, 20, whole=True)),
            backoff_seconds=_number(env, "HUIYIN_NOTIFY_BACKOFF", 0.5, 0, 300),
            connect_timeout=_number(env, "HUIYIN_NOTIFY_CONNECT_TIMEOUT", 2, 0.1, 60),
            read_timeout=_number(env, "HUIYIN_NOTIFY_TIMEOUT", 5, 0.1, 300),
            public_url=public_url(env),
            webhook_allow_loopback=flag(env, ALLOW_LOOPBACK_VARIABLE, False),
            webhook_workers=int(_number(env, "HUIYIN_NOTIFY_WEBHOOK_WORKERS", 8, 1, 64,
                                        whole=True)),
        )


def _postgres(url: str) -> PostgresURL:
    try:
        return PostgresURL.parse(url)
    except SettingsError as error:
        message = str(error).replace("HUIYIN_DATABASE_URL", "HUIYIN_NOTIFY_DATABASE_URL")
        raise SettingsError(message) from None


def _number(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, *, whole=False
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise SettingsError(f"{name} must be {kind}, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, not {raw}")
    return value


def _address(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    _, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        raise SettingsError(f"{name} must be an email address such as a@b.example, not {raw!r}")
    return raw
