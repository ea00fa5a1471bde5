"""`python -m tests.bench [NAME …]`: every benchmark, or those named (see BENCHMARKS)."""

from __future__ import annotations

import sys

from tests.bench import (
    dispatch,
    filing,
    hot_issues,
    importing,
    notify,
    read_after_write,
    rebuild,
    scorecards,
    sealing,
    sign_in_flood,
    similar,
    stream,
)

BENCHMARKS = {
    "filing": filing.run,
    "sealing": sealing.run,
    "stream": stream.run,
    "import": importing.run,
    "scorecards": scorecards.run,
    "rebuild": rebuild.run,
    "read-after-write": read_after_write.run,
    "notify": notify.run,
    "sign-in-flood": sign_in_flood.run,
    "similar": similar.run,
    "dispatch": dispatch.run,
    "hot-issues": hot_issues.run,
}


def main() -> None:
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {list(BENCHMARKS)}")
    for name in names:
        print(BENCHMARKS[name](), end="\n\n", flush=True)


if __name__ == "__main__":
    main()
