"""The draft checker's page (``/check/``) and API (``POST /api/v1/check/``): without JavaScript,
with htmx, exports, warming up, hostile input, and proof that nothing is stored or logged."""

import csv
import io
import json
import logging

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comparisons.classify import _classifiers
from comparisons.models import TrainedClassifier

pytestmark = pytest.mark.django_db

SECRET = "Zebra-Quokka clause 7731"  # marks the draft, to look for it in queries and logs
DRAFT = (
    "# Draft policy\n\n"
    "- Do not generate child sexual abuse material.\n"
    f"- No bullying or targeted harassment, says the {SECRET}.\n"
)
WITHOUT_CSAM = "# Draft\n\n- No bullying or targeted harassment.\n"
HTML = (
    b"<html><body><h1>Rules</h1><ul><li>Do not generate child sexual abuse material.</li>"
    b"<li>These terms are governed by the laws of Ireland.</li></ul></body></html>"
)


@pytest.fixture(autouse=True)
def _unthrottled(settings):
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_USER = "100000/min"


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def writes(queries) -> list[str]:
    """Statements that change a table other than the cache (the API's throttle counts)."""
    verbs = ("INSERT", "UPDATE", "DELETE", "CREATE", "TRUNCATE")
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(verbs) and "atlas_cache" not in q["sql"]
    ]


def test_the_form_works_without_javascript_and_says_the_draft_is_not_kept(client, world):
    response = client.get("/check/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form class="search-form" action="/check/" method="post"' in html
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    assert "Your draft is not kept." in html and "no database row is written" in html
    assert "the request body is not logged" in html
    assert 'href="/check/">Check a draft</a>' in html  # in the site's navigation
    assert "<script>" not in html and "style=" not in html  # strict CSP: nothing inline


def test_a_pasted_draft_gets_its_report_on_the_page(client, world, fake_encoder):
    response = client.post("/check/", {"text": WITHOUT_CSAM})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Your draft: 1 clause" in html
    assert "Harassment and bullying" in html and "high confidence" in html
    assert (
        "3 of 5 platforms tracked have a provision of the clause type “Child sexual abuse "
        "material”; no clause of your draft does." in html
    )
    for name in ("Alpha AI", "Beta AI", "Gamma AI"):
        assert f">{name}</a>" in html
    assert "Missing from your draft (2)" in html  # and governing law
    assert "Laws engaged by the common clause types your draft lacks" in html
    assert "18 U.S.C. § 2258A" in html
    # The draft comes back in the form, so that it can be edited or exported.
    assert "No bullying or targeted harassment.\n</textarea>" in html


def test_other_platforms_wordings_are_verbatim_and_link_to_their_pages(client, world, fake_encoder):
    from provisions.models import Provision

    html = client.post("/check/", {"text": DRAFT}).content.decode()
    beta = Provision.objects.get(document__platform__slug="beta", text__startswith="Never")
    assert f'<a href="{beta.get_absolute_url()}">{beta.record_id}</a>' in html
    assert f'<blockquote class="verbatim">{beta.text}</blockquote>' in html
    assert "How 3 other platforms word this rule" in html


def test_with_htmx_only_the_results_fragment_is_rendered(client, world, fake_encoder):
    response = client.post("/check/", {"text": DRAFT}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "<form" not in html and "Your draft: 2 clauses" in html
    # An error is swapped in too (htmx swaps only 2xx answers).
    response = client.post("/check/", {"text": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'role="alert">Paste a draft or choose a file to check.' in response.content.decode()


def test_the_page_form_posts_with_htmx_and_exports_without_it(client, world):
    html = client.get("/check/").content.decode()
    assert 'hx-post="/check/" hx-encoding="multipart/form-data" hx-target="#results"' in html
    assert '<button type="submit" name="export" value="csv">' in html
    assert '<button type="submit" name="export" value="json">' in html


def test_the_report_exports_as_csv_and_json(client, world, fake_encoder):
    response = client.post("/check/", {"text": WITHOUT_CSAM, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="atlas-draft-check.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    clause = next(r for r in rows if r["section"] == "clause")
    assert (clause["clause_text"], clause["clause_type"]) == (
        "No bullying or targeted harassment.",
        "harassment-bullying",
    )
    gap = next(r for r in rows if r["section"] == "field" and r["clause_type"] == "csam")
    assert (gap["in_draft"], gap["platforms_having"], gap["platforms_tracked"]) == ("no", "3", "5")
    assert gap["platform"] == "Alpha AI; Beta AI; Gamma AI"
    laws = [r for r in rows if r["section"] == "regulation" and r["engaged_by"] == "missing type"]
    assert any(r["regulation"] == "18 U.S.C. § 2258A" for r in laws)

    response = client.post("/check/", {"text": WITHOUT_CSAM, "export": "json"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.content)
    api = client.post("/api/v1/check/", {"text": WITHOUT_CSAM}, content_type="application/json")
    assert data == api.json()  # one representation, the API's


def test_uploads_of_html_and_pdf_are_checked(client, world, fake_encoder):
    upload = SimpleUploadedFile("draft.html", HTML, content_type="text/html")
    html = client.post("/check/", {"file": upload}).content.decode()
    assert "Your draft: 2 clauses" in html and "Child sexual abuse material" in html
    # What was read from the file comes back in the form, as Markdown.
    assert "*   Do not generate child sexual abuse material." in html

    response = client.post(
        "/api/v1/check/", {"file": SimpleUploadedFile("draft.html", HTML)}, format="multipart"
    )
    assert response.status_code == 200
    assert [c["types"][0]["slug"] for c in response.json()["clauses"]] == ["csam", "governing-law"]


def test_the_api_answers_with_the_report_as_json(client, world, fake_encoder):
    response = client.post("/api/v1/check/", {"text": DRAFT}, content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert data["stored"] is False and data["platforms_tracked"] == 5
    assert data["common_threshold"] == 2
    first = data["clauses"][0]
    assert first["types"][0]["slug"] == "csam" and first["types"][0]["confidence"] == "high"
    assert first["heading_path"] == ["Draft policy"]
    assert len(first["wordings"]) == 3
    wording = first["wordings"][0]
    assert wording["page"].startswith("http://testserver/provisions/P-")
    assert wording["url"].startswith("http://testserver/api/v1/provisions/P-")
    assert wording["platform"]["page"].startswith("http://testserver/platforms/")
    field = {f["clause_type"]["slug"]: f for f in data["field"]}
    assert field["csam"]["in_draft"] is True and field["csam"]["clauses"] == [1]
    assert [p["slug"] for p in field["csam"]["platforms"]] == ["alpha", "beta", "gamma"]
    assert field["governing-law"]["in_draft"] is False
    assert "no clause of your draft does" in field["governing-law"]["summary"]


def test_nothing_is_written_or_logged(client, world, fake_encoder, caplog):
    caplog.set_level(logging.DEBUG)
    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/check/", {"text": DRAFT}).status_code == 200
        assert client.post("/check/", {"text": DRAFT, "export": "csv"}).status_code == 200
        upload = SimpleUploadedFile("draft.md", DRAFT.encode())
        assert client.post("/check/", {"file": upload}).status_code == 200
        response = client.post("/api/v1/check/", {"text": DRAFT}, content_type="application/json")
        assert response.status_code == 200
        assert client.post("/check/", {"text": DRAFT + "\x00"}).status_code == 400
    assert row_counts() == before
    assert writes(queries.captured_queries) == []
    assert not any(SECRET in q["sql"] for q in queries.captured_queries)
    assert not any(SECRET in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("draft.docx", b"PK\x03\x04", "unsupported file type"),
        ("draft.txt", b"Do not \x00 harass.", "contains NUL bytes"),
        ("draft.txt", b"\x89PNG\r\n\x1a\n\xff\xfe\x00", "not UTF-8"),
        ("draft.pdf", b"%PDF-1.4\n garbage \xff", "not a readable PDF"),
    ],
)
def test_hostile_uploads_are_a_clear_400_and_write_nothing(client, world, name, data, message):
    before = row_counts()
    response = client.post("/check/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert message in response.content.decode()
    response = client.post("/api/v1/check/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and message in body["parameters"]["draft"][0]
    assert row_counts() == before


def test_an_oversize_draft_is_a_413_before_it_is_read(client, world, settings):
    settings.ATLAS_MAX_DOCUMENT_BYTES = 1000
    big = "- Do not harass people.\n" * 200
    response = client.post("/check/", {"file": SimpleUploadedFile("big.md", big.encode())})
    assert response.status_code == 413 and "too large" in response.content.decode()
    response = client.post("/api/v1/check/", {"file": SimpleUploadedFile("big.md", big.encode())})
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    # Bodies past the limit and the form overhead are refused before they are parsed.
    response = client.post("/check/", {"text": "x" * 70_000})
    assert response.status_code == 413 and "at most 0.0 MB" in response.content.decode()


def test_drafts_checked_per_address_are_limited_on_the_page_and_the_api(
    client, world, settings, fake_encoder
):
    settings.ATLAS_CHECK_RATE = "2/hour"
    draft = {"text": "- Do not harass people.\n"}
    assert client.post("/check/", draft).status_code == 200
    assert client.post("/api/v1/check/", draft, content_type="application/json").status_code == 200
    page = client.post("/check/", draft)
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert "Too many drafts checked from here" in page.content.decode()
    api = client.post("/api/v1/check/", draft, content_type="application/json")
    assert api.status_code == 429 and api.json()["status"] == 429
    # Reading the form is not a check.
    assert client.get("/check/").status_code == 200
    assert "at most 2 drafts per hour from one address" in client.get("/check/").content.decode()


@pytest.mark.parametrize(
    ("body", "content_type", "parameter"),
    [
        ({}, "application/json", "text"),
        ({"text": ""}, "application/json", "text"),
        ({"text": "   "}, "application/json", "draft"),
        ({"text": "# Only a heading\n"}, "application/json", "draft"),
        ([1, 2], "application/json", "body"),
        ({"text": "a\u0000b"}, "application/json", "text"),
        ("text=hi", "text/plain", "body"),
    ],
)
def test_the_api_refuses_bad_bodies_with_json_naming_the_field(
    client, world, body, content_type, parameter
):
    response = client.post("/api/v1/check/", body, content_type=content_type)
    assert response.status_code in (400, 415)
    error = response.json()
    assert error["status"] == response.status_code and error["detail"]
    if response.status_code == 400:
        assert parameter in error["parameters"]


def test_while_the_classifier_is_not_trained_page_and_api_say_warming_up(
    client, world, fake_encoder
):
    TrainedClassifier.objects.all().delete()
    _classifiers.clear()
    try:
        response = client.post("/check/", {"text": DRAFT})
        assert response.status_code == 503 and response["Retry-After"] == "30"
        assert "Checking is warming up: the worker is training the classifier" in (
            response.content.decode()
        )
        response = client.post("/api/v1/check/", {"text": DRAFT}, content_type="application/json")
        assert response.status_code == 503 and response["Retry-After"] == "30"
        body = response.json()
        assert body["detail"].startswith("Checking is warming up")
        assert set(body["progress"]) == {"embedded", "total"}
    finally:
        _classifiers.clear()


def test_get_on_the_api_and_other_methods_on_the_page_are_405(client, world):
    assert client.get("/api/v1/check/").status_code == 405
    assert client.put("/check/").status_code == 405


HOSTILE_BODIES = {
    "nested": ("[" * 4_000 + "]" * 4_000, "application/json"),
    "nested-in-text": ('{"text": ' + "[" * 4_000 + "]" * 4_000 + "}", "application/json"),
    "huge": (json.dumps({"text": "a " * 1_500_000}), "application/json"),
    "invalid-utf8": (b'{"text": "\xff\xfe"}', "application/json"),
    "lone-surrogate": ('{"text": "\\ud800 Do not harass."}', "application/json"),
    "not-json": ("{not json", "application/json"),
    "null": ("null", "application/json"),
    "wrong-type": ('{"text": 12, "file": {"a": [1]}}', "application/json"),
    "form": ("text=a%00b", "application/x-www-form-urlencoded"),
    "multipart-no-file": (
        "--x\r\nContent-Disposition: form-data; name=file\r\n\r\nnot a file\r\n--x--",
        "multipart/form-data; boundary=x",
    ),
    "xml": ("<text>a</text>", "application/xml"),
}


@pytest.mark.parametrize("label", HOSTILE_BODIES)
def test_hostile_api_bodies_are_a_json_4xx_and_write_nothing(client, world, label):
    body, content_type = HOSTILE_BODIES[label]
    before = row_counts()
    response = client.post("/api/v1/check/", body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response.json()["status"] == response.status_code
    assert row_counts() == before
