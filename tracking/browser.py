"""Pages whose declaration sets ``executeClientScripts``: rendered by Debian's chromium.

Playwright drives the system browser (``CHROMIUM_PATH``, never a downloaded build). Every
request the page makes (the page itself, scripts, frames, XHR) goes through one route handler
that applies the fetcher's address rules before Playwright fetches it and follows redirects
itself, checking each hop; web sockets are refused. Playwright resolves the name again when it
connects, so a DNS answer that changes in between is the one gap left (as for git imports). What is
kept is the DOM after the scripts ran (``page.content()``), as OTA keeps it.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpcore
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from atlas.ssrf import UnsafeURL
from tracking.fetch import (
    REDIRECT_STATUSES,
    USER_AGENT,
    FetchError,
    Response,
    check_url,
    resolve_checked,
)


def chromium_path() -> str:
    return settings.TRACKING_CHROMIUM or shutil.which("chromium") or "/usr/bin/chromium"


def _allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    try:
        check_url(url)
        resolve_checked(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (UnsafeURL, httpcore.ConnectError):  # refused, or the name does not resolve
        return False
    return True


def _guard(route) -> None:
    """Fetch a request for the browser, hop by hop, each hop's address checked first.

    Playwright does not route the requests a redirect makes, so redirects are followed here
    and only the final answer goes back to the browser."""
    url = route.request.url
    if urlsplit(url).scheme in ("data", "blob"):
        route.continue_()
        return
    for _hop in range(settings.TRACKING_MAX_REDIRECTS + 1):
        if not _allowed_url(url):
            route.abort("blockedbyclient")
            return
        try:
            response = route.fetch(
                url=url, max_redirects=0, timeout=settings.TRACKING_TIMEOUT * 1000
            )
        except PlaywrightError:
            route.abort("failed")
            return
        location = response.headers.get("location")
        if response.status not in REDIRECT_STATUSES or not location:
            route.fulfill(response=response)
            return
        url = urljoin(url, location)
    route.abort("failed")


def render(url: str, *, wait_for: str | None = None) -> Response:
    """The page at ``url`` after its scripts ran; FetchError as the fetcher raises them."""
    if not Path(chromium_path()).exists():
        raise FetchError("unsupported", f"{url}: needs a browser, and chromium is not installed")
    check_url_safely(url)
    # Playwright's sync API refuses to start in a thread that runs an asyncio loop (or that
    # already holds a sync Playwright, as a test session's browser fixture does): a thread of
    # its own makes rendering work from any caller.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_render, url, wait_for=wait_for).result()


def _render(url: str, *, wait_for: str | None) -> Response:
    deadline_ms = settings.TRACKING_DEADLINE * 1000
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            # WebRTC could reach the local network without any routed request.
            args=[
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            ],
        )
        try:
            page = browser.new_page(user_agent=USER_AGENT, service_workers="block")
            page.route("**/*", _guard)
            page.route_web_socket("**/*", lambda socket: socket.close())  # never connected
            try:
                answer = page.goto(url, wait_until="load", timeout=deadline_ms)
                if wait_for:
                    page.wait_for_selector(wait_for, state="attached", timeout=5000)
            except PlaywrightTimeout:
                if not page.url or page.url == "about:blank":
                    raise FetchError("timeout", f"{url}: not loaded after the deadline") from None
                answer = None  # the selector never came: extract what is there
            except PlaywrightError as error:
                message = str(error).splitlines()[0]
                kind = "unsafe_url" if "ERR_BLOCKED_BY_CLIENT" in message else "connection"
                raise FetchError(kind, f"{url}: {message}") from None
            content = page.content().encode("utf-8")
            final_url = page.url
        finally:
            browser.close()
    status = answer.status if answer else 200
    if len(content) > settings.TRACKING_MAX_BYTES:
        raise FetchError("too_large", f"{url}: rendered page over {settings.TRACKING_MAX_BYTES}")
    if status >= 400:
        raise FetchError("http_status", f"{final_url}: HTTP {status}")
    return Response(
        url=url,
        final_url=final_url,
        status=status,
        content_type="text/html; charset=utf-8",
        content=content,
    )


def check_url_safely(url: str) -> None:
    try:
        check_url(url)
    except UnsafeURL as error:
        raise FetchError("unsafe_url", str(error)) from None
