"""Demo mode as `make run` starts it: its own password printed, and only on loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from complaints.bootstrap import build_services
from complaints.domain.errors import DomainError
from complaints.domain.staff import StaffAccount
from complaints.settings import Settings
from shared.installation import demo_password
from tests.e2e.conftest import BIN, COMMAND_TIMEOUT_SECONDS, ROOT
from tests.fixtures.processes import free_port
from tests.fixtures.stores import TEST_KEK


@pytest.fixture
def demo(environment):
    """The environment of `make run`: demo mode, no secret key given."""
    env = {**environment, "HUIYIN_DEMO": "1"}
    del env["HUIYIN_SECRET_KEY"]
    return env


def gunicorn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), *args,
         "complaints.web.app:create_app()"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


def test_init_prints_the_installations_own_demo_password(huiyin, demo, tmp_path):
    first = huiyin("init", **demo)
    again = huiyin("init", **demo)

    password = demo_password(tmp_path / "var")
    assert first.returncode == 0, first.stderr
    assert f"password: {password}" in first.stdout
    assert "password: demo " not in first.stdout and "took" not in first.stderr
    assert f"password: {password}" in again.stdout


def test_demo_mode_on_every_address_refuses_to_start(demo, tmp_path):
    port = free_port()

    result = gunicorn({**demo, "HUIYIN_BIND": f"0.0.0.0:{port}"})

    assert result.returncode != 0
    assert "HUIYIN_DEMO serves only this machine" in result.stderr
    assert f"'0.0.0.0:{port}'" in result.stderr
    assert not (tmp_path / "var").exists()  # refused before any secret was made


def test_demo_mode_refuses_a_public_bind_given_to_gunicorn_itself(demo):
    port = free_port()

    result = gunicorn(demo, "-b", f"0.0.0.0:{port}")

    assert result.returncode != 0
    assert f"HUIYIN_DEMO serves only this machine, not 0.0.0.0:{port}" in result.stderr


def test_init_gives_older_demo_accounts_that_take_demo_the_installations_password(huiyin, demo):
    huiyin("init", **{**demo, "HUIYIN_DEMO": "0", "HUIYIN_KEK": TEST_KEK,
                      "HUIYIN_SECRET_KEY": "k" * 32})
    services = build_services(Settings.from_env({**demo, "HUIYIN_KEK": TEST_KEK,
                                                 "HUIYIN_SECRET_KEY": "k" * 32,
                                                 "HUIYIN_DEMO": "0"}))
    try:  # as the demo made its accounts before each installation had its own password
        services.complaints.save(StaffAccount(username="intake", role="intake", department=None,
                                              password_hash=generate_password_hash("demo")))
    finally:
        services.close()

    result = huiyin("init", **demo)

    assert result.returncode == 0, result.stderr
    assert "took 'demo'; they now take the password above" in result.stderr
    password = demo_password(Path(demo["HUIYIN_DATA_DIR"]))
    services = build_services(Settings.from_env(demo))
    try:
        with pytest.raises(DomainError):
            services.staff.authenticate("intake", "demo")
        assert services.staff.authenticate("intake", password).actor_id == "intake"
    finally:
        services.close()
