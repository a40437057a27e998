"""/api/v1/tracking/: the tracking status of each declared document."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracking import track
from tracking.models import Declaration

pytestmark = pytest.mark.django_db
POLICY = b"<main><h1>Terms</h1><p>" + b"These terms apply to every use. " * 10 + b"</p></main>"


@pytest.fixture
def declared(web, tmp_path, settings):
    web.routes["/terms"] = (200, {"Content-Type": "text/html"}, POLICY)
    rules = {"fetch": web.url("/terms"), "select": "main"}
    (tmp_path / "Acme.json").write_text(
        json.dumps({"name": "Acme", "terms": {"Terms of Service": rules}})
    )
    settings.TRACKING_DECLARATIONS_DIR = tmp_path
    track.load_declarations()  # Acme, plus Atlas's own (Runway)
    return Declaration.objects.get(service="Acme")


def count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/tracking/", params).status_code == 200
    return len(captured)


def test_lists_declared_documents_with_their_last_fetch(client, declared):
    track.track_document(declared, slot="1")
    client.get("/api/v1/tracking/")
    # As in tests/api: the same queries whatever the page size (throttle counts included).
    assert count_queries(client, {"page_size": 1}) == count_queries(client, {"page_size": 50})
    body = client.get("/api/v1/tracking/", {"page_size": 50}).json()
    entries = {(e["service"], e["terms_type"]): e for e in body["results"]}
    acme = entries[("Acme", "Terms of Service")]
    assert acme["captured"] is True and acme["last_outcome"] == "changed"
    assert acme["document_url"].endswith(declared.document.get_absolute_url())
    assert acme["urls"] == [declared.urls[0]] and acme["next_fetch_at"]
    runway = entries[("Runway", "Privacy Policy")]
    assert runway["captured"] is False and runway["document_url"] is None
    assert runway["last_fetched_at"] is None and runway["collection"] == "atlas"


def test_last_error_is_shown_after_a_failure(client, declared, web):
    track.track_document(declared, slot="1")
    web.routes["/terms"] = (403, {}, b"Just a moment...")
    track.track_document(declared, slot="2")
    entry = client.get(f"/api/v1/tracking/{declared.pk}/").json()
    assert (entry["last_outcome"], entry["last_failure"]) == ("failed", "bot_wall")
    assert "HTTP 403" in entry["last_error"] and entry["captured"] is True


def test_filters_unknown_ids_and_writes(client, declared):
    only = client.get("/api/v1/tracking/", {"service": "Runway"}).json()["results"]
    assert {e["service"] for e in only} == {"Runway"}
    assert client.get("/api/v1/tracking/999999/").status_code == 404
    assert client.get("/api/v1/tracking/abc/").status_code == 404
    assert client.post("/api/v1/tracking/", {}, content_type="application/json").status_code in (
        401,
        403,
        405,
    )
