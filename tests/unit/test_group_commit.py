"""Group commit: callers who arrive while a commit is in flight share the next one, and each
hears its own outcome."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from complaints.application.group_commit import GroupCommit


class Ledger:
    """A commit that records its batches; the first one waits until told to go on."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.first_started = threading.Event()
        self.release_first = threading.Event()

    def commit(self, items):
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.first_started.set()
            self.release_first.wait(timeout=30)
        return [ValueError(f"bad {item}") if item < 0 else item * 10 for item in items]


def test_a_lone_caller_commits_alone_at_once():
    ledger = Ledger()
    ledger.release_first.set()
    group = GroupCommit(ledger.commit)
    assert group.submit(4) == 40
    assert group.submit(5) == 50
    assert ledger.batches == [[4], [5]]


def test_callers_arriving_during_a_commit_share_the_next_and_hear_their_own_outcome():
    ledger = Ledger()
    group = GroupCommit(ledger.commit)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(group.submit, 1)
        assert ledger.first_started.wait(timeout=30)
        later = {item: pool.submit(group.submit, item) for item in (2, -3, 4, 5)}
        while len(group._waiting) < 4:
            threading.Event().wait(0.01)  # until all four wait behind the first commit
        ledger.release_first.set()
        assert first.result(timeout=30) == 10
        assert {item: later[item].result(timeout=30) for item in (2, 4, 5)} == {
            2: 20, 4: 40, 5: 50}
        with pytest.raises(ValueError, match="bad -3"):
            later[-3].result(timeout=30)
    assert ledger.batches[0] == [1]
    assert sorted(ledger.batches[1]) == [-3, 2, 4, 5]


def test_a_commit_that_fails_as_a_whole_tells_every_member():
    def broken(items):
        raise RuntimeError("store unreachable")

    group = GroupCommit(broken)
    with pytest.raises(RuntimeError, match="store unreachable"):
        group.submit(1)
    # And the next caller is not left waiting behind it.
    with pytest.raises(RuntimeError, match="store unreachable"):
        group.submit(2)


def test_no_batch_is_larger_than_its_bound():
    ledger = Ledger()
    group = GroupCommit(ledger.commit, most=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(group.submit, 1)
        assert ledger.first_started.wait(timeout=30)
        later = [pool.submit(group.submit, item) for item in range(2, 7)]
        while len(group._waiting) < 5:
            threading.Event().wait(0.01)
        ledger.release_first.set()
        assert [future.result(timeout=30) for future in [first, *later]] == [
            10, 20, 30, 40, 50, 60]
    assert all(len(batch) <= 2 for batch in ledger.batches)
    assert sorted(item for batch in ledger.batches for item in batch) == [1, 2, 3, 4, 5, 6]
