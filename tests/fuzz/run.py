"""Run schemathesis's command line over the whole API (every check, every phase, stateful
included) as one caller, and read its JSON report: how many cases ran, which links were
followed, what failed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PHASES = "examples,coverage,fuzzing,stateful"
HOOKS = "tests.fuzz.hooks"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Names the caller to the hooks, which make generated filings the ones this caller may send.
CALLER_VARIABLE = "HUIYIN_FUZZ_CALLER"


@dataclass
class Outcome:
    caller: str
    exit_code: int
    report: dict[str, Any]
    output: str
    failures: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return self.report.get("test_cases", {}).get("generated", 0)

    @property
    def links(self) -> str:
        """schemathesis's own count of the OpenAPI links its stateful phase followed."""
        found = re.search(r"API Links:\s+(.+)", self.output)
        return found.group(1).strip() if found else "none"

    @property
    def links_covered(self) -> int:
        """How many distinct links the stateful phase followed (schemathesis's "covered")."""
        found = re.search(r"API Links:\s+(\d+) covered", self.output)
        return int(found.group(1)) if found else 0

    @property
    def scenarios(self) -> int:
        found = re.search(r"Scenarios:\s+(\d+)", self.output)
        return int(found.group(1)) if found else 0

    def summary(self) -> str:
        failed = [f"{f['code']} {f['title']} on {', '.join(f['operations'])}"
                  for f in self.report.get("failures", [])]
        return (f"{self.caller}: {self.cases} cases, {self.scenarios} stateful scenarios, "
                f"links {self.links}, "
                f"exit {self.exit_code}; failures: {failed or 'none'}")


def settings_file(workdir: Path, scenarios: int) -> Path:
    """CONFIG, with the number of scenarios the stateful phase runs (its own max-examples,
    which the command line's --max-examples does not set for it)."""
    path = workdir / CONFIG.name
    path.write_text(CONFIG.read_text() + f"""
# Written by tests/fuzz/run.py: how many scenarios the stateful phase runs.
[phases.stateful.generation]
max-examples = {scenarios}
""")
    return path


def run(url: str, caller: str, token: str | None, max_examples: int, workdir: Path,
        seed: int | None = None, scenarios: int = 30) -> Outcome:
    report = workdir / f"{caller}.json"
    config = settings_file(workdir, scenarios)
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config),
        "run", f"{url}/openapi.json",
        "--checks", "all", "--phases", PHASES, "--max-examples", str(max_examples),
        "--workers", "1", "--no-color", "--continue-on-failure",
        "--report", "json", "--report-json-path", str(report),
        "--warnings", "off",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": os.getcwd(),
           CALLER_VARIABLE: caller}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir,
                          check=False)
    data = json.loads(report.read_text()) if report.exists() else {}
    return Outcome(caller, done.returncode, data, done.stdout + done.stderr)
