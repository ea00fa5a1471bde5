"""The environment, read once at start-up into one frozen settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class PostgresURL:
    host: str
    port: int
    dbname: str
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> PostgresURL:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SettingsError(
                f"HUIYIN_DATABASE_URL must start with postgresql://, not {parts.scheme or url!r}"
            )
        dbname = parts.path.lstrip("/")
        if not dbname or not parts.hostname:
            raise SettingsError("HUIYIN_DATABASE_URL must name a host and a database")
        return cls(
            host=parts.hostname,
            port=parts.port or 5432,
            dbname=unquote(dbname),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    calendar_dir: Path  # the official schedules loaded by `huiyin calendar load`
    database_url: str
    secret_key: str
    port: int
    demo: bool
    workers: int
    log_level: str
    log_format: str
    max_request_bytes: int
    token_ttl_seconds: int
    create_tables: bool
    kafka_bootstrap_servers: str
    # Session and language cookies only over HTTPS; off for plain HTTP on loopback.
    secure_cookies: bool = False

    @property
    def postgres(self) -> PostgresURL | None:
        return PostgresURL.parse(self.database_url) if self.database_url else None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "complaints.sqlite"

    @property
    def stream_path(self) -> Path:
        """The embedded stream's log, used when no Kafka broker is configured."""
        return self.data_dir / "stream.sqlite"

    @property
    def uses_kafka(self) -> bool:
        return bool(self.kafka_bootstrap_servers)

    @property
    def store_name(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        demo = _flag(env, "HUIYIN_DEMO", False)
        secret = env.get("HUIYIN_SECRET_KEY", "")
        if not secret:
            if not demo:
                raise SettingsError("HUIYIN_SECRET_KEY is required (at least 32 characters)")
            secret = "demo-secret-key-not-for-production-use!"
        if len(secret) < 32:
            raise SettingsError("HUIYIN_SECRET_KEY must be at least 32 characters long")
        data_dir = Path(env.get("HUIYIN_DATA_DIR", "var")).resolve()
        settings = cls(
            data_dir=data_dir,
            calendar_dir=Path(env.get("HUIYIN_CALENDAR_DIR") or data_dir / "calendar").resolve(),
            database_url=env.get("HUIYIN_DATABASE_URL", ""),
            secret_key=secret,
            port=_integer(env, "PORT", 8000, 1, 65535),
            demo=demo,
            workers=_integer(env, "HUIYIN_WORKERS", 2, 1, 64),
            log_level=_choice(
                env, "HUIYIN_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            log_format=_choice(env, "HUIYIN_LOG_FORMAT", "json", ("json", "text")),
            max_request_bytes=_integer(
                env, "HUIYIN_MAX_REQUEST_BYTES", 1_000_000, 1_024, 100_000_000
            ),
            token_ttl_seconds=_integer(env, "HUIYIN_TOKEN_TTL", 8 * 3600, 60, 7 * 24 * 3600),
            create_tables=_flag(env, "HUIYIN_CREATE_TABLES", True),
            kafka_bootstrap_servers=_servers(env, "KAFKA_BOOTSTRAP_SERVERS"),
            secure_cookies=_flag(env, "HUIYIN_SECURE_COOKIES", False),
        )
        settings.postgres  # noqa: B018 - a bad URL fails here, at start-up
        return settings


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "y", "on"):
        return True
    if lowered in ("0", "false", "no", "n", "off"):
        return False
    raise SettingsError(f"{name} must be a yes/no value such as 1 or 0, not {raw!r}")


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "") or default
    if raw.upper() in choices:
        return raw.upper()
    if raw.lower() in choices:
        return raw.lower()
    raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")


def _servers(env: Mapping[str, str], name: str) -> str:
    """host:port[,host:port…], or empty for none."""
    raw = env.get(name, "").strip()
    for server in filter(None, (part.strip() for part in raw.split(","))):
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} must be host:port[,host:port…], not {raw!r}")
    return raw
