"""A supervisord event listener: when a process cannot be started at all, stop the stack.

A process that dies is started again; one that keeps failing within `startsecs` (a port in
use, a broken setting) is given up by supervisord (FATAL). `make run` then exits with the
reason on the screen instead of running on without that process.
"""

from __future__ import annotations

import os
import signal
import sys

from supervisor import childutils


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped with the rest: no fuss
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers["eventname"] == "PROCESS_STATE_FATAL":
            details, _ = childutils.eventdata(payload + "\n")
            print(f"stop-on-fatal: {details['processname']} could not be started; "
                  "stopping every process", file=sys.stderr, flush=True)
            os.kill(os.getppid(), signal.SIGTERM)
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
