"""Where a webhook may point: public addresses only, over https, checked without DNS.

Both services use it: the complaints API refuses a bad URL at filing (422), and notify checks
the URL again at send time, then each address the host resolves to, so that a filer's webhook
is never a way into the city's network. Loopback is allowed only when an operator says so
(`HUIYIN_WEBHOOK_ALLOW_LOOPBACK`, for tests and development), and then plain http with it.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

ALLOW_LOOPBACK_VARIABLE = "HUIYIN_WEBHOOK_ALLOW_LOOPBACK"

# Reason codes: the only words about a webhook's failure that leave notify (receipts, dead
# letters). The network's own words and the URL stay in notify's log.
INVALID_URL = "webhook_invalid_url"
REFUSED_SCHEME = "webhook_refused_scheme"
REFUSED_ADDRESS = "webhook_refused_address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that resolve inside a network, never on the public internet.
INTERNAL_SUFFIXES = (
    ".internal", ".local", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp",
    ".private",
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def webhook_url_problem(url: str, allow_loopback: bool = False) -> str | None:
    """Why `url` may not be a webhook (a reason code), or None; no DNS is asked.

    Refused: anything but https (http only to loopback, when allowed), credentials in the
    URL, a literal address that is not public (in any spelling a resolver accepts, such as
    `2130706433` or `0x7f.1`), and names that are internal by their form (`localhost`,
    `*.internal`, `*.local`, a name without a dot). A public-looking name can still resolve
    to a private address: notify checks what it resolves to when it sends.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return INVALID_URL
    if parts.scheme not in ("http", "https"):
        return REFUSED_SCHEME
    host = normalised_host(parts)
    if host is None or parts.username is not None or parts.password is not None:
        return INVALID_URL
    loopback = _names_loopback(host)
    if parts.scheme == "http":
        return None if allow_loopback and loopback else REFUSED_SCHEME
    address = literal_address(host)
    if address is not None:
        return address_problem(address, allow_loopback)
    if host == "localhost" or host.endswith(".localhost"):
        return None if allow_loopback else REFUSED_ADDRESS
    if "." not in host or host.endswith(INTERNAL_SUFFIXES):
        return REFUSED_ADDRESS
    return None


def address_problem(address: IPAddress, allow_loopback: bool = False) -> str | None:
    """REFUSED_ADDRESS unless `address` is public (or loopback, when allowed); else None.

    An IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, NAT64) is judged by the
    IPv4 address inside it, so no spelling reaches what the plain one may not.
    """
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return address_problem(embedded, allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else REFUSED_ADDRESS
    if (
        not address.is_global
        or address.is_private
        or address.is_multicast
        or address.is_reserved  # also ::/8, so IPv4-compatible ::a.b.c.d
        or address.is_link_local
        or address.is_unspecified
        or getattr(address, "is_site_local", False)
    ):
        return REFUSED_ADDRESS
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, in any form a resolver would take without DNS, or None."""
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        pass
    if host and all(label.isalnum() for label in host.split(".")) and host[-1].isdigit():
        try:
            # inet_aton reads the classic forms getaddrinfo accepts: 127.1, 0x7f.0.0.1, 2130706433
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def normalised_host(parts: SplitResult) -> str | None:
    """The URL's host, lower case, without a trailing dot, in its ASCII (IDNA) form, as a
    resolver will look it up; None if there is none."""
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    try:
        # Full-width and other look-alike letters fold to ASCII here, as a resolver folds them.
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _names_loopback(host: str) -> bool:
    address = literal_address(host)
    if address is not None:
        embedded = _embedded_ipv4(address)
        return (embedded or address).is_loopback
    return host == "localhost" or host.endswith(".localhost")


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
