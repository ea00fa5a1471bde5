"""The installed commands (`huiyin`, `gunicorn`) run as operators run them, on a temp data dir."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.processes import clean_environment
from tests.fixtures.stores import TEST_KEK

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_SECONDS = 120


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """The variables of a fresh installation: SQLite under a temp dir, plain-text logs."""
    env = clean_environment()
    env.update(
        {
            "HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": "e2e-secret-key-0123456789abcdefghij",
            "HUIYIN_DATA_DIR": str(tmp_path / "var"),
            "HUIYIN_LOG_LEVEL": "WARNING",
            "HUIYIN_LOG_FORMAT": "text",
        }
    )
    return env


@pytest.fixture
def huiyin(environment: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `huiyin ARGS…` and return what it printed and its exit status."""

    def run(*args: str, stdin: str | None = None, **extra_env: str):
        return subprocess.run(
            [str(BIN / "huiyin"), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**environment, **extra_env},
            cwd=ROOT,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )

    return run
