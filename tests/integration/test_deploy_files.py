"""The deployment files: the compose file passes the Compose specification's own check, and
PostgreSQL starts with the province's sizing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import yaml

from tests.fixtures.processes import PROVINCE_SIZING, postgres_cluster

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


def test_the_compose_server_starts_with_the_province_sizing(tmp_path):
    """The initdb hook includes the sizing file from where the compose file mounts it."""
    services = yaml.safe_load(check().stdout)["services"]
    mounts = {}
    for volume in services["postgres"]["volumes"]:  # source:target:mode
        source, target, _ = volume.split(":")
        if source.startswith("/"):  # a file of ours, not the named volume
            assert Path(source).is_file(), source
            mounts[Path(source).name] = target
    assert mounts["include-sizing.sh"].startswith("/docker-entrypoint-initdb.d/")
    (tmp_path / "postgresql.conf").write_text("# the image's own\n")
    subprocess.run(["sh", str(ROOT / "deploy" / "postgres" / "include-sizing.sh")],
                   env={**os.environ, "PGDATA": str(tmp_path)}, check=True)
    included = (tmp_path / "postgresql.conf").read_text().splitlines()[-1]
    assert included == f"include '{mounts['province.conf']}'"


def test_a_cluster_made_with_the_province_sizing_runs_with_it():
    with postgres_cluster(sizing=PROVINCE_SIZING) as url, psycopg.connect(url) as connection:
        shown = {name: connection.execute(f"SHOW {name}").fetchone()[0]
                 for name in ("shared_buffers", "max_wal_size", "random_page_cost")}
    assert shown == {"shared_buffers": "2GB", "max_wal_size": "8GB", "random_page_cost": "1.1"}
