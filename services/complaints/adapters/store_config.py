"""Settings → the eventsourcing library's environment for the complaints store."""

from __future__ import annotations

from complaints.settings import Settings
from shared.event_store import event_store_env

_RECORDERS = "complaints.adapters"


def store_env(settings: Settings, *, create_tables: bool | None = None) -> dict[str, str]:
    env = event_store_env(
        sqlite_path=settings.sqlite_path,
        postgres=settings.postgres,
        create_tables=settings.create_tables if create_tables is None else create_tables,
    )
    if settings.postgres is None:
        env["APPLICATION_RECORDER_TOPIC"] = f"{_RECORDERS}.sqlite_recorder:CaseSQLiteRecorder"
        return env
    # Our recorder writes its own rows in the insert transaction; the library's database
    # function would bypass that, so it stays off.
    env["POSTGRES_ENABLE_DB_FUNCTIONS"] = "n"
    env["APPLICATION_RECORDER_TOPIC"] = f"{_RECORDERS}.postgres_recorder:CasePostgresRecorder"
    return env
