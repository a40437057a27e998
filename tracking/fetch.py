"""Fetch declared pages politely and safely: httpx, with every limit explicit.

Only http(s); the address each connection goes to is the one checked (resolved once, checked,
then connected to, so a DNS answer cannot change in between), and redirects are followed one by
one, each hop checked again. Loopback, private, link-local (cloud metadata) and other non-public
addresses are refused unless ``TRACKING_ALLOWED_ADDRESSES`` lists them (the tests allow
127.0.0.1). Responses are read up to a size limit and a total deadline, so a 50 MB page or one
that never finishes costs at most that. Transient failures are retried with backoff; each host
gets at most one request per ``TRACKING_HOST_INTERVAL`` seconds.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

from atlas.ssrf import UnsafeURL, check_public_url, is_public_address

USER_AGENT = "AtlasPolicyTracker/1.0 (+https://github.com/atlas-policies/atlas; policy archive)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
RETRY_STATUSES = {429, 500, 502, 503, 504}


class FetchError(Exception):
    def __init__(self, failure: str, message: str):
        super().__init__(message)
        self.failure = failure  # a tracking.models.Failure value


@dataclass
class Response:
    url: str  # as requested (the declared URL)
    final_url: str
    status: int
    content_type: str
    content: bytes
    etag: str = ""
    last_modified: str = ""
    headers: dict = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# -- address checks ------------------------------------------------------------------------------


def _allowed(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])  # no IPv6 zone ("fe80::1%eth0")
    return is_public_address(ip) or any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.TRACKING_ALLOWED_ADDRESSES
    )


def check_url(url: str) -> None:
    """Scheme, host and no credentials here; the address is checked where the connection is
    made (``CheckedBackend``), on the very address connected to."""
    check_public_url(url, allow_private=True)
    host = urlsplit(url).hostname
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not _allowed(str(literal)):
        raise UnsafeURL(f"{url}: {literal} is not a public address")


def resolve_checked(host: str, port: int) -> str:
    """The first address of ``host``, provided every address it resolves to is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise httpcore.ConnectError(f"DNS lookup of {host} failed: {error}") from None
    addresses = [info[4][0] for info in infos]
    refused = [a for a in addresses if not _allowed(a)]
    if refused:
        raise UnsafeURL(f"{host} resolves to {refused[0]}, which is not a public address")
    return addresses[0]


class CheckedBackend(httpcore.SyncBackend):
    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return super().connect_tcp(
            resolve_checked(host, port), port, timeout, local_address, socket_options
        )


def checked_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(retries=0)
    # httpx has no parameter for the network backend; the pool reads this attribute per
    # connection, so every connection goes through the check above.
    transport._pool._network_backend = CheckedBackend()
    return transport


# -- politeness ----------------------------------------------------------------------------------

_last_request: dict[str, float] = {}
_lock = threading.Lock()


def wait_for_host(host: str) -> None:
    interval = settings.TRACKING_HOST_INTERVAL
    with _lock:
        wait = _last_request.get(host, 0) + interval - time.monotonic()
        _last_request[host] = time.monotonic() + max(wait, 0)
    if wait > 0:
        time.sleep(wait)


# -- fetching ------------------------------------------------------------------------------------


def make_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    timeout = settings.TRACKING_TIMEOUT
    return httpx.Client(
        transport=transport or checked_transport(),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10)),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/pdf;q=0.9,*/*;q=0.5"},
    )


def fetch(url: str, *, client: httpx.Client, etag: str = "", last_modified: str = "") -> Response:
    """GET ``url`` with retries; raises FetchError with a Failure kind and a one-line cause."""
    attempts = settings.TRACKING_RETRIES + 1
    for attempt in range(attempts):
        try:
            response = fetch_once(url, client=client, etag=etag, last_modified=last_modified)
        except FetchError as error:
            if error.failure not in ("timeout", "connection") or attempt == attempts - 1:
                raise
        else:
            if response.status not in RETRY_STATUSES or attempt == attempts - 1:
                return _checked_status(response)
        time.sleep(settings.TRACKING_BACKOFF * 2**attempt)
    raise AssertionError("unreachable")


def _checked_status(response: Response) -> Response:
    if response.status in (401, 403, 429) or (
        response.status == 503 and "cf-mitigated" in response.headers
    ):
        raise FetchError("bot_wall", f"{response.final_url}: HTTP {response.status} (blocked?)")
    if response.status >= 400:
        raise FetchError("http_status", f"{response.final_url}: HTTP {response.status}")
    return response


def fetch_once(url: str, *, client: httpx.Client, etag: str, last_modified: str) -> Response:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    deadline = time.monotonic() + settings.TRACKING_DEADLINE
    for _hop in range(settings.TRACKING_MAX_REDIRECTS + 1):
        try:
            check_url(current)
            wait_for_host(urlsplit(current).hostname)
            status, response_headers, content = _get(client, current, headers, deadline)
        except UnsafeURL as error:
            raise FetchError("unsafe_url", str(error)) from None
        except httpx.TimeoutException:
            raise FetchError("timeout", f"{current}: timed out") from None
        except httpx.ConnectError as error:
            kind = "dns" if "DNS lookup" in str(error) else "connection"
            if "CERTIFICATE" in str(error).upper() or "SSL" in str(error).upper():
                kind = "tls"
            raise FetchError(kind, f"{current}: {error}") from None
        except httpx.HTTPError as error:
            raise FetchError("connection", f"{current}: {error}") from None
        if status in REDIRECT_STATUSES and "location" in response_headers:
            current = urljoin(current, response_headers["location"])
            continue
        return Response(
            url=url,
            final_url=current,
            status=status,
            content_type=response_headers.get("content-type", ""),
            content=content,
            etag=response_headers.get("etag", ""),
            last_modified=response_headers.get("last-modified", ""),
            headers=dict(response_headers),
        )
    raise FetchError("redirects", f"{url}: more than {settings.TRACKING_MAX_REDIRECTS} redirects")


def _get(client: httpx.Client, url: str, headers: dict, deadline: float):
    limit = settings.TRACKING_MAX_BYTES
    with client.stream("GET", url, headers=headers) as response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError("too_large", f"{url}: {int(declared)} bytes (limit {limit})")
        chunks, size = [], 0
        # Decoded bytes count against the limit, so a compressed bomb stops there too.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError("too_large", f"{url}: more than {limit} bytes")
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"{url}: not finished after the deadline")
            chunks.append(chunk)
        return response.status_code, response.headers, b"".join(chunks)
