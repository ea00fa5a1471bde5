"""`make fuzz`: the fuzz tier with more examples per operation (HUIYIN_FUZZ_EXAMPLES)."""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("HUIYIN_FUZZ_EXAMPLES", "100")
sys.exit(pytest.main(["tests/fuzz", "-q", "-s", *sys.argv[1:]]))
