"""Settings → the eventsourcing library's environment for the chosen store."""

from __future__ import annotations

from shared.settings import Settings

_RECORDERS = "complaints.adapters"


def store_env(settings: Settings, *, create_tables: bool | None = None) -> dict[str, str]:
    create = settings.create_tables if create_tables is None else create_tables
    common = {"CREATE_TABLE": "y" if create else "n"}
    pg = settings.postgres
    if pg is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": f"{_RECORDERS}.sqlite_recorder:CaseSQLiteRecorder",
        }
    return {
        **common,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": pg.host,
        "POSTGRES_PORT": str(pg.port),
        "POSTGRES_DBNAME": pg.dbname,
        "POSTGRES_USER": pg.user,
        "POSTGRES_PASSWORD": pg.password,
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_LOCK_TIMEOUT": "10",
        # An unreachable server answers /readyz with 503 in seconds, not after a long hang.
        "POSTGRES_CONNECT_TIMEOUT": "5",
        # Our recorder writes its own rows in the insert transaction; the library's
        # database function would bypass that, so it stays off.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "APPLICATION_RECORDER_TOPIC": f"{_RECORDERS}.postgres_recorder:CasePostgresRecorder",
    }
