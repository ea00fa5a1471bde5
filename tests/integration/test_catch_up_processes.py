"""A catch-up's processes end with it, however it ends."""

import subprocess
import sys
import time
from pathlib import Path

# A catch-up's parent with one process in its pool, waiting for its next task; it prints the
# process's pid.
POOL = """
import multiprocessing, os, time
from concurrent.futures import ProcessPoolExecutor
from complaints import processes

if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=processes._start_catch_up_process,
                             initargs=("WARNING", "json", os.getpid())) as pool:
        print(pool.submit(os.getpid).result(), flush=True)
        time.sleep(60)
"""


def running(pid):
    """Whether `pid` is a live process (not gone, not a zombie left for its reaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_catch_ups_process_ends_once_the_catch_up_that_started_it_is_killed():
    """Killed, a catch-up cannot tell its processes; one waiting for its next task would
    wait for ever, as its siblings keep the task queue open."""
    parent = subprocess.Popen([sys.executable, "-c", POOL], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert running(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(child)
