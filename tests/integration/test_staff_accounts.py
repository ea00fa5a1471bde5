"""Staff accounts as an operator runs them: the `huiyin staff` commands, and what each one does
at once to the tokens and page sessions already handed out, on both stores."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest

from complaints import cli
from complaints.application.principals import AuthenticationError, Principal
from complaints.domain.errors import InvalidValueError
from complaints.domain.values import Role
from complaints.web.app import create_app
from complaints.web.runtime import EXTENSION
from complaints.web.tokens import TokenIssuer
from tests.fixtures.stores import TEST_KEK, TEST_SECRET
from tests.integration.conftest import PASSWORD

NEW_PASSWORD = "a new and longer pass phrase"
QUEUE = "/api/v1/cases"


@pytest.fixture
def operator(settings, monkeypatch, capsys):
    """Run `huiyin ARGS…` in this process, on the test's store; answers (status, output)."""
    monkeypatch.setenv("HUIYIN_KEK", TEST_KEK)
    monkeypatch.setenv("HUIYIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HUIYIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUIYIN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUIYIN_LOG_LEVEL", "WARNING")

    def run(*argv: str, stdin: str = "") -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = cli.main(list(argv))
        out = capsys.readouterr()
        return status, out.out + out.err

    return run


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_a_staff_password_has_at_least_twelve_characters(runtime):
    with pytest.raises(InvalidValueError, match="at least 12 characters"):
        runtime.services.staff.register("intake", "elevenchars", "intake")

    runtime.services.staff.register("intake", "twelve chars", "intake")


def test_create_user_refuses_a_short_password(operator):
    status, output = operator(
        "create-user", "someone", "--role", "intake", "--password-stdin", stdin="short-pass\n"
    )

    assert status == cli.UNUSABLE
    assert "at least 12 characters" in output


def test_a_token_signed_for_an_account_that_does_not_exist_is_refused(client, assert_error):
    forged = TokenIssuer(TEST_SECRET, 3600).issue(
        Principal("nobody", Role.SUPERVISOR, "BIZENV", generation=0)
    )

    reply = client.get(QUEUE, headers={"Authorization": f"Bearer {forged.token}"})

    assert_error(reply, 401, "unauthenticated")


def test_disabling_an_account_ends_its_tokens_at_once_and_enabling_needs_a_new_sign_in(
    client, staff, operator, assert_error
):
    intake = staff.login("intake")
    assert intake.get(QUEUE).status_code == 200

    status, output = operator("staff", "disable", "intake")

    assert status == 0, output
    assert_error(intake.get(QUEUE), 401, "unauthenticated")
    assert_error(sign_in(client, "intake"), 401, "unauthenticated")
    assert operator("staff", "disable", "intake")[1].strip().endswith("was disabled already")

    assert operator("staff", "enable", "intake")[0] == 0
    assert_error(intake.get(QUEUE), 401, "unauthenticated")  # the old token stays ended
    again = sign_in(client, "intake")
    assert again.status_code == 200
    fresh = {"Authorization": f"Bearer {again.json['access_token']}"}
    assert client.get(QUEUE, headers=fresh).status_code == 200


def test_a_new_password_ends_the_tokens_made_with_the_old_one(client, staff, operator,
                                                             assert_error):
    handler = staff.login("handler-TAX")

    status, output = operator(
        "staff", "set-password", "handler-TAX", "--password-stdin", stdin=NEW_PASSWORD + "\n"
    )

    assert status == 0, output
    assert_error(handler.get("/api/v1/queues/TAX"), 401, "unauthenticated")
    assert_error(sign_in(client, "handler-tax"), 401, "unauthenticated")
    assert sign_in(client, "handler-tax", NEW_PASSWORD).status_code == 200


def test_set_password_asks_twice_at_the_prompt_and_refuses_a_short_one(staff, operator,
                                                                      monkeypatch):
    staff.login("auditor")
    answers = iter(["one pass phrase here", "another phrase here"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    differ = operator("staff", "set-password", "auditor")
    short = operator("staff", "set-password", "auditor", "--password-stdin", stdin="short\n")

    assert differ[0] == cli.UNUSABLE and "differ" in differ[1]
    assert short[0] == cli.UNUSABLE and "at least 12 characters" in short[1]


def test_deleting_an_account_ends_its_tokens_and_frees_its_name(client, staff, operator,
                                                               runtime, assert_error):
    supervisor = staff.login("supervisor")

    status, output = operator("staff", "delete", "supervisor")

    assert status == 0, output
    assert_error(supervisor.get(QUEUE), 401, "unauthenticated")
    assert_error(sign_in(client, "supervisor"), 401, "unauthenticated")
    assert operator("staff", "disable", "supervisor")[0] == cli.UNUSABLE  # no such account

    runtime.services.staff.register("supervisor", NEW_PASSWORD, "supervisor")
    assert_error(supervisor.get(QUEUE), 401, "unauthenticated")  # the old token stays ended
    assert sign_in(client, "supervisor", NEW_PASSWORD).status_code == 200


def test_list_shows_every_account_its_role_and_whether_it_is_disabled(staff, operator):
    for username in ("intake", "handler-TAX", "auditor"):
        staff.login(username)
    operator("staff", "disable", "auditor")
    operator("staff", "delete", "intake")

    status, output = operator("staff", "list")

    assert status == 0
    lines = output.splitlines()
    assert any(line.startswith("handler-tax") and "handler of TAX" in line for line in lines)
    assert any(line.startswith("auditor") and "(disabled)" in line for line in lines)
    assert not any(line.startswith("intake") for line in lines)
    assert "2 account(s)" in output


def test_commands_on_an_unknown_account_say_so(operator):
    for action in ("disable", "enable", "delete"):
        status, output = operator("staff", action, "nobody")
        assert status == cli.UNUSABLE
        assert "no account 'nobody'" in output


# -- page sessions ---------------------------------------------------------------------------

SESSION_COOKIE = "huiyin_session"


def form_token(page) -> str:
    html = page.get_data(as_text=True)
    return unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1))


def sign_in_page(client, username: str, password: str = PASSWORD):
    page = client.get("/staff/sign-in")
    return client.post("/staff/sign-in", data={
        "csrf_token": form_token(page), "username": username, "password": password})


def signed_in(client) -> bool:
    return client.get("/staff").status_code == 200


def test_a_signed_out_session_cookie_no_longer_signs_in(client, staff):
    staff.login("intake")
    assert sign_in_page(client, "intake").status_code == 303
    kept = client.get_cookie(SESSION_COOKIE).value

    client.post("/staff/sign-out", data={"csrf_token": form_token(client.get("/staff"))})
    client.set_cookie(SESSION_COOKIE, kept)

    assert not signed_in(client)


def test_disabling_or_a_new_password_ends_a_page_session_at_once(client, staff, operator):
    staff.login("auditor")
    sign_in_page(client, "auditor")
    assert signed_in(client)

    operator("staff", "disable", "auditor")
    assert not signed_in(client)

    operator("staff", "enable", "auditor")
    sign_in_page(client, "auditor")
    assert signed_in(client)
    operator("staff", "set-password", "auditor", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert not signed_in(client)


def test_a_filer_s_signed_out_session_no_longer_opens_the_case(client, filer):
    case = filer.file_case()
    page = client.get("/track")
    client.post("/track", data={"csrf_token": form_token(page), "reference": case.reference,
                                "access_code": case.access_code})
    assert client.get(f"/track/{case.reference}").status_code == 200
    kept = client.get_cookie(SESSION_COOKIE).value

    page = client.get(f"/track/{case.reference}")
    client.post("/track/sign-out", data={"csrf_token": form_token(page)})
    client.set_cookie(SESSION_COOKIE, kept)

    assert client.get(f"/track/{case.reference}").status_code == 302


def test_a_wrong_name_is_checked_against_a_hash_made_as_the_app_starts(settings, monkeypatch):
    """A wrong name takes as long as a wrong password, the first one too: the hash it is
    checked against is made as the app starts, not at the first wrong name (nor at import,
    which every command pays)."""
    from complaints.application import staff

    staff._no_ones_hash.cache_clear()
    app = create_app(settings)
    try:
        def made_too_late(password):
            raise AssertionError("a hash made at a sign-in")

        checked = []
        check = staff.check_password_hash
        monkeypatch.setattr(staff, "generate_password_hash", made_too_late)
        monkeypatch.setattr(staff, "check_password_hash",
                            lambda hashed, given: checked.append(hashed) or check(hashed, given))

        with pytest.raises(AuthenticationError):
            app.extensions[EXTENSION].services.staff.authenticate("nobody", PASSWORD)

        assert checked == [staff._no_ones_hash()]
    finally:
        app.extensions[EXTENSION].close()
