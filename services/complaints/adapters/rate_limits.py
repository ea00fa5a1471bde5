"""A storage for the `limits` library (and so Flask-Limiter) over the deployment's own database.

`limits` ships memory, Redis, Memcached and MongoDB storages. Memory is per process, so each
gunicorn worker would count alone; the others are a server this service does not otherwise
need. This one keeps the fixed-window counters in the access store (SQLite file in embedded
mode, PostgreSQL in distributed mode), so every worker on every machine shares them.

Registered under the schemes `huiyin+sqlite:///<data dir>` and `huiyin+postgresql://…`; the
option `store` hands it an access store already open (the app's, which it closes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from limits.storage import Storage

from complaints.adapters.access_store import AccessStore, open_access_store

SQLITE_SCHEME = "huiyin+sqlite"
POSTGRES_SCHEME = "huiyin+postgresql"


def storage_uri(database_url: str, data_dir: Path) -> str:
    if database_url:
        return f"{POSTGRES_SCHEME}://{database_url.partition('://')[2]}"
    return f"{SQLITE_SCHEME}://{data_dir.resolve()}"


class AccessStoreStorage(Storage):
    STORAGE_SCHEME: ClassVar[list[str]] = [SQLITE_SCHEME, POSTGRES_SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        scheme, _, rest = (uri or "").partition("://")
        given = options.get("store")
        if isinstance(given, AccessStore):
            self.store = given
        elif scheme == POSTGRES_SCHEME:
            self.store: AccessStore = open_access_store(
                f"postgresql://{rest}", Path(), create=bool(options.get("create", True))
            )
        else:
            self.store = open_access_store("", Path(rest), create=True)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self.store.errors

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.store.incr(key, expiry, amount)

    def get(self, key: str) -> int:
        return self.store.count(key)

    def get_expiry(self, key: str) -> float:
        return self.store.expiry(key)

    def check(self) -> bool:
        return self.store.reachable()

    def reset(self) -> int | None:
        return self.store.clear_all_counters()

    def clear(self, key: str) -> None:
        self.store.clear(key)

    def close(self) -> None:
        self.store.close()
