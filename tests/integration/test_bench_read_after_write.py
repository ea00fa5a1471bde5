"""A short slice of `python -m tests.bench read-after-write`: a few filings, each read back."""

from __future__ import annotations

from complaints.streaming.relay import store_wakeup
from tests.bench.read_after_write import polling, waits_after_filing
from tests.fixtures.stores import settings_for


def test_each_filing_is_in_the_index_when_the_wait_after_it_ends(tmp_path):
    woken = waits_after_filing(settings_for("sqlite", str(tmp_path / "woken")), store_wakeup,
                               "woken", filings=3)
    polled = waits_after_filing(settings_for("sqlite", str(tmp_path / "polled")), polling,
                                "polled", filings=2)

    # Each wait ended with the index holding the filing (the bench raises otherwise).
    assert (len(woken.latencies), len(polled.latencies)) == (3, 2)
