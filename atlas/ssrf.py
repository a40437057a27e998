"""Refuse URLs that would make the server reach itself or its private network (SSRF).

A URL given by a user (an import source, a page to fetch) is checked before anything connects
to it: its scheme must be allowed and every address its host resolves to must be a public one,
so ``http://127.0.0.1:5432/``, ``https://10.0.0.5/``, the cloud metadata address
``169.254.169.254``, IPv6 loopback and IPv4-mapped forms of all of these are refused, and so is a
public-looking name that resolves to any of them.

The check resolves the name once; the program that connects later resolves it again, so a
hostile DNS server could still answer differently the second time. Callers that can, connect to
the checked address; others (git) should at least refuse redirects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["UnsafeURL", "check_public_url", "is_public_address"]

DEFAULT_SCHEMES = frozenset({"http", "https"})
# NAT64 prefix (RFC 6052): its addresses reach the IPv4 address in their last 32 bits.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL must not be fetched; the message says why in one line."""


def is_public_address(ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for globally routable unicast addresses (no loopback, private, link-local,
    multicast, reserved or shared address space), looking through IPv4-mapped and 6to4 forms."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0] if isinstance(ip, str) else ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def check_public_url(
    url: str,
    *,
    allow_private: bool = False,
    schemes: Iterable[str] = DEFAULT_SCHEMES,
) -> None:
    """Raise ``UnsafeURL`` unless ``url`` has an allowed scheme and a host whose every resolved
    address is public (``allow_private`` skips the address check, for tests and intranets)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(f"{url!r}: not a valid URL ({error})") from None
    allowed = {s.lower() for s in schemes}
    if parts.scheme.lower() not in allowed:
        raise UnsafeURL(
            f"{url!r}: scheme {parts.scheme or '(none)'!r} is not allowed "
            f"(only {', '.join(sorted(allowed))})"
        )
    host = parts.hostname
    if not host:
        raise UnsafeURL(f"{url!r}: no host name")
    if parts.username or parts.password:
        raise UnsafeURL(f"{url!r}: credentials in the URL are not allowed")
    if allow_private:
        return
    for address in resolve(host, port):
        if not is_public_address(address):
            raise UnsafeURL(f"{url!r}: {host} resolves to {address}, which is not a public address")


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address ``host`` resolves to, or ``UnsafeURL`` if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise UnsafeURL(f"{host}: cannot resolve the host name ({error})") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeURL(f"{host}: the host name resolves to no address")
    return addresses
