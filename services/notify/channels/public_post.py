"""A POST that can reach public addresses only: the host is resolved once, every address it
resolves to is checked, and the connection goes to an address that was checked — the Host
header, TLS server name and certificate check still name the host — so a DNS answer that
changes between the check and the connection (rebinding) reaches nothing new.

No proxy is used and no redirect followed; one try is bounded by its connect timeout (each
address) and its read timeout (each read, and the whole answer), so a receiver that trickles
its answer byte by byte is cut off too.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from notify.application.delivery import DeliveryError, Timeouts
from shared.webhook_targets import (
    IPAddress,
    address_problem,
    normalised_host,
    webhook_url_problem,
)

Resolver = Callable[[str, int], Sequence[IPAddress]]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (the system's resolver), in its order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))


class PublicPost:
    """POSTs for one channel (`prefix` of its reason codes, e.g. "webhook")."""

    def __init__(
        self,
        timeouts: Timeouts,
        *,
        allow_loopback: bool = False,
        resolver: Resolver = resolve,
        tls: ssl.SSLContext | None = None,
        prefix: str = "webhook",
    ) -> None:
        self.timeouts = timeouts
        self.allow_loopback = allow_loopback
        self.resolver = resolver
        self.tls = tls or ssl.create_default_context()
        self.prefix = prefix

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST `body` to `url`; the status when it is 2xx, else DeliveryError."""
        problem = webhook_url_problem(url, self.allow_loopback)
        if problem is not None:
            raise DeliveryError(problem, "the URL is refused", permanent=True)
        parts = urlsplit(url)
        host = normalised_host(parts) or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._checked_addresses(host, port, plain_http=parts.scheme == "http")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = self._connection(parts.scheme, host, port, addresses)
        cut_off = threading.Event()
        watchdog = threading.Timer(self.timeouts.connect + self.timeouts.read,
                                   _cut_off, (connection, cut_off))
        watchdog.start()
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            raise self._failure(error, cut_off=cut_off.is_set()) from None
        finally:
            watchdog.cancel()
            connection.close()
        if 200 <= status < 300:
            return status
        kind = "redirected" if 300 <= status < 400 else "http_status"
        raise DeliveryError(f"{self.prefix}_{kind}", f"answered HTTP {status}")

    def _checked_addresses(self, host: str, port: int, *, plain_http: bool) -> list[IPAddress]:
        try:
            addresses = list(self.resolver(host, port))
        except (OSError, UnicodeError, ValueError) as error:
            raise DeliveryError(f"{self.prefix}_unresolvable", str(error)) from None
        if not addresses:
            raise DeliveryError(f"{self.prefix}_unresolvable", "no address")
        for address in addresses:
            problem = address_problem(address, self.allow_loopback)
            if problem is None and plain_http and not address.is_loopback:
                problem = f"{self.prefix}_refused_scheme"
            if problem is not None:
                raise DeliveryError(problem, f"resolves to {address}", permanent=True)
        return addresses

    def _connection(
        self, scheme: str, host: str, port: int, addresses: list[IPAddress]
    ) -> http.client.HTTPConnection:
        pin = _Pin(addresses, self.timeouts)
        if scheme == "https":
            return _PinnedHTTPSConnection(host, port, pin, self.tls)
        return _PinnedHTTPConnection(host, port, pin)

    def _failure(self, error: Exception, *, cut_off: bool) -> DeliveryError:
        detail = f"{type(error).__name__}: {error}"
        if cut_off or isinstance(error, TimeoutError):
            kind = "timeout"
        elif isinstance(error, ssl.SSLError | ssl.CertificateError):
            kind = "tls"
        elif isinstance(error, http.client.HTTPException):
            kind = "bad_answer"
        else:
            kind = "unreachable"
        return DeliveryError(f"{self.prefix}_{kind}", detail)


@dataclass(frozen=True)
class _Pin:
    """The checked addresses, tried in turn; nothing here resolves a name again."""

    addresses: list[IPAddress]
    timeouts: Timeouts

    def open_socket(self, port: int) -> socket.socket:
        last: OSError = OSError("no address")
        for address in self.addresses:
            try:
                sock = socket.create_connection((str(address), port), self.timeouts.connect)
            except OSError as error:
                last = error
                continue
            sock.settimeout(self.timeouts.read)
            return sock
        raise last


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, pin: _Pin) -> None:
        super().__init__(host, port, timeout=pin.timeouts.read)
        self.pin = pin

    def connect(self) -> None:
        self.sock = self.pin.open_socket(self.port)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, pin: _Pin, tls: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=pin.timeouts.read, context=tls)
        self.pin = pin
        self.tls = tls

    def connect(self) -> None:
        # The server name and the certificate check are the host's, not the address's.
        self.sock = self.tls.wrap_socket(self.pin.open_socket(self.port), server_hostname=self.host)


def _cut_off(connection: http.client.HTTPConnection, done: threading.Event) -> None:
    """The try's time is up: wake the reading thread by shutting its socket down."""
    done.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
