"""A webhook is checked when the case is filed: no address inside a network, https only,
loopback only when an operator allows it (HUIYIN_WEBHOOK_ALLOW_LOOPBACK), in the API's error
shape with a reason code, and beside the field on the filing form in the reader's words."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.fixtures.stores import settings_for
from tests.integration.conftest import check_error
from tests.integration.test_pages_filing import FilingPages, filed_cases

INTERNAL = [
    ("https://169.254.169.254/latest/meta-data/", "webhook_refused_address"),
    ("https://10.0.0.1/", "webhook_refused_address"),
    ("https://192.168.1.1/", "webhook_refused_address"),
    ("https://[fd00::1]/", "webhook_refused_address"),
    ("https://[::ffff:127.0.0.1]/", "webhook_refused_address"),
    ("https://metadata.google.internal/computeMetadata/v1/", "webhook_refused_address"),
    ("https://127.0.0.1/", "webhook_refused_address"),
    ("https://localhost:8443/", "webhook_refused_address"),
    ("http://127.0.0.1:6379/", "webhook_refused_scheme"),
    ("http://hooks.amur-trade.example/h", "webhook_refused_scheme"),
    ("https://user:secret@hooks.amur-trade.example/h", "webhook_invalid_url"),
]


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture(params=[False], ids=["loopback-refused"])
def allow_loopback(request: pytest.FixtureRequest) -> bool:
    """Off, as in production and `make run`; a test turns it on with `indirect`."""
    return request.param


@pytest.fixture
def settings(store: str, tmp_path, allow_loopback: bool):
    extra = {"HUIYIN_WEBHOOK_ALLOW_LOOPBACK": "1"} if allow_loopback else {}
    return settings_for(store, str(tmp_path), HUIYIN_LOG_LEVEL="WARNING", **extra)


@pytest.fixture
def pages(client, runtime) -> FilingPages:
    return FilingPages(client, runtime)


def with_webhook(filer, url: str) -> dict:
    return filer.submission(filer={"notify_by": ["webhook"], "webhook_url": url})


def beside(response, field: str) -> str:
    found = re.search(rf'id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert found, f"no error beside {field}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


# -- the API ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "code"), INTERNAL)
def test_the_api_refuses_a_webhook_inside_a_network_with_its_reason_code(
    client, filer, event_store, url, code
):
    head = event_store.head()

    reply = client.post("/api/v1/cases", json=with_webhook(filer, url))

    body = check_error(reply, 422, "invalid_input")
    messages = body["details"]["fields"]["filer"]["webhook_url"]
    assert any(message.startswith(code) for message in messages), messages
    assert event_store.head() == head  # nothing filed


def test_the_api_takes_a_public_https_webhook(client, filer):
    reply = client.post("/api/v1/cases",
                        json=with_webhook(filer, "https://hooks.amur-trade.example/huiyin"))
    assert reply.status_code == 201, reply.json


@pytest.mark.parametrize("allow_loopback", [True], indirect=True, ids=["loopback-allowed"])
def test_with_the_operators_setting_loopback_is_allowed_even_over_http_and_nothing_else(
    client, filer
):
    for url in ("http://127.0.0.1:8765/hook", "https://127.0.0.1:8765/hook",
                "http://localhost:8765/hook", "http://[::1]:8765/hook"):
        reply = client.post("/api/v1/cases", json=with_webhook(filer, url))
        assert reply.status_code == 201, (url, reply.json)
    for url, code in (("https://10.0.0.1/", "webhook_refused_address"),
                      ("http://hooks.amur-trade.example/h", "webhook_refused_scheme"),
                      ("http://192.168.1.1/", "webhook_refused_scheme")):
        body = check_error(client.post("/api/v1/cases", json=with_webhook(filer, url)), 422)
        assert body["details"]["fields"]["filer"]["webhook_url"][0].startswith(code), url


# -- the filing form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "language", "message"),
    [
        ("https://192.168.1.1/hook", "en",
         "This address is inside a private network"),
        ("https://metadata.google.internal/", "en",
         "This address is inside a private network"),
        ("https://10.0.0.1/hook", "zh", "该地址位于内部网络"),
        ("https://[fd00::1]/", "ru", "Этот адрес находится во внутренней сети"),
        ("http://127.0.0.1:6379/", "en", "Enter an address that begins with https://"),
    ],
)
def test_the_form_refuses_an_internal_webhook_beside_the_field_in_the_readers_words(
    pages, runtime, url, language, message
):
    pages.open(language)
    response = pages.send(notify_by=["webhook"], webhook_url=url)

    assert response.status_code == 422
    assert message in beside(response, "webhook_url")
    assert filed_cases(runtime) == []


@pytest.mark.parametrize("allow_loopback", [True], indirect=True, ids=["loopback-allowed"])
def test_with_the_operators_setting_the_form_takes_a_loopback_webhook(pages, runtime):
    pages.open("en")
    assert pages.send(notify_by=["webhook"],
                      webhook_url="http://127.0.0.1:8765/hook").status_code == 303
    pages.open("en")
    assert pages.send(notify_by=["webhook"],
                      webhook_url="https://10.0.0.1/hook").status_code == 422
    [case] = filed_cases(runtime)
    assert case.filer.webhook_url == "http://127.0.0.1:8765/hook"
