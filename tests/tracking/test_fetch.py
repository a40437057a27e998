"""The fetcher against a real loopback server: limits, redirects and refused addresses."""

import socket
import time

import pytest

from tracking.fetch import USER_AGENT, FetchError, fetch, make_client

PAGE = (200, {"Content-Type": "text/html; charset=utf-8"}, b"<main>policy</main>")


def get(url, **kwargs):
    with make_client() as client:
        return fetch(url, client=client, **kwargs)


def test_fetches_a_page_naming_atlas_and_sends_conditional_headers(web):
    web.routes["/terms"] = PAGE
    response = get(web.url("/terms"), etag='"v1"', last_modified="Sun, 06 Dec 2026 00:00:00 GMT")
    assert response.status == 200 and response.content == b"<main>policy</main>"
    headers = web.requests[0][1]
    assert "Atlas" in headers["User-Agent"] and headers["User-Agent"] == USER_AGENT
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Sun, 06 Dec 2026 00:00:00 GMT"


def test_follows_a_bounded_number_of_redirects(web, settings):
    web.routes["/old"] = (301, {"Location": "/terms"}, b"")
    web.routes["/terms"] = PAGE
    assert get(web.url("/old")).final_url == web.url("/terms")
    web.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(FetchError) as error:
        get(web.url("/loop"))
    assert error.value.failure == "redirects"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/terms", "gopher://x/"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(FetchError) as error:
        get(url)
    assert error.value.failure == "unsafe_url"


def test_metadata_address_is_refused(settings):
    with pytest.raises(FetchError, match="169.254.169.254") as error:
        get("http://169.254.169.254/latest/meta-data/")
    assert error.value.failure == "unsafe_url"


def test_redirect_to_loopback_is_refused_when_not_allowed(web, other_web, settings):
    # Only the first server's address is allowed; its redirect to 127.0.0.1 is checked again.
    settings.TRACKING_ALLOWED_ADDRESSES = ["127.0.0.2"]
    other_web.routes["/start"] = (302, {"Location": web.url("/terms")}, b"")
    web.routes["/terms"] = PAGE
    with pytest.raises(FetchError, match="127.0.0.1") as error:
        get(other_web.url("/start"))
    assert error.value.failure == "unsafe_url"
    assert [path for path, _ in other_web.requests] == ["/start"]
    assert web.requests == []


def test_host_resolving_to_a_private_address_is_refused(web, settings, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "policies.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(FetchError, match="10.0.0.7") as error:
        get("http://policies.example.com/terms")
    assert error.value.failure == "unsafe_url"


def test_a_50_mb_response_is_cut_off_at_the_limit(web, settings):
    settings.TRACKING_MAX_BYTES = 1024 * 1024

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(50 * 16):
                handler.wfile.write(chunk)
        except OSError:
            pass  # the client hung up, as it should

    web.routes["/huge"] = huge
    with pytest.raises(FetchError) as error:
        get(web.url("/huge"))
    assert error.value.failure == "too_large"


def test_a_declared_huge_length_is_refused_before_reading(web, settings):
    settings.TRACKING_MAX_BYTES = 1000
    web.routes["/big"] = (200, {"Content-Type": "text/html"}, b"x" * 5000)
    with pytest.raises(FetchError, match="5000 bytes") as error:
        get(web.url("/big"))
    assert error.value.failure == "too_large"


def test_a_page_that_never_finishes_times_out(web, settings):
    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"<p>still here</p>")
                handler.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass

    web.routes["/slow"] = drip
    started = time.monotonic()
    with pytest.raises(FetchError) as error:
        get(web.url("/slow"))
    assert error.value.failure == "timeout"
    assert time.monotonic() - started < 10


def test_bot_walls_and_errors_are_named(web):
    web.routes["/wall"] = (403, {}, b"Just a moment...")
    web.routes["/gone"] = (404, {}, b"")
    with pytest.raises(FetchError) as wall:
        get(web.url("/wall"))
    with pytest.raises(FetchError) as gone:
        get(web.url("/gone"))
    assert (wall.value.failure, gone.value.failure) == ("bot_wall", "http_status")


def test_transient_errors_are_retried(web, settings):
    settings.TRACKING_RETRIES = 2
    settings.TRACKING_BACKOFF = 0
    answers = iter([(503, {}, b""), PAGE])

    def flaky(handler):
        status, headers, body = next(answers)
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    web.routes["/flaky"] = flaky
    assert get(web.url("/flaky")).status == 200
    assert len(web.requests) == 2
