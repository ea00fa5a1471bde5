"""The complaints service's environment, read once at start-up into a frozen settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import parse_many

from complaints.timelimits.limits import TimeLimits, TimeLimitsError
from shared.catalogue import CATALOGUE_VARIABLE, Catalogue
from shared.settings import (
    CommonSettings,
    PostgresURL,
    SettingsError,
    bind_addresses,
    flag,
    is_loopback_bind,
    public_url,
    whole_number,
)
from shared.webhook_targets import ALLOW_LOOPBACK_VARIABLE

METRICS_TOKEN_LENGTH = 32

# Failed sign-ins per account (a username, a case reference) and per client address; filings
# and uploads without login per client address. In the `limits` notation, `;` between windows.
SIGN_IN_ACCOUNT_LIMITS = "10 per minute; 50 per hour"
SIGN_IN_ADDRESS_LIMITS = "30 per minute; 300 per hour"
ANONYMOUS_FILING_LIMITS = "60 per minute; 600 per hour"


@dataclass(frozen=True)
class Settings(CommonSettings):
    calendar_dir: Path  # the official schedules loaded by `huiyin calendar load`
    database_url: str
    port: int
    workers: int
    max_request_bytes: int
    token_ttl_seconds: int
    # Where gunicorn listens (HUIYIN_BIND, gunicorn's syntax); loopback on PORT by default.
    bind: str = "127.0.0.1:8000"
    # Session and language cookies only over HTTPS: on unless the service is bound to loopback.
    secure_cookies: bool = False
    # Webhooks on loopback (and plain http to them) may be filed: tests and development only.
    webhook_allow_loopback: bool = False
    # Forms' files waiting for their case: all forms together, and how long one may wait.
    upload_staging_bytes: int = 2 * 1024**3
    upload_staging_hours: int = 24
    # Prometheus sends it as a bearer token; without one, /metrics is not served at all.
    metrics_token: str = ""
    # Proxies in front that set X-Forwarded-For/-Proto (0: none; the peer is the client).
    trusted_proxies: int = 0
    sign_in_account_limits: str = SIGN_IN_ACCOUNT_LIMITS
    sign_in_address_limits: str = SIGN_IN_ADDRESS_LIMITS
    anonymous_filing_limits: str = ANONYMOUS_FILING_LIMITS
    # How long closed cases keep personal data, per category; None: the packaged periods.
    retention_file: Path | None = None
    # Filings that arrive while another is being saved share the next transaction.
    group_commit: bool = True
    # Where filers reach the site (shared.settings.public_url): what `huiyin init` prints.
    public_url: str = "http://127.0.0.1:8000"
    # The catalogue's own time limits (HUIYIN_CATALOGUE_FILE's `time_limits`); None: packaged.
    time_limits: TimeLimits | None = None

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
        port = whole_number(env, "PORT", 8000, 1, 65535)
        bind = env.get("HUIYIN_BIND", "").strip() or f"127.0.0.1:{port}"
        on_loopback = all(is_loopback_bind(address) for address in bind_addresses(bind))
        if flag(env, "HUIYIN_DEMO", False) and not on_loopback:
            # Before the secret is read or made: a refused start leaves nothing behind.
            raise SettingsError(
                f"HUIYIN_DEMO serves only this machine, so HUIYIN_BIND must be a loopback "
                f"address such as 127.0.0.1:{port}, not {bind!r}; to serve others, run "
                f"without HUIYIN_DEMO, with HUIYIN_SECRET_KEY and staff accounts of your own"
            )
        common = CommonSettings.read(env)
        settings = cls(
            **common,
            calendar_dir=Path(
                env.get("HUIYIN_CALENDAR_DIR") or common["data_dir"] / "calendar"
            ).resolve(),
            database_url=env.get("HUIYIN_DATABASE_URL", ""),
            port=port,
            bind=bind,
            workers=whole_number(env, "HUIYIN_WORKERS", 2, 1, 64),
            max_request_bytes=whole_number(
                env, "HUIYIN_MAX_REQUEST_BYTES", 1_000_000, 1_024, 100_000_000
            ),
            token_ttl_seconds=whole_number(env, "HUIYIN_TOKEN_TTL", 8 * 3600, 60, 7 * 24 * 3600),
            secure_cookies=flag(env, "HUIYIN_SECURE_COOKIES", not on_loopback),
            webhook_allow_loopback=flag(env, ALLOW_LOOPBACK_VARIABLE, False),
            upload_staging_bytes=whole_number(
                env, "HUIYIN_UPLOAD_STAGING_BYTES", 2 * 1024**3, 1024**2, 1024**4
            ),
            upload_staging_hours=whole_number(env, "HUIYIN_UPLOAD_STAGING_HOURS", 24, 1, 720),
            metrics_token=_metrics_token(env),
            trusted_proxies=whole_number(env, "HUIYIN_TRUSTED_PROXIES", 0, 0, 10),
            sign_in_account_limits=rate_limits(
                env, "HUIYIN_SIGN_IN_ACCOUNT_LIMITS", SIGN_IN_ACCOUNT_LIMITS
            ),
            sign_in_address_limits=rate_limits(
                env, "HUIYIN_SIGN_IN_ADDRESS_LIMITS", SIGN_IN_ADDRESS_LIMITS
            ),
            anonymous_filing_limits=rate_limits(
                env, "HUIYIN_ANONYMOUS_FILING_LIMITS", ANONYMOUS_FILING_LIMITS
            ),
            retention_file=_optional_path(env, "HUIYIN_RETENTION_FILE"),
            group_commit=flag(env, "HUIYIN_GROUP_COMMIT", True),
            public_url=public_url(env),
            time_limits=_catalogue_time_limits(common["catalogue"]),
        )
        settings.postgres  # noqa: B018 - a bad URL fails here, at start-up
        return settings


def _catalogue_time_limits(catalogue: Catalogue | None) -> TimeLimits | None:
    if catalogue is None or catalogue.time_limits is None:
        return None
    try:
        return TimeLimits.of_catalogue(
            catalogue.time_limits, set(catalogue.categories), TimeLimits.load()
        )
    except TimeLimitsError as error:
        raise SettingsError(
            f"{CATALOGUE_VARIABLE}: {catalogue.source}: time_limits: {error}"
        ) from None


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw).resolve() if raw else None


def _metrics_token(env: Mapping[str, str]) -> str:
    token = env.get("HUIYIN_METRICS_TOKEN", "").strip()
    if token and len(token) < METRICS_TOKEN_LENGTH:
        raise SettingsError(
            f"HUIYIN_METRICS_TOKEN must be at least {METRICS_TOKEN_LENGTH} characters long"
        )
    return token
def rate_limits(env: Mapping[str, str], name: str, default: str) -> str:
    """Rate limits such as `10 per minute; 50 per hour`, checked now rather than at a request."""
    raw = env.get(name, "").strip() or default
    try:
        parse_many(raw)
    except ValueError:
        raise SettingsError(
            f"{name} must be rate limits such as {default!r}, not {raw!r}"
        ) from None
    return raw
