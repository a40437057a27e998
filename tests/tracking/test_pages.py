"""Tracking status as pages show it: the template tags other apps' templates load."""

import pytest
from django.template import Context, Template

from provisions.models import Document
from tracking import track
from tracking.models import Declaration

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load tracking %}" + source).render(Context(context))


@pytest.fixture
def runway(settings, tmp_path):
    settings.TRACKING_DECLARATIONS_DIR = tmp_path  # no OTA collection: only Atlas's own
    track.load_declarations()
    return Declaration.objects.current().filter(service="Runway")


def test_platform_list_tells_declared_not_captured_runway(runway):
    html = render("{% declared_not_captured %}")
    assert "Declared, not captured yet" in html
    assert "Runway:" in html and "Privacy Policy" in html and "not fetched yet" in html


def test_a_failed_fetch_shows_its_cause_and_nothing_is_made_up(runway, web):
    declaration = runway.get(terms_type="Terms of Service")
    web.routes["/terms"] = (403, {}, b"Just a moment...")
    declaration.rules = {**declaration.rules, "fetch": web.url("/terms")}
    declaration.save()
    track.track_document(declaration, slot="1")
    html = render("{% declared_not_captured %}")
    assert "last error: Blocked (bot wall)" in html
    status = render("{% tracking_status document %}", document=declaration.document)
    assert "Live tracking" in status and web.url("/terms") in status
    assert "Failed" in status and "HTTP 403" in status and "Next fetch" in status


def test_nothing_is_said_once_every_declared_document_is_captured(runway, web):
    page = b"<main>" + b"<p>Runway policy text.</p>" * 20 + b"</main>"
    web.routes["/p"] = (200, {"Content-Type": "text/html"}, page)
    for declaration in runway:
        declaration.rules = {**declaration.rules, "fetch": web.url("/p")}
        declaration.save()
        assert track.track_document(declaration, slot="1").version is not None
    assert "Declared, not captured" not in render("{% declared_not_captured %}")


def test_documents_without_declarations_show_no_tracking_section(runway):
    undeclared = Document.objects.create(
        platform=runway.first().document.platform, slug="faq", name="FAQ"
    )
    assert render("{% tracking_status document %}", document=undeclared).strip() == ""


def test_platform_list_page_lists_runway_as_declared_not_captured(client, runway):
    html = client.get("/platforms/").content.decode()
    assert "Declared, not captured yet" in html and "Runway:" in html


def test_document_page_shows_its_tracking_status(client, runway, web):
    declaration = runway.get(terms_type="Privacy Policy")
    page = b"<main>" + b"<p>Runway privacy text.</p>" * 20 + b"</main>"
    web.routes["/privacy"] = (200, {"Content-Type": "text/html"}, page)
    declaration.rules = {**declaration.rules, "fetch": web.url("/privacy")}
    declaration.save()
    track.track_document(declaration, slot="1")
    html = client.get(declaration.document.get_absolute_url()).content.decode()
    assert "Live tracking" in html and web.url("/privacy") in html
    assert "New version recorded" in html
