"""`make fuzz`: the fuzz tier with more examples per operation (HUIYIN_FUZZ_EXAMPLES) and more
stateful scenarios (HUIYIN_FUZZ_SCENARIOS)."""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("HUIYIN_FUZZ_EXAMPLES", "100")
os.environ.setdefault("HUIYIN_FUZZ_SCENARIOS", "300")
sys.exit(pytest.main(["tests/fuzz", "-q", "-s", *sys.argv[1:]]))
