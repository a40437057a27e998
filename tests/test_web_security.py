"""Hostile input at the web edge: stored URLs, the Content-Security-Policy, NUL characters,
deep and huge JSON bodies. Every answer is a 4xx naming what is wrong, never a 5xx."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from provisions.ingest import import_sources
from provisions.models import Document, Platform, Provision, Version
from regulations.catalog import load_catalog
from regulations.models import Regulation
from tests.factories import GOOD, write_acme

pytestmark = pytest.mark.django_db

HOSTILE_URLS = [
    "javascript:alert(document.domain)",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
]


@pytest.fixture
def catalog():
    return load_catalog()


@pytest.fixture
def document(tmp_path):
    import_sources([str(write_acme(tmp_path, GOOD))])
    return Document.objects.get(platform__slug="acme", slug="aup")


def hostile_links(html: str) -> list[str]:
    hrefs = re.findall(r'<a [^>]*href="([^"]*)"', html)
    return [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vb", "//"))]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_stored_url_that_is_not_http_never_becomes_a_link(client, document, url):
    version = document.latest_version
    Version.objects.filter(pk=version.pk).update(source_url=url)
    Platform.objects.filter(pk=document.platform_id).update(website=url)
    provision = Provision.objects.filter(document=document).first()
    for page in (version.get_absolute_url(), provision.get_absolute_url()):
        html = client.get(page).content.decode()
        assert "Source URL" in html
        assert hostile_links(html) == [], page
    html = client.get(document.platform.get_absolute_url()).content.decode()
    assert hostile_links(html) == []


def test_an_http_source_url_is_still_a_link(client, document):
    html = client.get(document.latest_version.get_absolute_url()).content.decode()
    assert 'href="https://acme.example/aup"' in html


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_regulation_url_or_source_that_is_not_http_never_becomes_a_link(client, catalog, url):
    regulation = Regulation.objects.order_by("slug").first()
    Regulation.objects.filter(pk=regulation.pk).update(url=url, sources=[url])
    html = client.get(regulation.get_absolute_url()).content.decode()
    assert hostile_links(html) == []


class ScriptAudit(HTMLParser):
    """Collects inline scripts and inline event handlers: what the CSP forbids."""

    def __init__(self):
        super().__init__()
        self.inline_scripts, self.handlers, self.in_script = [], [], False
        self.script_types = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.handlers += [name for name in attributes if name.startswith("on")]
        self.handlers += [name for name in attributes if name.startswith(("hx-on", "hx-on:"))]
        if tag == "script":
            self.in_script = "src" not in attributes
            self.script_types.append(attributes.get("type", ""))
        if tag == "style" or "style" in attributes:
            self.inline_scripts.append(f"<{tag}> with inline style")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])


def page_urls(document) -> list[str]:
    version = document.latest_version
    provision = Provision.objects.filter(document=document).first()
    return [
        "/",
        "/platforms/",
        document.platform.get_absolute_url(),
        document.get_absolute_url(),
        f"{document.get_absolute_url()}?group=type",
        version.get_absolute_url(),
        f"/versions/{version.public_id}/verify/",
        provision.get_absolute_url(),
        "/clause-types/",
        "/compare/",
        "/search/?q=malware",
        "/regulations/",
        "/no-such-page/",
    ]


def test_pages_send_a_csp_without_inline_script_and_contain_none(client, document, catalog):
    for url in [*page_urls(document), Regulation.objects.first().get_absolute_url()]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'", policy
        assert "unsafe-inline" not in directives["style-src"]
        assert directives["object-src"] == "'none'"
        audit = ScriptAudit()
        audit.feed(response.content.decode())
        assert audit.inline_scripts == [] and audit.handlers == [], url
        if response.status_code == 200:
            assert audit.script_types.count("") >= 2, url  # htmx and atlas.js, from files


def test_htmx_is_told_not_to_inject_its_inline_style(client):
    html = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert config and json.loads(config.group(1))["includeIndicatorStyles"] is False


def test_the_api_docs_load_their_script_from_a_url_under_the_csp(client):
    response = client.get("/api/docs/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    audit = ScriptAudit()
    audit.feed(response.content.decode())
    assert audit.inline_scripts == ["<style> with inline style"] and audit.handlers == []
    script = re.search(r'<script src="([^"]*script[^"]*)"', response.content.decode()).group(1)
    assert client.get(script.replace("&amp;", "&")).status_code == 200


# -- NUL characters ------------------------------------------------------------------------

NUL_URLS = [
    ("/search/?q=%00", "q"),
    ("/search/?q=a&platform=%00", "platform"),
    ("/search/?q=a&clause_type=x%00y", "clause_type"),
    ("/compare/?platforms=%00,openai", "platforms"),
    ("/compare/csv/?platforms=a,b&severity=%00", "severity"),
    ("/regulations/?topic=%00", "topic"),
    ("/platforms/acme/aup/diff/?from=%00", "from"),
    ("/clause-types/%00/", "path"),
    ("/platforms/%00/", "path"),
    ("/provisions/P-%00/", "path"),
    ("/search/?q%00=a", "q\\x00"),
]
NUL_API_URLS = [
    ("/api/v1/platforms/%00/", "path"),
    ("/api/v1/provisions/?platform=%00", "platform"),
    ("/api/v1/search/?q=%00", "q"),
    ("/api/v1/compare/?platforms=a,%00", "platforms"),
    ("/api/v1/clause-types/%00/", "path"),
    ("/api/v1/regulations/?ordering=%00", "ordering"),
]


@pytest.mark.parametrize(("url", "parameter"), NUL_URLS)
def test_a_nul_character_in_a_page_path_or_parameter_is_a_400_naming_it(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert f"<code>{parameter}</code>" in response.content.decode()


@pytest.mark.parametrize(("url", "parameter"), NUL_API_URLS)
def test_a_nul_character_in_an_api_path_or_parameter_is_a_json_400(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["parameters"] == {parameter: ["must not contain a NUL character"]}


def test_a_nul_character_in_a_token_header_is_a_400_naming_it(client):
    response = client.get("/api/v1/platforms/", HTTP_AUTHORIZATION="Token ab\x00c")
    assert response.status_code == 400
    assert response.json()["parameters"] == {
        "header Authorization": ["must not contain a NUL character"]
    }


@pytest.fixture
def staff_client(client):
    user = User.objects.create_user("curator", is_staff=True)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=user).key}"
    return client


def test_a_nul_character_in_a_json_body_is_a_400_naming_the_field(staff_client, document):
    provision = Provision.objects.filter(document=document).first()
    for body, field in (
        ({"clause_type": "a\u0000"}, "clause_type"),
        ({"clause_type": "a", "x\u0000": 1}, "x\\x00"),
        ({"clause_type": ["ok", {"deep": "\u0000"}]}, "clause_type[1].deep"),
    ):
        response = staff_client.put(
            f"/api/v1/provisions/{provision.record_id}/clause-type/",
            json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 400, body
        assert list(response.json()["parameters"]) == [field]
    response = staff_client.post(
        "/api/v1/imports/", json.dumps({"sources": ["\u0000"]}), content_type="application/json"
    )
    assert response.status_code == 400


# -- deep and huge JSON bodies -------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 5_000])
def test_deeply_nested_json_is_a_400_anywhere_json_is_parsed(client, staff_client, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/classify/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
    response = staff_client.post("/api/v1/imports/", body, content_type="application/json")
    assert response.status_code == 400


def test_a_body_over_the_upload_limit_is_a_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"sources": ["x" * 2000]})
    response = staff_client.post("/api/v1/imports/", body, content_type="application/json")
    assert response.status_code == 413 and response.json()["status"] == 413
