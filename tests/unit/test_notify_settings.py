"""Notify's configuration: defaults, the store it chooses, and bad values named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaints.settings import Settings
from notify.application.directory import Directory
from notify.application.messages import MessageRenderer
from notify.domain.policy import plan_notices
from notify.settings import NotifySettings
from shared.settings import SettingsError
from tests.fixtures.stores import TEST_KEK
from tests.unit.test_notify_envelopes import case_event

SECRET = "s" * 32


def settings_from(**env: str) -> NotifySettings:
    return NotifySettings.from_env({"HUIYIN_KEK": TEST_KEK,
                                    "HUIYIN_SECRET_KEY": SECRET, "HUIYIN_DATA_DIR": "var", **env})


def test_defaults_are_sqlite_a_maildir_five_tries_and_the_local_public_url():
    settings = settings_from()

    assert settings.store_name == "sqlite"
    assert settings.sqlite_path == Path("var").resolve() / "notify.sqlite"
    assert settings.maildir == Path("var").resolve() / "mail"
    assert settings.smtp_host == "" and settings.sms_gateway_url == ""
    assert (settings.attempts, settings.backoff_seconds) == (5, 0.5)
    assert settings.public_url == "http://127.0.0.1:8000"


def test_timeouts_are_short_and_loopback_webhooks_are_off_unless_said():
    settings = settings_from()

    assert (settings.connect_timeout, settings.read_timeout) == (2, 5)
    assert settings.webhook_allow_loopback is False
    assert settings_from(HUIYIN_WEBHOOK_ALLOW_LOOPBACK="1").webhook_allow_loopback is True
    tuned = settings_from(HUIYIN_NOTIFY_CONNECT_TIMEOUT="0.5", HUIYIN_NOTIFY_TIMEOUT="3",
                          HUIYIN_NOTIFY_WEBHOOK_WORKERS="16")
    assert (tuned.connect_timeout, tuned.read_timeout, tuned.webhook_workers) == (0.5, 3, 16)


def test_a_postgresql_url_chooses_postgresql_for_notify_alone():
    settings = settings_from(HUIYIN_NOTIFY_DATABASE_URL="postgresql://n:pw@db:5433/notify")

    assert settings.store_name == "postgresql"
    assert (settings.postgres.host, settings.postgres.port) == ("db", 5433)
    complaints = Settings.from_env({"HUIYIN_KEK": TEST_KEK,
                                    "HUIYIN_SECRET_KEY": SECRET, "HUIYIN_DATA_DIR": "var",
                                    "HUIYIN_NOTIFY_DATABASE_URL": "postgresql://n:pw@db:5433/x"})
    assert complaints.store_name == "sqlite"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HUIYIN_NOTIFY_DATABASE_URL", "mysql://db/x", "HUIYIN_NOTIFY_DATABASE_URL must start"),
        ("HUIYIN_SMTP_PORT", "smtp", "HUIYIN_SMTP_PORT must be a whole number"),
        ("HUIYIN_SMTP_PORT", "70000", "HUIYIN_SMTP_PORT must be between 1 and 65535"),
        ("HUIYIN_SMTP_FROM", "nobody", "HUIYIN_SMTP_FROM must be an email address"),
        ("HUIYIN_SMS_GATEWAY_URL", "ftp://sms", "HUIYIN_SMS_GATEWAY_URL must be an http"),
        ("HUIYIN_NOTIFY_ATTEMPTS", "0", "HUIYIN_NOTIFY_ATTEMPTS must be between 1 and 20"),
        ("HUIYIN_NOTIFY_BACKOFF", "soon", "HUIYIN_NOTIFY_BACKOFF must be a number"),
        ("HUIYIN_PUBLIC_URL", "huiyin.example", "HUIYIN_PUBLIC_URL must be an http"),
        ("HUIYIN_WEBHOOK_ALLOW_LOOPBACK", "maybe", "HUIYIN_WEBHOOK_ALLOW_LOOPBACK must be a yes"),
        ("HUIYIN_NOTIFY_CONNECT_TIMEOUT", "0", "HUIYIN_NOTIFY_CONNECT_TIMEOUT must be between"),
        ("HUIYIN_NOTIFY_WEBHOOK_WORKERS", "0", "HUIYIN_NOTIFY_WEBHOOK_WORKERS must be between"),
    ],
)
def test_a_bad_value_is_named_with_what_it_should_be(name, value, message):
    with pytest.raises(SettingsError, match=message):
        settings_from(**{name: value})


def test_the_public_url_loses_its_trailing_slash():
    assert settings_from(HUIYIN_PUBLIC_URL="https://huiyin.example/").public_url == (
        "https://huiyin.example"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8013"}, "http://127.0.0.1:8013"),
        ({"HUIYIN_BIND": "localhost:9000,[::1]:9000"}, "http://localhost:9000"),
        ({"HUIYIN_BIND": "0.0.0.0:8000", "PORT": "8000"}, "http://127.0.0.1:8000"),
        ({"PORT": "8013", "HUIYIN_PUBLIC_URL": "https://huiyin.heihe.example"},
         "https://huiyin.heihe.example"),
    ],
)
def test_links_lead_to_the_public_url_or_else_to_where_the_web_listens(env, expected):
    assert settings_from(**env).public_url == expected
    complaints = Settings.from_env({"HUIYIN_KEK": TEST_KEK, "HUIYIN_SECRET_KEY": SECRET,
                                    "HUIYIN_DATA_DIR": "var", **env})
    assert complaints.public_url == expected


@pytest.mark.parametrize("env", [{"HUIYIN_PUBLIC_URL": "https://huiyin.heihe.example/"},
                                 {"HUIYIN_BIND": "huiyin.heihe.example:8443"}])
def test_a_notice_links_to_the_configured_public_url(env):
    renderer = MessageRenderer(Directory.load(), settings_from(**env).public_url)
    envelope = case_event("case.filed", language="en")
    [_inbox, email] = plan_notices(envelope.event_type, str(envelope.case_id), envelope.data,
                                   Directory.load())
    message = renderer.render(email, envelope.data)
    site = "https://huiyin.heihe.example" if "HUIYIN_PUBLIC_URL" in env else (
        "http://huiyin.heihe.example:8443")
    assert f"{site}/track/{envelope.data['case']['reference']}" in message.sms
    assert "127.0.0.1" not in message.body + message.sms
