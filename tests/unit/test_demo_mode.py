"""Demo mode keeps secrets of its own installation and serves only this machine."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor

import pytest

from complaints.settings import Settings
from shared.installation import DEMO_PASSWORD_FILE, SECRET_KEY_FILE, demo_password
from shared.sealing import KEK_FILE
from shared.settings import SettingsError
from tests.fixtures.stores import TEST_KEK

# What the source said before each installation made its own.
SOURCE_SECRET = "demo-secret-key-not-for-production-use!"


def demo_settings(data_dir, **env: str) -> Settings:
    return Settings.from_env({"HUIYIN_DEMO": "1", "HUIYIN_DATA_DIR": str(data_dir), **env})


def secret_of(data_dir: str) -> str:
    return demo_settings(data_dir).secret_key


def test_each_installation_makes_its_own_secret_and_keeps_it(tmp_path):
    first = demo_settings(tmp_path / "one")
    second = demo_settings(tmp_path / "two")

    assert first.secret_key != second.secret_key
    assert SOURCE_SECRET not in (first.secret_key, second.secret_key)
    assert len(first.secret_key) >= 32
    assert demo_settings(tmp_path / "one").secret_key == first.secret_key
    mode = stat.S_IMODE((tmp_path / "one" / SECRET_KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    with ProcessPoolExecutor(max_workers=4) as pool:
        secrets = set(pool.map(secret_of, [str(tmp_path / "var")] * 16))

    assert len(secrets) == 1
    # the secret key and the key-encryption key, each made once, nothing half written left
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == [KEK_FILE, SECRET_KEY_FILE]


def test_a_secret_file_others_may_read_is_refused(tmp_path):
    demo_settings(tmp_path)
    (tmp_path / SECRET_KEY_FILE).chmod(0o644)

    with pytest.raises(SettingsError, match="chmod 600"):
        demo_settings(tmp_path)


def test_a_given_secret_key_wins_and_no_file_is_made(tmp_path):
    settings = demo_settings(tmp_path, HUIYIN_SECRET_KEY="k" * 32)

    assert settings.secret_key == "k" * 32
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_the_demo_password_is_random_per_installation_and_long(tmp_path):
    first = demo_password(tmp_path / "one")
    second = demo_password(tmp_path / "two")

    assert first != second
    assert len(first) >= 12 and first != "demo"
    assert demo_password(tmp_path / "one") == first
    mode = stat.S_IMODE((tmp_path / "one" / DEMO_PASSWORD_FILE).stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize("bind", ["0.0.0.0:8000", "[::]:8000", "192.168.1.5:8000",
                                  "example.org:80", ":8000", "0.0.0.0:8000,127.0.0.1:8001"])
def test_demo_mode_refuses_a_bind_beyond_loopback(tmp_path, bind):
    with pytest.raises(SettingsError, match="HUIYIN_DEMO serves only this machine"):
        demo_settings(tmp_path, HUIYIN_BIND=bind)
    assert not (tmp_path / SECRET_KEY_FILE).exists()


@pytest.mark.parametrize("bind", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000",
                                  "127.0.0.2:9000", "unix:/tmp/huiyin.sock"])
def test_demo_mode_serves_on_loopback(tmp_path, bind):
    assert demo_settings(tmp_path, HUIYIN_BIND=bind).demo


def test_outside_demo_mode_any_bind_is_allowed():
    settings = Settings.from_env({"HUIYIN_KEK": TEST_KEK,
                                  "HUIYIN_SECRET_KEY": "k" * 32, "HUIYIN_BIND": "0.0.0.0:8000"})

    assert settings.bind == "0.0.0.0:8000"
