"""Configuration is read once from the environment; a bad value is named clearly at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaints.settings import Settings
from shared.settings import SettingsError
from tests.fixtures.stores import TEST_KEK

SECRET = "s" * 32


def settings_from(**env: str) -> Settings:
    return Settings.from_env({"HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": SECRET, **env})


def test_defaults_are_sqlite_under_var_on_port_8000():
    settings = settings_from()

    assert settings.store_name == "sqlite"
    assert settings.sqlite_path == Path("var").resolve() / "complaints.sqlite"
    assert settings.port == 8000
    assert settings.demo is False
    assert settings.log_format == "json"
    assert settings.create_tables is True


def test_a_postgresql_url_chooses_postgresql_and_is_parsed():
    settings = settings_from(
        HUIYIN_DATABASE_URL="postgresql://huiyin:p%40ss@db.internal:6432/cases"
    )

    assert settings.store_name == "postgresql"
    assert settings.postgres.host == "db.internal"
    assert settings.postgres.port == 6432
    assert settings.postgres.password == "p@ss"
    assert settings.postgres.dbname == "cases"


def test_loopback_webhooks_are_refused_at_filing_unless_an_operator_allows_them():
    assert settings_from().webhook_allow_loopback is False
    assert settings_from(HUIYIN_WEBHOOK_ALLOW_LOOPBACK="1").webhook_allow_loopback is True


def test_settings_are_frozen():
    settings = settings_from()

    with pytest.raises(AttributeError):
        settings.port = 9000


def test_demo_mode_supplies_a_secret_key_and_nothing_else_does(tmp_path):
    assert Settings.from_env({"HUIYIN_DEMO": "1", "HUIYIN_DATA_DIR": str(tmp_path)}).secret_key
    with pytest.raises(SettingsError, match="HUIYIN_SECRET_KEY is required"):
        Settings.from_env({})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HUIYIN_KEK": TEST_KEK,
          "HUIYIN_SECRET_KEY": "short"}, "HUIYIN_SECRET_KEY must be at least 32"),
        ({"PORT": "eighty"}, "PORT must be a whole number, not 'eighty'"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535, not 70000"),
        ({"PORT": "0"}, "PORT must be between 1 and 65535"),
        ({"HUIYIN_WORKERS": "0"}, "HUIYIN_WORKERS must be between 1 and 64"),
        ({"HUIYIN_WORKERS": "2.5"}, "HUIYIN_WORKERS must be a whole number"),
        ({"HUIYIN_DEMO": "maybe"}, "HUIYIN_DEMO must be a yes/no value"),
        ({"HUIYIN_WEBHOOK_ALLOW_LOOPBACK": "maybe"},
         "HUIYIN_WEBHOOK_ALLOW_LOOPBACK must be a yes/no value"),
        ({"HUIYIN_CREATE_TABLES": "sometimes"}, "HUIYIN_CREATE_TABLES must be a yes/no value"),
        ({"HUIYIN_LOG_LEVEL": "LOUD"}, "HUIYIN_LOG_LEVEL must be one of DEBUG, INFO"),
        ({"HUIYIN_LOG_FORMAT": "xml"}, "HUIYIN_LOG_FORMAT must be one of json, text"),
        ({"HUIYIN_MAX_REQUEST_BYTES": "10"}, "HUIYIN_MAX_REQUEST_BYTES must be between"),
        ({"HUIYIN_TOKEN_TTL": "1"}, "HUIYIN_TOKEN_TTL must be between 60"),
        ({"HUIYIN_UPLOAD_STAGING_BYTES": "1000"}, "HUIYIN_UPLOAD_STAGING_BYTES must be between"),
        ({"HUIYIN_UPLOAD_STAGING_HOURS": "0"}, "HUIYIN_UPLOAD_STAGING_HOURS must be between 1"),
        ({"HUIYIN_DATABASE_URL": "mysql://db/cases"}, "must start with postgresql://"),
        ({"HUIYIN_SIGN_IN_ACCOUNT_LIMITS": "lots"}, "HUIYIN_SIGN_IN_ACCOUNT_LIMITS must be rate"),
        ({"HUIYIN_ANONYMOUS_FILING_LIMITS": "9 per fortnight"}, "HUIYIN_ANONYMOUS_FILING_LIMI"),
        ({"HUIYIN_TRUSTED_PROXIES": "-1"}, "HUIYIN_TRUSTED_PROXIES must be between 0 and 10"),
        ({"HUIYIN_DATABASE_URL": "postgresql://db.internal"}, "must name a host and a database"),
    ],
)
def test_a_bad_value_is_a_settings_error_naming_the_variable(env, named):
    with pytest.raises(SettingsError) as refused:
        settings_from(**env)

    assert named in str(refused.value)


def test_the_app_factory_exits_with_the_message_not_a_traceback(monkeypatch):
    from complaints.web.app import create_app

    monkeypatch.setenv("HUIYIN_KEK", TEST_KEK)

    monkeypatch.setenv("HUIYIN_SECRET_KEY", SECRET)
    monkeypatch.setenv("PORT", "eighty")

    with pytest.raises(SystemExit) as exited:
        create_app()

    assert str(exited.value) == "huiyin: PORT must be a whole number, not 'eighty'"


def test_cookies_are_secure_unless_the_service_is_bound_to_loopback():
    assert settings_from().secure_cookies is False
    assert settings_from(HUIYIN_BIND="127.0.0.1:9000").secure_cookies is False
    assert settings_from(HUIYIN_BIND="0.0.0.0:8000").secure_cookies is True
    assert settings_from(HUIYIN_BIND="10.0.0.5:8000,127.0.0.1:8001").secure_cookies is True


def test_an_explicit_cookie_setting_overrides_the_bind():
    assert settings_from(HUIYIN_BIND="0.0.0.0:8000",
                         HUIYIN_SECURE_COOKIES="0").secure_cookies is False
    assert settings_from(HUIYIN_SECURE_COOKIES="1").secure_cookies is True


def test_a_metrics_token_must_be_long():
    assert settings_from().metrics_token == ""
    assert settings_from(HUIYIN_METRICS_TOKEN="m" * 32).metrics_token == "m" * 32
    with pytest.raises(SettingsError, match="HUIYIN_METRICS_TOKEN must be at least 32"):
        settings_from(HUIYIN_METRICS_TOKEN="short")
