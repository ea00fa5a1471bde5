"""A filer's webhook is no way into the network: internal addresses are never called, the
address checked is the one connected to, and nothing the network says comes back to the filer."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from notify.application.delivery import DeliveryError, Timeouts
from notify.channels.public_post import PublicPost
from shared.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, webhook_secret
from tests.fixtures.stores import TEST_SECRET
from tests.integration.test_notify_delivery import make_notify  # noqa: F401 - a fixture
from tests.unit.test_notify_envelopes import case_event, filer

HOOK_HOST = "hooks.amur-export.example"
QUICK = Timeouts(connect=1, read=1)


def loopback_resolver(calls: list[str]):
    """A resolver that says every name is 127.0.0.1, noting what it was asked."""

    def resolve(host: str, port: int) -> list:
        calls.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    return resolve


def signed(case_id: uuid.UUID | None = None) -> tuple[bytes, dict[str, str]]:
    """A body and headers the test's webhook receiver accepts."""
    case_id = case_id or uuid.uuid4()
    body = json.dumps({"case_id": str(case_id)}).encode()
    now = int(time.time())
    return body, {TIMESTAMP_HEADER: str(now),
                  SIGNATURE_HEADER: sign(webhook_secret(TEST_SECRET, case_id), now, body)}


def webhook_filing(url: str):
    return case_event("case.filed", filer_details=filer(notify_by=["webhook"], webhook_url=url))


def reported_words(notify) -> str:
    """Everything notify reported to the complaints service and to the dead-letter topic,
    except the envelope a dead letter carries (the filer's own data, for replaying)."""
    receipts = [r.reason + r.text for r in notify.receipts()]
    letters = [letter.last_error for letter in notify.dead_letters()]
    return json.dumps(receipts + letters)


def test_a_loopback_webhook_is_not_called_unless_the_operator_allows_loopback(
    make_notify, webhook_receiver  # noqa: F811
):
    notify = make_notify(HUIYIN_WEBHOOK_ALLOW_LOOPBACK="0")
    envelope = webhook_filing(webhook_receiver.url)

    notify.handle(envelope)

    assert webhook_receiver.requests == []
    (letter,) = notify.dead_letters()
    assert (letter.last_error, letter.attempts) == ("webhook_refused_scheme", 1)
    inbox, unreachable = notify.receipts()
    assert inbox.delivered and not unreachable.delivered
    assert unreachable.reason == "webhook_refused_scheme"
    assert str(webhook_receiver.server.server_port) not in reported_words(notify)


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://10.0.0.1/",
    "https://192.168.1.1/",
    "https://[fd00::1]/",
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://metadata.google.internal/computeMetadata/v1/",
])
def test_an_internal_address_is_refused_at_once_and_never_retried(
    make_notify, url, monkeypatch  # noqa: F811
):
    notify = make_notify()  # even with loopback allowed
    tried: list[object] = []
    connect = socket.socket.connect

    def recorded_connect(self, address):
        tried.append(address)
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recorded_connect)

    notify.handle(webhook_filing(url))

    assert tried == []  # no connection was tried, nor a second time
    (letter,) = notify.dead_letters()
    assert (letter.last_error, letter.attempts) == ("webhook_refused_address", 1)
    assert [r.reason for r in notify.receipts() if not r.delivered] == ["webhook_refused_address"]


def test_a_closed_port_and_a_redirect_come_back_as_codes_not_the_networks_words(
    make_notify, webhook_receiver  # noqa: F811
):
    closed = f"http://127.0.0.1:{webhook_receiver.server.server_port + 1}/hook"
    webhook_receiver.redirect_to("http://127.0.0.1:9/elsewhere")
    notify = make_notify(HUIYIN_NOTIFY_ATTEMPTS="2")

    notify.handle(webhook_filing(closed), webhook_filing(webhook_receiver.url))

    assert len(webhook_receiver.requests) == 2  # the redirect was not followed
    assert [letter.last_error for letter in notify.dead_letters()] == [
        "webhook_unreachable", "webhook_redirected"]
    words = reported_words(notify)
    for leak in ("refused", "Connection", "302", "Found", "127.0.0.1", "elsewhere"):
        assert leak not in words


def test_a_name_that_resolves_inside_the_network_is_refused_whatever_else_it_resolves_to():
    answers = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]
    post = PublicPost(QUICK, resolver=lambda host, port: answers)

    with pytest.raises(DeliveryError) as refused:
        post.post(f"https://{HOOK_HOST}/hook", b"{}", {})

    assert (refused.value.reason, refused.value.permanent) == ("webhook_refused_address", True)


def test_the_address_checked_is_the_one_connected_to_with_the_host_named(webhook_receiver):
    calls: list[str] = []
    post = PublicPost(QUICK, allow_loopback=True, resolver=loopback_resolver(calls))
    url = webhook_receiver.url.replace("127.0.0.1", "api.localhost")

    assert post.post(url, *signed()) == 200

    assert calls == ["api.localhost"]  # resolved once: nothing left to rebind
    (request,) = webhook_receiver.requests
    assert request["headers"]["Host"] == f"api.localhost:{webhook_receiver.server.server_port}"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """Self-signed certificates for the webhook's host and for another name (openssl)."""
    made = {}
    for name in (HOOK_HOST, "someone-else.example"):
        directory = tmp_path_factory.mktemp(name)
        cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        made[name] = (cert, key)
    return made


@pytest.mark.parametrize("served", [HOOK_HOST, "someone-else.example"])
def test_tls_is_checked_for_the_host_while_connecting_to_its_checked_address(
    certificates, webhook_receiver, served
):
    webhook_receiver.stop()  # the fixture's is plain HTTP; this one serves the certificate
    receiver = type(webhook_receiver)(webhook_receiver.secret_for)
    receiver.over_tls(*certificates[served]).start()
    trusted = ssl.create_default_context(cafile=certificates[served][0])
    post = PublicPost(QUICK, allow_loopback=True, resolver=loopback_resolver([]), tls=trusted)
    url = receiver.url.replace("127.0.0.1", HOOK_HOST)
    try:
        if served == HOOK_HOST:
            assert post.post(url, *signed()) == 200
            assert receiver.requests[0]["headers"]["Host"].startswith(HOOK_HOST)
        else:
            with pytest.raises(DeliveryError, match="webhook_tls"):
                post.post(url, b"{}", {})
            assert receiver.requests == []
    finally:
        receiver.stop()


def test_a_receiver_that_never_answers_costs_one_read_timeout(hanging_receiver):
    post = PublicPost(Timeouts(connect=1, read=0.5), allow_loopback=True)

    with pytest.raises(DeliveryError, match="webhook_timeout"):
        post.post(hanging_receiver.url, b"{}", {})

    assert len(hanging_receiver.connections) == 1  # one try, given up at its read timeout
