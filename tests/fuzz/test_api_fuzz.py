"""schemathesis over the whole API, every check and every phase (stateful included), as a
supervisor, as a handler and as no one: nothing answers 5xx, nothing breaks the document.

Bounded for `make test` (HUIYIN_FUZZ_EXAMPLES, 3 by default); `make fuzz` runs it longer."""

from __future__ import annotations

import os

import pytest

from tests.fuzz.run import run
from tests.fuzz.server import CALLERS, served_api

EXAMPLES = int(os.environ.get("HUIYIN_FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("HUIYIN_FUZZ_SEED")


@pytest.mark.parametrize("caller", CALLERS)
def test_schemathesis_finds_nothing_wrong(caller, tmp_path):
    with served_api(str(tmp_path / "data")) as served:
        outcome = run(served.url, caller, served.tokens[caller], EXAMPLES, tmp_path,
                      seed=int(SEED) if SEED else None)

    print(outcome.summary())
    assert outcome.report, outcome.output[-5000:]
    assert outcome.report["operations"]["tested"] == outcome.report["operations"]["total"]
    assert outcome.exit_code == 0, outcome.output[-20000:]
    assert outcome.cases > 0
