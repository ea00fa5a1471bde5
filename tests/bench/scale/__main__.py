"""`python -m tests.bench.scale` (SIZE=cases, default 1,000,000): see tests.bench.scale."""

from tests.bench.scale import main

main()
