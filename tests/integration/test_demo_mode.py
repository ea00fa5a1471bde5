"""A demo installation's tokens, access codes and staff passwords are its own, not the source's."""

from __future__ import annotations

from uuid import UUID

import pytest

from complaints.application.access_codes import derive_access_code
from complaints.application.principals import Principal
from complaints.domain.values import Role
from complaints.settings import Settings
from complaints.web.tokens import TokenIssuer
from shared.installation import demo_password

# The secret every demo instance had before each installation made its own.
SOURCE_SECRET = "demo-secret-key-not-for-production-use!"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"HUIYIN_DEMO": "1", "HUIYIN_DATA_DIR": str(tmp_path),
                              "HUIYIN_LOG_LEVEL": "WARNING"})


def test_a_token_signed_with_the_source_secret_is_refused(client, assert_error):
    forged = TokenIssuer(SOURCE_SECRET, 3600).issue(Principal("supervisor", Role.SUPERVISOR))

    reply = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {forged.token}"})

    assert_error(reply, 401)


def test_an_access_code_derived_from_the_source_secret_is_refused(filer, client, assert_error):
    case = filer.file_case()
    derived = derive_access_code(SOURCE_SECRET, UUID(case.case_id))

    reply = client.post("/api/v1/auth/filer-token",
                        json={"reference": case.reference, "access_code": derived})

    assert derived != case.access_code
    assert_error(reply, 401)
    assert filer.sign_in(case).token


def test_demo_accounts_take_the_installations_password_not_demo(client, settings, assert_error):
    password = demo_password(settings.data_dir)

    refused = client.post("/api/v1/auth/token",
                          json={"username": "supervisor", "password": "demo"})
    accepted = client.post("/api/v1/auth/token",
                           json={"username": "supervisor", "password": password})

    assert_error(refused, 401)
    assert accepted.status_code == 200, accepted.json
