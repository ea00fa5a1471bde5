"""The complaints service's environment, read once at start-up into a frozen settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.settings import CommonSettings, PostgresURL, flag, whole_number
from shared.webhook_targets import ALLOW_LOOPBACK_VARIABLE


@dataclass(frozen=True)
class Settings(CommonSettings):
    calendar_dir: Path  # the official schedules loaded by `huiyin calendar load`
    database_url: str
    port: int
    workers: int
    max_request_bytes: int
    token_ttl_seconds: int
    # Session and language cookies only over HTTPS; off for plain HTTP on loopback.
    secure_cookies: bool = False
    # Webhooks on loopback (and plain http to them) may be filed: tests and development only.
    webhook_allow_loopback: bool = False
    # Forms' files waiting for their case: all forms together, and how long one may wait.
    upload_staging_bytes: int = 2 * 1024**3
    upload_staging_hours: int = 24

    @property
    def postgres(self) -> PostgresURL | None:
        return PostgresURL.parse(self.database_url) if self.database_url else None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "complaints.sqlite"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def store_name(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        common = CommonSettings.read(env)
        settings = cls(
            **common,
            calendar_dir=Path(
                env.get("HUIYIN_CALENDAR_DIR") or common["data_dir"] / "calendar"
            ).resolve(),
            database_url=env.get("HUIYIN_DATABASE_URL", ""),
            port=whole_number(env, "PORT", 8000, 1, 65535),
            workers=whole_number(env, "HUIYIN_WORKERS", 2, 1, 64),
            max_request_bytes=whole_number(
                env, "HUIYIN_MAX_REQUEST_BYTES", 1_000_000, 1_024, 100_000_000
            ),
            token_ttl_seconds=whole_number(env, "HUIYIN_TOKEN_TTL", 8 * 3600, 60, 7 * 24 * 3600),
            secure_cookies=flag(env, "HUIYIN_SECURE_COOKIES", False),
            webhook_allow_loopback=flag(env, ALLOW_LOOPBACK_VARIABLE, False),
            upload_staging_bytes=whole_number(
                env, "HUIYIN_UPLOAD_STAGING_BYTES", 2 * 1024**3, 1024**2, 1024**4
            ),
            upload_staging_hours=whole_number(env, "HUIYIN_UPLOAD_STAGING_HOURS", 24, 1, 720),
        )
        settings.postgres  # noqa: B018 - a bad URL fails here, at start-up
        return settings
