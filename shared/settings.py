"""The environment as both services read it: the common settings and the readers of values.

Each service reads its own settings (`complaints.settings`, `notify.settings`) once at
start-up into a frozen object; a bad value stops it with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from shared.catalogue import CATALOGUE_VARIABLE, Catalogue, CatalogueError
from shared.installation import SecretFileError, demo_secret_key
from shared.sealing import KeyRing, SealingError, read_key_ring


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
class CommonSettings:
    """What both services read alike: where their data lives, the secret, logs, the stream."""

    data_dir: Path
    secret_key: str
    demo: bool
    log_level: str
    log_format: str
    create_tables: bool
    kafka_bootstrap_servers: str
    # The key-encryption keys that wrap every case's data key (shared.sealing).
    key_ring: KeyRing
    # The city's own catalogue (HUIYIN_CATALOGUE_FILE, checked here); None: the packaged one.
    catalogue: Catalogue | None

    @property
    def stream_path(self) -> Path:
        """The embedded stream's log, used when no Kafka broker is configured."""
        return self.data_dir / "stream.sqlite"

    @property
    def uses_kafka(self) -> bool:
        return bool(self.kafka_bootstrap_servers)

    @classmethod
    def read(cls, env: Mapping[str, str]) -> dict[str, Any]:
        """The common fields from `env`, for a service's own settings to extend."""
        demo = flag(env, "HUIYIN_DEMO", False)
        data_dir = Path(env.get("HUIYIN_DATA_DIR", "var")).resolve()
        secret = env.get("HUIYIN_SECRET_KEY", "")
        if not secret:
            if not demo:
                raise SettingsError("HUIYIN_SECRET_KEY is required (at least 32 characters)")
            try:
                # Made on first run and shared by every process of the installation.
                secret = demo_secret_key(data_dir)
            except (SecretFileError, OSError) as error:
                raise SettingsError(f"HUIYIN_DEMO: the secret key: {error}") from None
        if len(secret) < 32:
            raise SettingsError("HUIYIN_SECRET_KEY must be at least 32 characters long")
        try:
            key_ring = read_key_ring(env, data_dir, demo=demo)
        except (SealingError, SecretFileError, OSError) as error:
            raise SettingsError(str(error)) from None
        return {
            "data_dir": data_dir,
            "secret_key": secret,
            "demo": demo,
            "log_level": choice(
                env, "HUIYIN_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            "log_format": choice(env, "HUIYIN_LOG_FORMAT", "json", ("json", "text")),
            "create_tables": flag(env, "HUIYIN_CREATE_TABLES", True),
            "kafka_bootstrap_servers": servers(env, "KAFKA_BOOTSTRAP_SERVERS"),
            "key_ring": key_ring,
            "catalogue": _catalogue(env),
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CommonSettings:
        return cls(**cls.read(os.environ if environ is None else environ))


def _catalogue(env: Mapping[str, str]) -> Catalogue | None:
    raw = env.get(CATALOGUE_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        return Catalogue.read(Path(raw).resolve())
    except CatalogueError as error:
        raise SettingsError(f"{CATALOGUE_VARIABLE}: {error}") from None


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "y", "on"):
        return True
    if lowered in ("0", "false", "no", "n", "off"):
        return False
    raise SettingsError(f"{name} must be a yes/no value such as 1 or 0, not {raw!r}")


def whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
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


def choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "") or default
    if raw.upper() in choices:
        return raw.upper()
    if raw.lower() in choices:
        return raw.lower()
    raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")


def servers(env: Mapping[str, str], name: str) -> str:
    """host:port[,host:port…], or empty for none."""
    raw = env.get(name, "").strip()
    for server in filter(None, (part.strip() for part in raw.split(","))):
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} must be host:port[,host:port…], not {raw!r}")
    return raw


def http_url(env: Mapping[str, str], name: str, default: str) -> str:
    """An http:// or https:// URL, or `default` (empty for none) when the variable is unset."""
    raw = env.get(name, "").strip() or default
    if not raw:
        return raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an http:// or https:// URL, not {raw!r}")
    return raw


def public_url(env: Mapping[str, str]) -> str:
    """Where filers reach the site (HUIYIN_PUBLIC_URL), without a trailing slash: the base of
    every link a message puts in front of them. Unset, it is where the web listens on this
    machine (the first of HUIYIN_BIND naming a host, else 127.0.0.1 on PORT), so the links
    of `make run` on another port lead to it; a deployment behind a proxy sets its own."""
    port = whole_number(env, "PORT", 8000, 1, 65535)
    served = f"http://127.0.0.1:{port}"
    for address in bind_addresses(env.get("HUIYIN_BIND", "")):
        host, _, bound_port = address.rpartition(":")
        if host and bound_port.isdigit() and host.strip("[]") not in ("0.0.0.0", "::", "*"):
            served = f"http://{host}:{bound_port}"
            break
    return http_url(env, "HUIYIN_PUBLIC_URL", served).rstrip("/")


def bind_addresses(raw: str) -> list[str]:
    """gunicorn's bind value (`host:port`, `[v6]:port`, `unix:path`), comma-separated."""
    return [part.strip() for part in raw.split(",") if part.strip()]


def is_loopback_bind(address: str) -> bool:
    """Whether `address` only accepts connections from this machine."""
    if address.startswith(("unix:", "fd://")):
        return True
    host = address.rpartition(":")[0] if ":" in address else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, or nothing (every address): not provably this machine
