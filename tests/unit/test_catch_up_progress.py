"""`huiyin projections catch-up` tells the operator where each read model stands."""

import os
import threading

from complaints import processes
from complaints.readmodels.projection import Follower, Lag


class Slow:
    """A projection whose catch-up takes until it is let go."""

    def __init__(self) -> None:
        self.tracked = 0
        self.let_go = threading.Event()

    def catch_up(self, stop=None) -> int:
        self.tracked = 5
        self.let_go.wait(5)
        self.tracked = 10
        return 10


def test_progress_is_told_while_the_read_models_catch_up_and_once_at_the_end():
    slow = Slow()
    follower = Follower("case_index", slow, lambda: Lag(slow.tracked, 10), lambda: None)
    told: list[list[tuple[str, Lag]]] = []

    def progress(lags):
        told.append(lags)
        if len(told) == 2:
            slow.let_go.set()

    with processes._reporting([follower], progress, every=0.01):
        slow.catch_up()

    assert told[0] == [("case_index", Lag(5, 10))]
    assert told[-1] == [("case_index", Lag(10, 10))]


def test_a_read_models_process_stops_once_the_catch_up_that_started_it_is_gone():
    """A process catching one read model up is stopped (after its batch in hand) when its
    parent is no longer the one that started it: killed, its orphans go to another."""
    stop = threading.Event()
    watching = threading.Thread(target=processes._stop_when_orphaned,
                                args=(os.getppid() + 1_000_000, stop, 0.01))
    watching.start()
    assert stop.wait(5)
    watching.join(5)
    assert not watching.is_alive()


def test_while_its_parent_lives_the_read_models_process_goes_on():
    stop = threading.Event()
    watching = threading.Thread(target=processes._stop_when_orphaned,
                                args=(os.getppid(), stop, 0.01))
    watching.start()
    assert not stop.wait(0.2)  # twenty looks at its parent
    stop.set()  # as the catch-up does when it ends
    watching.join(5)
    assert not watching.is_alive()
