"""The access store on both databases: fixed windows for the `limits` library, and sign-in
session records that signing out deletes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from complaints.adapters.access_store import AccessStore, open_access_store
from complaints.adapters.rate_limits import AccessStoreStorage, storage_uri


@pytest.fixture
def access(settings) -> Iterator[AccessStore]:
    store = open_access_store(settings.database_url, settings.data_dir, create=True)
    yield store
    store.close()


def test_the_limits_library_finds_the_storage_by_its_scheme(settings):
    storage = storage_from_string(storage_uri(settings.database_url, settings.data_dir))
    try:
        assert isinstance(storage, AccessStoreStorage)
        assert storage.check()
    finally:
        storage.close()


def test_a_fixed_window_counts_until_it_expires_then_starts_again(settings):
    storage = storage_from_string(storage_uri(settings.database_url, settings.data_dir))
    limiter = FixedWindowRateLimiter(storage)
    two = RateLimitItemPerMinute(2)
    try:
        with time_machine.travel(1_800_000_000, tick=False) as clock:
            assert limiter.hit(two, "k") and limiter.hit(two, "k")
            assert not limiter.hit(two, "k")
            assert not limiter.test(two, "k")
            assert limiter.hit(two, "other")
            assert storage.get_expiry(two.key_for("k")) == pytest.approx(1_800_000_060)

            clock.shift(61)
            assert limiter.test(two, "k")
            assert limiter.hit(two, "k")
            assert storage.get(two.key_for("k")) == 1

            limiter.clear(two, "k")
            assert storage.get(two.key_for("k")) == 0
            limiter.hit(two, "third")
            assert storage.reset() == 1  # "other" expired and was swept with the clock's shift
    finally:
        storage.close()


def test_a_session_lives_until_it_is_ended_or_expires(access):
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        kept = access.start_session("intake", 3600)
        ended = access.start_session("intake", 3600)
        access.end_session(ended)

        assert access.session_alive(kept, "intake")
        assert not access.session_alive(kept, "auditor")  # not someone else's
        assert not access.session_alive(ended, "intake")
        assert not access.session_alive("made-up", "intake")

        clock.shift(3601)
        assert not access.session_alive(kept, "intake")
