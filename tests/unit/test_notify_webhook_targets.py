"""Where a webhook may point: the check at filing (no DNS) and the one on resolved addresses."""

from __future__ import annotations

import ipaddress

import pytest

from shared.contract.delivery_failures import REASONS
from shared.webhook_targets import (
    INVALID_URL,
    REFUSED_ADDRESS,
    REFUSED_SCHEME,
    address_problem,
    webhook_url_problem,
)

INSIDE = [
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://172.16.5.4/hook",
    "https://192.168.1.1/",
    "https://100.100.100.200/",  # carrier-grade NAT range, a cloud's metadata service
    "https://[fd00::1]/",
    "https://[fe80::1%25eth0]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[2002:a00:1::]/",  # 6to4 around 10.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 around 169.254.169.254
    "https://[::a00:1]/",  # IPv4-compatible, deprecated
    "https://0.0.0.0/",
    "https://[::]/",
    "https://224.0.0.1/",
    "https://[ff02::1]/",
    "https://240.0.0.1/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/",
    "https://intranet/",
    "https://router.home.arpa/",
]
LOOPBACK = [
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f.0.0.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://localhost/",
    "https://LOCALHOST./",
    "https://ｌｏｃａｌｈｏｓｔ/",  # full-width letters fold to localhost
    "https://api.localhost/",
]


@pytest.mark.parametrize("url", INSIDE)
def test_an_address_inside_a_network_is_refused_even_when_loopback_is_allowed(url):
    assert webhook_url_problem(url) == REFUSED_ADDRESS
    assert webhook_url_problem(url, allow_loopback=True) == REFUSED_ADDRESS


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_in_any_spelling_is_refused_unless_allowed(url):
    assert webhook_url_problem(url) == REFUSED_ADDRESS
    assert webhook_url_problem(url, allow_loopback=True) is None


@pytest.mark.parametrize("url", [
    "https://hooks.amur-export.example/huiyin",
    "https://8.8.8.8/",
    "https://[2606:4700:4700::1111]:8443/hook?x=1",
    "https://[::ffff:8.8.8.8]/",
    "https://xn--fiqs8s.example/",
])
def test_a_public_https_address_passes(url):
    assert webhook_url_problem(url) is None


def test_plain_http_only_to_loopback_and_only_when_allowed():
    assert webhook_url_problem("http://hooks.amur-export.example/") == REFUSED_SCHEME
    assert webhook_url_problem("http://hooks.amur-export.example/", True) == REFUSED_SCHEME
    assert webhook_url_problem("http://127.0.0.1:8080/") == REFUSED_SCHEME
    assert webhook_url_problem("http://127.0.0.1:8080/", allow_loopback=True) is None
    assert webhook_url_problem("http://10.0.0.1/", allow_loopback=True) == REFUSED_SCHEME


@pytest.mark.parametrize("url", ["ftp://hooks.example/", "file:///etc/passwd", "gopher://x.example/",
                                 "javascript:alert(1)", "not a url"])
def test_other_schemes_are_refused(url):
    assert webhook_url_problem(url, allow_loopback=True) == REFUSED_SCHEME


@pytest.mark.parametrize("url", ["https://", "https:///path", "https://user:pw@hooks.example/",
                                 "https://127.0.0.1@hooks.example/", "https://hooks.example:http/",
                                 "https://hooks.example:99999/"])
def test_a_url_without_a_usable_host_or_with_credentials_is_invalid(url):
    assert webhook_url_problem(url) == INVALID_URL


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:4700::1111", True), ("::ffff:93.184.216.34", True),
    ("2002:5db8:d822::1", True), ("64:ff9b::5db8:d822", True),
    ("10.1.2.3", False), ("172.31.0.1", False), ("192.168.0.10", False), ("127.0.0.53", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("198.18.0.1", False),
    ("192.0.2.1", False), ("255.255.255.255", False), ("fc00::1", False), ("fec0::1", False),
    ("fe80::1", False), ("::1", False), ("::ffff:127.0.0.1", False), ("2002:7f00:1::", False),
    ("64:ff9b::7f00:1", False), ("64:ff9b:1::1", False), ("2001:db8::1", False),
    ("2001::1", False),
])
def test_a_resolved_address_is_judged_with_the_ipv4_address_it_carries(address, public):
    assert (address_problem(ipaddress.ip_address(address)) is None) is public


def test_every_reason_a_channel_reports_has_a_meaning_for_people():
    reported = {INVALID_URL, REFUSED_SCHEME, REFUSED_ADDRESS}
    reported |= {f"webhook_{kind}" for kind in (
        "unresolvable", "unreachable", "timeout", "tls", "redirected", "http_status",
        "bad_answer")}
    reported |= {f"sms_{kind}" for kind in ("unreachable", "timeout", "http_status")}
    reported |= {f"email_{kind}" for kind in ("refused", "unreachable", "timeout", "invalid")}

    assert reported <= set(REASONS)
