"""The benchmarks' CPU clocks: the servers' counts what the processes under this one spent, and
nothing of this process's own."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.bench.measure import own_and_servers_cpu, servers_cpu, timed_calls

# A child that spends 0.3 s of CPU, says how much it spent in all (its interpreter's start
# too), and then waits without spending any.
BURN = """
import sys, time
while time.process_time() < 0.3:
    pass
print(time.process_time(), flush=True)
sys.stdin.read()
"""

# /proc counts CPU in clock ticks and rounds down: a few ticks short of the child's own clock.
TICKS = 3 / os.sysconf("SC_CLK_TCK")


def test_the_servers_clock_counts_a_child_s_cpu_and_not_this_process_s():
    before = servers_cpu()
    own_before = own_and_servers_cpu()
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        own_count = float(child.stdout.readline())
        spent = servers_cpu() - before
        assert own_count - TICKS <= spent <= own_count + TICKS
        # Work in this process shows on the other clock only.
        deadline = time.process_time() + 0.2
        while time.process_time() < deadline:
            pass
        assert servers_cpu() - before < spent + 0.05
        assert own_and_servers_cpu() - own_before >= spent + 0.2
    finally:
        child.communicate("")


def test_timed_calls_says_what_the_calls_cost_on_the_clock_it_is_given():
    ticks = iter([10.0, 12.5])
    sample = timed_calls("ticks", lambda index: None, 5, cpu=lambda: next(ticks))
    assert sample.cpu_seconds == 2.5 and sample.cpu_per_call == 0.5
    assert timed_calls("no clock", lambda index: None, 5).cpu_per_call is None
