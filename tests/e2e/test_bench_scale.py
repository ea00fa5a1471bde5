"""A short slice of `make bench-scale`: a few hundred cases through every step of it."""

from __future__ import annotations

from tests.bench import scale
from tests.bench.scale import history


def test_the_scale_bench_grows_a_history_and_reads_every_path_of_it():
    [step] = scale.grown(400, requests_per_path=2)

    assert step.cases == step.imported == 400
    # Every case has more than its filing; some went through a re-check and a reopening.
    assert step.events > 4 * 400
    assert step.later_life["rechecked"] > 0
    assert step.later_life["reopened"] > 0
    # Given in a process per core, each row's later life was given once.
    planned = history.turns(history.sample_texts(), 0, 400, history.leads())
    assert (step.later_life["rechecked"], step.later_life["reopened"]) == (
        planned[history.RECHECK], planned[history.REOPEN])
    assert [sample.count for sample in step.samples] == [2] * len(step.samples)
    assert step.web_rss > 0
    assert "scorecards, five years" in scale.report([step])
