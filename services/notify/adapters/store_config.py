"""Notify settings → the eventsourcing library's environment for notify's own store."""

from __future__ import annotations

from notify.settings import NotifySettings


def store_env(settings: NotifySettings, *, create_tables: bool | None = None) -> dict[str, str]:
    create = settings.shared.create_tables if create_tables is None else create_tables
    common = {"CREATE_TABLE": "y" if create else "n"}
    pg = settings.postgres
    if pg is None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    # Tables are named after the application (notifications_events), so notify may share a
    # PostgreSQL database with the complaints store without touching its tables.
    return {
        **common,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": pg.host,
        "POSTGRES_PORT": str(pg.port),
        "POSTGRES_DBNAME": pg.dbname,
        "POSTGRES_USER": pg.user,
        "POSTGRES_PASSWORD": pg.password,
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "2",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }
