"""The eventsourcing library's environment for a store: a SQLite file or a PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from shared.settings import PostgresURL


def event_store_env(
    *, sqlite_path: Path, postgres: PostgresURL | None, create_tables: bool, pool_size: int = 4
) -> dict[str, str]:
    common = {"CREATE_TABLE": "y" if create_tables else "n"}
    if postgres is None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    return {
        **common,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": postgres.host,
        "POSTGRES_PORT": str(postgres.port),
        "POSTGRES_DBNAME": postgres.dbname,
        "POSTGRES_USER": postgres.user,
        "POSTGRES_PASSWORD": postgres.password,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_LOCK_TIMEOUT": "10",
        # An unreachable server answers /readyz with 503 in seconds, not after a long hang.
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }
