"""executeClientScripts pages rendered by Debian's chromium, with the fetcher's address rules."""

import json

import pytest

from tracking import browser, track
from tracking.fetch import FetchError
from tracking.models import Declaration

SCRIPTED = (
    b"<html><body><main id='policy'>Loading...</main><script>"
    b"document.getElementById('policy').innerHTML = '<h1>Terms</h1><p>Written by a script.</p>';"
    b"</script></body></html>"
)


@pytest.fixture(autouse=True)
def _browser_settings(settings):
    settings.TRACKING_DEADLINE = 30
    settings.TRACKING_TIMEOUT = 10
    settings.TRACKING_EXECUTE_SCRIPTS = True


def test_the_page_is_kept_as_it_is_after_its_scripts_ran(web):
    web.routes["/terms"] = (200, {"Content-Type": "text/html"}, SCRIPTED)
    response = browser.render(web.url("/terms"), wait_for="main h1")
    assert b"Written by a script." in response.content
    assert response.status == 200 and response.final_url == web.url("/terms")


def test_subresources_to_refused_addresses_are_blocked(web, other_web, settings):
    settings.TRACKING_ALLOWED_ADDRESSES = ["127.0.0.2"]
    page = (
        f"<main>policy</main><img src='{web.url('/pixel')}'>"
        f"<script>fetch('{web.url('/xhr')}').catch(() => null)</script>"
    ).encode()
    other_web.routes["/terms"] = (200, {"Content-Type": "text/html"}, page)
    response = browser.render(other_web.url("/terms"))
    assert b"policy" in response.content
    assert web.requests == []  # nothing reached 127.0.0.1
    assert [path for path, _ in other_web.requests][0] == "/terms"


def test_a_redirect_to_a_refused_address_is_not_followed(web, other_web, settings):
    settings.TRACKING_ALLOWED_ADDRESSES = ["127.0.0.2"]
    other_web.routes["/start"] = (302, {"Location": web.url("/terms")}, b"")
    web.routes["/terms"] = (200, {"Content-Type": "text/html"}, SCRIPTED)
    with pytest.raises(FetchError) as error:
        browser.render(other_web.url("/start"))
    assert error.value.failure == "unsafe_url"
    assert web.requests == []


def test_metadata_address_is_refused_before_any_browser_starts():
    with pytest.raises(FetchError) as error:
        browser.render("http://169.254.169.254/latest/meta-data/")
    assert error.value.failure == "unsafe_url"


@pytest.mark.django_db
def test_tracking_renders_declarations_that_execute_client_scripts(web, tmp_path, settings):
    settings.TRACKING_MIN_CHARS = 10
    web.routes["/terms"] = (200, {"Content-Type": "text/html"}, SCRIPTED)
    rules = {"fetch": web.url("/terms"), "select": "main", "executeClientScripts": True}
    (tmp_path / "Acme.json").write_text(json.dumps({"name": "Acme", "terms": {"Terms": rules}}))
    track.load_declarations([(tmp_path, "atlas")])
    fetch = track.track_document(Declaration.objects.get(service="Acme"), slot="1")
    assert fetch.version.text == "Terms\n=====\n\nWritten by a script."
