"""`python -m tests.bench`: every benchmark, one table each."""

from __future__ import annotations

from tests.bench import filing


def main() -> None:
    print(filing.run(), flush=True)


if __name__ == "__main__":
    main()
