"""SQLite files that several processes open at once: a new file opened by several openers
together is set up by each in turn, none told "database is locked" (switching a file to WAL
mode takes its exclusive lock, and SQLite does not wait for that one)."""

from __future__ import annotations

import threading

import pytest

from complaints.adapters.access_store import SQLiteAccessStore
from shared.stream.embedded import EmbeddedLog

# Without turns, one new file in about 25 failed to open for one of four openers: 150 files
# find it 998 times in 1,000.
FILES, OPENERS = 150, 4


def close_log(path):
    EmbeddedLog(path).connection.close()


def close_access_store(path):
    SQLiteAccessStore(path).close()


@pytest.mark.parametrize("open_and_close", [close_log, close_access_store])
def test_openers_of_a_new_file_at_once_all_open_it(tmp_path, open_and_close):
    failures = []

    def opener(path):
        try:
            open_and_close(path)
        except Exception as error:  # any failure to open is what is counted
            failures.append(f"{path.parent.name}: {error!r}")

    for number in range(FILES):
        folder = tmp_path / str(number)
        folder.mkdir()
        threads = [threading.Thread(target=opener, args=(folder / "file.sqlite",))
                   for _ in range(OPENERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert failures == []
