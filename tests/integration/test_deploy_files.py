"""The deployment files: the compose file passes the Compose specification's own check."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "deploy" / "compose-check.sh"
PROCESSES = {"web", "projections", "relay", "receipts", "notify"}


def check(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(CHECK)], capture_output=True, text=True, timeout=600,
                          env=env, check=False)


def test_the_compose_file_is_valid_and_runs_every_process():
    result = check()
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert PROCESSES | {"postgres", "kafka", "smtp", "init"} <= set(services)
    assert services["kafka"]["image"] == "apache/kafka:4.3.0"
    for name in PROCESSES:
        assert services[name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_the_check_refuses_a_broken_compose_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    text = (ROOT / "deploy" / "docker-compose.yml").read_text()
    broken.write_text(text.replace('- "127.0.0.1:8000:8000"', "- {bad: [port]}"))
    result = check({**os.environ, "COMPOSE_FILE_TO_CHECK": str(broken)})
    assert result.returncode != 0
    assert "ports" in result.stderr
