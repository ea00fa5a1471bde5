"""Notify settings → the eventsourcing library's environment for notify's own store."""

from __future__ import annotations

from notify.settings import NotifySettings
from shared.event_store import event_store_env


def store_env(settings: NotifySettings, *, create_tables: bool | None = None) -> dict[str, str]:
    # Tables are named after the application (notifications_events), so notify may share a
    # PostgreSQL database with the complaints store without touching its tables.
    return event_store_env(
        sqlite_path=settings.sqlite_path,
        postgres=settings.postgres,
        create_tables=settings.shared.create_tables if create_tables is None else create_tables,
        pool_size=2,
    )
