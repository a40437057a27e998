"""The REST API: records, lookups, filters, errors, caching, throttling, writes."""

import json

import pytest
from django.core.cache import cache

from comparisons.compare import compare_table
from comparisons.models import Assignment, ClauseType, Coverage
from provisions import tasks
from provisions.embeddings import get_encoder as load_model  # before any fixture swaps it
from provisions.models import Provision, Version, sha256_text
from regulations.models import ClauseTypeLink
from regulations.queries import applicable_regulations, first_provisions, regulation_coverage
from tests.factories import write_platforms

pytestmark = pytest.mark.django_db


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.content[:500])
    return response.json()


def test_platforms_by_slug_with_their_documents(client, world):
    listing = get(client, "/api/v1/platforms/", platform="x")
    assert {p["slug"] for p in listing["results"]} >= {"alpha", "beta"}
    alpha = get(client, "/api/v1/platforms/alpha/")
    assert alpha["name"] == "Alpha AI" and alpha["document_count"] == 1
    assert alpha["documents"][0]["record_id"] == world["alpha"].record_id
    by_slugs = get(client, "/api/v1/platforms/alpha/documents/policy/")
    assert by_slugs["record_id"] == world["alpha"].record_id


def test_document_by_record_id_with_counts(client, world):
    document = world["alpha"]
    data = get(client, f"/api/v1/documents/{document.record_id}/")
    assert data["slug"] == "policy" and data["platform"] == "alpha"
    assert data["version_count"] == 2
    assert data["live_provision_count"] == document.provisions.live().count()
    assert data["latest_version"] == document.latest_version.public_id
    filtered = get(client, "/api/v1/documents/", platform="beta")
    assert [d["record_id"] for d in filtered["results"]] == [world["beta"].record_id]


def test_versions_list_without_text_and_detail_with_text_and_captures(client, world):
    document = world["alpha"]
    listing = get(client, "/api/v1/versions/", document=document.record_id)
    assert [v["ordinal"] for v in listing["results"]] == [1, 2]
    assert "text" not in listing["results"][0]
    version = Version.objects.get(pk=document.latest_version_id)
    data = get(client, f"/api/v1/versions/{version.public_id}/")
    assert data["id"] == version.public_id
    assert data["url"].endswith(f"/versions/{version.public_id}/")
    assert data["text"] == version.text and data["sha256"] == sha256_text(version.text)
    assert data["captures"][0]["path"] == "alpha/policy/2025-03-01.md"
    assert data["change_kind"] == "substantive"


def test_verify_rehashes_the_stored_text(client, world):
    version = Version.objects.get(pk=world["alpha"].latest_version_id)
    data = get(client, f"/api/v1/versions/{version.public_id}/verify/")
    assert data["match"] is True and data["computed_sha256"] == version.sha256
    # A row whose recorded hash does not match its text (as a corrupted copy would be).
    broken = Version.objects.create(
        document=world["beta"],
        variant=world["beta"].variants.get(),
        text="Altered text.",
        sha256="0" * 64,
        byte_size=13,
        captured_at=version.captured_at,
        origin="corpus",
        origin_ref="tampered.md",
        change_kind="first",
    )
    data = get(client, f"/api/v1/versions/{broken.public_id}/verify/")
    assert data["match"] is False
    assert data["computed_sha256"] == sha256_text("Altered text.") != data["recorded_sha256"]


def test_provision_detail_has_type_severity_regulations_and_history(client, world):
    provision = world["csam"]
    assignment = Assignment.objects.select_related("clause_type").get(provision=provision)
    data = get(client, f"/api/v1/provisions/{provision.record_id}/")
    assert data["text"] == provision.text and data["live"] is True
    assert data["clause_type"]["clause_type"]["slug"] == assignment.clause_type.slug
    assert data["clause_type"]["score"] == assignment.score
    assert data["clause_type"]["severity"] == assignment.severity
    assert assignment.clause_type.name in data["clause_type"]["severity_rule"]
    assert [h["ordinal"] for h in data["history"]] == [1, 2]
    assert data["revisions"][0]["number"] == 1
    expected = applicable_regulations(provision)
    assert expected, "the CSAM clause type engages curated regulations"
    assert [r["slug"] for r in data["regulations"]] == [link.regulation.slug for link in expected]
    assert all(r["rationale"] for r in data["regulations"])
    assert data["similar"], "the world gives the CSAM clause matches on another platform"
    for match in data["similar"]:
        assert match["platform"] != "alpha"


def test_removed_provision_says_where_it_went(client, world):
    removed = world["provisions"].get(text__startswith="Do not harass")
    data = get(client, f"/api/v1/provisions/{removed.record_id}/")
    assert data["live"] is False and data["removed_in"] == world["alpha"].latest_version.public_id
    live = get(client, "/api/v1/provisions/", document=world["alpha"].record_id, live="true")
    assert removed.record_id not in {p["record_id"] for p in live["results"]}


def test_provision_filters_and_ordering(client, world):
    csam = Assignment.objects.get(provision=world["csam"]).clause_type.slug
    data = get(client, "/api/v1/provisions/", clause_type=csam, ordering="-score")
    scores = [p["clause_type"]["score"] for p in data["results"]]
    assert world["csam"].record_id in {p["record_id"] for p in data["results"]}
    assert scores == sorted(scores, reverse=True)
    beta = get(client, "/api/v1/provisions/", platform="beta")
    assert beta["count"] == world["provisions"].filter(document=world["beta"]).count()


def test_sparse_fields(client, world):
    data = get(client, "/api/v1/provisions/", fields="record_id,platform")
    assert data["results"] and all(set(p) == {"record_id", "platform"} for p in data["results"])
    detail = get(client, f"/api/v1/provisions/{world['csam'].record_id}/", fields="text")
    assert detail == {"text": world["csam"].text}


def test_clause_type_coverage_names_having_and_silent_platforms(client, world):
    slug = Assignment.objects.get(provision=world["csam"]).clause_type.slug
    data = get(client, f"/api/v1/clause-types/{slug}/")
    having = {p["slug"] for p in data["having"]}
    silent = {p["slug"] for p in data["silent"]}
    assert "alpha" in having and not having & silent
    assert len(data["having"]) + len(data["silent"]) == data["platforms_tracked"]
    counted = Coverage.objects.get(clause_type__slug=slug, platform__slug="alpha")
    assert {p["slug"]: p["live_provisions"] for p in data["having"]}["alpha"] == (
        counted.provision_count
    )
    assert data["platforms_having"] == len(having)
    links = ClauseTypeLink.objects.filter(clause_type__slug=slug).count()
    assert len(data["regulations"]) == links
    listing = get(client, "/api/v1/clause-types/", page_size=100)
    assert listing["count"] == ClauseType.objects.count()
    row = next(t for t in listing["results"] if t["slug"] == slug)
    assert row["platforms_having"] == data["platforms_having"]


def test_regulation_detail_says_who_addresses_it(client, world):
    link = (
        ClauseTypeLink.objects.filter(
            clause_type=Assignment.objects.get(provision=world["csam"]).clause_type
        )
        .select_related("regulation")
        .first()
    )
    data = get(client, f"/api/v1/regulations/{link.regulation.slug}/")
    coverage = regulation_coverage(link.regulation)
    assert data["coverage"]["tracked"] == coverage.tracked
    addressing = {row["slug"]: row for row in data["coverage"]["addressing"]}
    assert set(addressing) == {p.slug for p in coverage.addressing}
    first_provisions(link.regulation, coverage.rows, limit=1000)  # listed, not counted
    addressed = [row for row in coverage.rows if row.provisions]
    assert addressed
    for row in addressed:
        assert addressing[row.platform.slug]["live_provisions"] == len(row.provisions)
        assert row.count == len(row.provisions)
    listed = client.get(addressing["alpha"]["provisions"]).json()
    assert world["csam"].record_id in {p["record_id"] for p in listed["results"]}
    assert listed["count"] == addressing["alpha"]["live_provisions"]
    assert set(data["coverage"]["silent"]) == {p.slug for p in coverage.silent}
    assert link.clause_type.slug in {t["slug"] for t in data["clause_types"]}


def test_compare_is_the_same_table_as_the_page(client, world):
    data = get(client, "/api/v1/compare/", platforms="alpha,beta,nobody")
    table = compare_table(platforms=["alpha", "beta", "nobody"])
    assert data["platforms"] == ["alpha", "beta"] and data["unknown"] == ["nobody"]
    assert data["considered"] == table.considered
    rows = [row for group in data["groups"] for row in group["rows"]]
    assert [r["clause_type"] for r in rows] == [r.clause_type.slug for r in table.rows]
    assert rows
    for row, expected in zip(rows, table.rows, strict=True):
        assert [c and c["total"] for c in row["cells"]] == [c and c.total for c in expected.cells]
        assert row["differs"] == expected.differs
    assert data["absent"] == [t.slug for t in table.absent]


def test_search_full_text_and_semantic(client, world):
    data = get(client, "/api/v1/search/", q="child abuse")
    assert world["csam"].record_id in {p["record_id"] for p in data["results"]}
    assert all(p["rank"] is not None and "<mark>" in p["snippet_html"] for p in data["results"])
    semantic = get(client, "/api/v1/search/", q="child sexual abuse material", mode="semantic")
    assert semantic["results"][0]["record_id"] == world["csam"].record_id
    similarities = [p["similarity"] for p in semantic["results"]]
    assert similarities == sorted(similarities, reverse=True) and 0 < similarities[0] <= 1
    only_beta = get(client, "/api/v1/search/", q="California", platform="beta")
    assert {p["platform"] for p in only_beta["results"]} == {"beta"}


def test_search_mode_is_text_as_on_pages_and_fulltext_still_works(client, world):
    text = get(client, "/api/v1/search/", q="child abuse", mode="text")
    former = get(client, "/api/v1/search/", q="child abuse", mode="fulltext")
    default = get(client, "/api/v1/search/", q="child abuse")
    assert text == former == default and text["count"] >= 1


def test_changes_are_substantive_unless_asked(client, world):
    data = get(client, "/api/v1/changes/")
    ours = [c for c in data["results"] if c["platform"] in ("alpha", "beta")]
    assert [c["platform"] for c in ours] == ["beta", "alpha"]  # newest first
    alpha = ours[1]
    assert alpha["change_kind"] == "substantive"
    assert alpha["previous_version"] == world["alpha"].versions.get(ordinal=1).public_id
    assert alpha["added_count"] == 1 and alpha["removed_count"] == 1
    assert all(c["change_kind"] in ("substantive", "wording") for c in data["results"])
    none = get(client, "/api/v1/changes/", change_kind="technical", platform="alpha")
    assert none["count"] == 0


def test_classify_gives_type_score_confidence_and_three_candidates(client, world):
    response = client.post(
        "/api/v1/classify/",
        {"text": "Do not generate child sexual abuse material."},
        content_type="application/json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["clause_type"]["slug"] == "csam"
    assert data["score"] == data["clause_type"]["score"]
    assert len(data["candidates"]) == 3
    scores = [data["score"], *(c["score"] for c in data["candidates"])]
    assert scores == sorted(scores, reverse=True)
    assert data["confidence"] in {"high", "medium", "low", None}
    assert data["category"] == "child-safety" and data["states_rule"] is True
    assert data["category_score"] >= data["score"]  # its types' probabilities, summed
    assert data["model_name"] == "fake-bag-of-words"


def test_classify_reads_a_clause_under_its_context_as_the_worker_does(client, world):
    def classify(**body):
        response = client.post("/api/v1/classify/", body, content_type="application/json")
        assert response.status_code == 200
        return response.json()

    alone = classify(text="minors;")
    under = classify(text="minors;", context="You may not generate sexual content involving")
    assert under["clause_type"]["score"] != alone["clause_type"]["score"]
    assert classify(text="minors;", context="")["score"] == alone["score"]
    refused = client.post(
        "/api/v1/classify/", {"text": "x", "context": "y" * 1_001}, content_type="application/json"
    )
    assert refused.status_code == 400 and "context" in refused.json()["parameters"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "parameter"),
    [
        ("text=hello", "application/x-www-form-urlencoded", 400, "body"),
        ("{not json", "application/json", 400, None),
        (json.dumps(["a list"]), "application/json", 400, "body"),
        (json.dumps({"txt": "typo"}), "application/json", 400, "text"),
        (json.dumps({"text": "x" * 10_001}), "application/json", 400, "text"),
        (json.dumps({"text": "x" * 20_000}), "application/json", 413, None),
    ],
)
def test_classify_refuses_bad_bodies(client, body, content_type, status, parameter):
    response = client.post("/api/v1/classify/", body, content_type=content_type)
    assert response.status_code == status
    error = response.json()
    assert error["status"] == status and error["detail"]
    if parameter:
        assert parameter in error["parameters"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/provisions/P-999999/",
        "/api/v1/provisions/not-an-id/",
        "/api/v1/provisions/D-000001/",
        "/api/v1/provisions/P-999999/citation/",
        "/api/v1/documents/D-999999/",
        "/api/v1/documents/D-999999/citation/",
        "/api/v1/versions/999999/",
        "/api/v1/versions/abc/",
        "/api/v1/versions/1.5/verify/",
        "/api/v1/platforms/nobody/",
        "/api/v1/platforms/alpha/documents/nothing/",
        "/api/v1/clause-types/no-such-type/",
        "/api/v1/regulations/no-such-law/",
        "/api/v1/no-such-endpoint/",
        "/api/v1/provisions/?page=999",
    ],
)
def test_unknown_ids_give_json_404(client, world, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == 404 and response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/api/v1/provisions/", {"page": "x"}, "page"),
        ("/api/v1/provisions/", {"page": "0"}, "page"),
        ("/api/v1/provisions/", {"page_size": "1000"}, "page_size"),
        ("/api/v1/provisions/", {"ordering": "secret_field"}, "ordering"),
        ("/api/v1/provisions/", {"fields": "record_id,nonsense"}, "fields"),
        ("/api/v1/provisions/", {"document": "X-12"}, "document"),
        ("/api/v1/provisions/", {"severity": "apocalyptic"}, "severity"),
        ("/api/v1/provisions/", {"live": "perhaps"}, "live"),
        ("/api/v1/provisions/", {"format": "docx"}, "format"),
        ("/api/v1/versions/", {"captured_after": "yesterday"}, "captured_after"),
        ("/api/v1/changes/", {"change_kind": "dramatic"}, "change_kind"),
        ("/api/v1/search/", {}, "q"),
        ("/api/v1/search/", {"q": "x", "mode": "telepathic"}, "mode"),
        ("/api/v1/search/", {"q": "x", "ordering": "id"}, "ordering"),
        ("/api/v1/compare/", {"platforms": "alpha"}, "platforms"),
        ("/api/v1/compare/", {"platforms": "alpha,beta", "severity": "dire"}, "severity"),
        ("/api/v1/regulations/", {"status": "imaginary"}, "status"),
    ],
)
def test_malformed_parameters_give_400_naming_them(client, world, url, params, parameter):
    response = client.get(url, params)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["status"] == 400
    assert parameter in error["parameters"] and parameter in error["detail"]


def test_throttle_answers_429_with_retry_after(client, world, settings):
    settings.API_THROTTLE_ANON = "3/min"
    cache.clear()
    statuses = [client.get("/api/v1/platforms/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/platforms/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["status"] == 429
    # A client cannot pose as another one with a header of its own.
    spoofed = client.get("/api/v1/platforms/", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert spoofed.status_code == 429
    # Per client: another address is not held back by this one.
    assert client.get("/api/v1/platforms/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_each_kind_of_client_has_its_own_rate(client, world, settings, staff_token):
    # Anonymous clients at their rate even when it is above the token rate, and the reverse.
    settings.API_THROTTLE_ANON, settings.API_THROTTLE_USER = "4/min", "2/min"
    cache.clear()
    anonymous = [client.get("/api/v1/platforms/").status_code for _ in range(5)]
    assert anonymous == [200, 200, 200, 200, 429]
    auth = {"HTTP_AUTHORIZATION": f"Token {staff_token}", "REMOTE_ADDR": "10.0.0.8"}
    with_token = [client.get("/api/v1/platforms/", **auth).status_code for _ in range(3)]
    assert with_token == [200, 200, 429]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/provisions/{provision}/",
        "/api/v1/documents/{document}/",
        "/api/v1/versions/{version}/",
        "/api/v1/platforms/alpha/",
        "/api/v1/clause-types/csam/",
        "/api/v1/regulations/{regulation}/",
        "/api/v1/provisions/{provision}/citation/?format=bibtex",
    ],
)
def test_detail_endpoints_send_etag_and_last_modified(client, world, path):
    url = path.format(
        provision=world["csam"].record_id,
        document=world["alpha"].record_id,
        version=world["alpha"].latest_version.public_id,
        regulation=ClauseTypeLink.objects.first().regulation.slug,
    )
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_etag_changes_when_the_record_changes(client, world):
    url = f"/api/v1/provisions/{world['csam'].record_id}/"
    before = client.get(url)["ETag"]
    Assignment.objects.filter(provision=world["csam"]).update(score=0.99)
    assert client.get(url)["ETag"] != before


def test_imports_need_a_staff_token(
    client, world, staff_token, django_capture_on_commit_callbacks, settings
):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    body = {"sources": ["https://github.com/OpenTermsArchive/genai-contrib-versions.git"]}
    settings.ATLAS_ALLOW_PRIVATE_SOURCES = True  # no DNS in tests: skip only the address check
    anonymous = client.post("/api/v1/imports/", body, content_type="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["status"] == 401
    reader = Token.objects.create(user=User.objects.create_user("reader")).key
    forbidden = client.post(
        "/api/v1/imports/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {reader}",
    )
    assert forbidden.status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = client.post(
            "/api/v1/imports/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {staff_token}",
        )
    assert queued.status_code == 202 and queued.json() == body
    assert len(callbacks) == 1  # the task is sent once the request's transaction commits
    empty = client.post(
        "/api/v1/imports/",
        {"sources": []},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {staff_token}",
    )
    assert empty.status_code == 400 and "sources" in empty.json()["parameters"]
    listing = client.get("/api/v1/imports/", HTTP_AUTHORIZATION=f"Token {staff_token}")
    assert listing.status_code == 405


def test_import_task_imports_once(tmp_path, settings):
    write_platforms(tmp_path, {"gamma": {"2025-05-01": "# Terms\n\n- Be kind to others.\n"}})
    # Queued by the API, the task reads only public git URLs; a folder is an operator's source.
    assert (
        "API sources must be https://"
        in tasks.import_sources([str(tmp_path)])["errors"][str(tmp_path)]
    )
    first = tasks.import_sources([str(tmp_path)], remote_only=False)
    assert first["captures"] == 1 and first["errors"] == {}
    assert Provision.objects.filter(document__platform__slug="gamma").count() == 1
    assert tasks.import_sources([str(tmp_path)], remote_only=False)["captures"] == 0


def test_browsable_api_and_offline_docs_for_humans(client, world):
    page = client.get("/api/v1/provisions/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert world["csam"].record_id in page.content.decode()
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/provisions/{id}/citation/",
        "/api/v1/versions/{id}/verify/",
        "/api/v1/classify/",
        "/api/v1/compare/",
        "/api/v1/search/",
        "/api/v1/imports/",
    ):
        assert path in paths
    for path, operations in paths.items():
        for operation in operations.values():
            assert operation.get("description") or operation.get("summary"), path
            assert "404" in operation["responses"] and "429" in operation["responses"]
            bodies = [
                *operation.get("requestBody", {}).get("content", {}).values(),
                *(
                    c
                    for r in operation["responses"].values()
                    for c in r.get("content", {}).values()
                ),
            ]
            assert any(body.get("examples") for body in bodies), f"no example for {path}"


def test_the_web_process_loads_no_model_at_start():
    """Importing every URL and API module leaves torch and sklearn unloaded (classification
    loads them on its first request only)."""
    import subprocess
    import sys

    code = (
        "import django; django.setup(); import atlas.urls, sys; "
        "heavy = ('torch', 'sklearn', 'sentence_transformers'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_curator_sets_a_clause_type_that_reassignment_keeps(
    client, world, staff_token, fake_encoder, django_capture_on_commit_callbacks
):
    from comparisons.clustering import assign_provisions

    provision = world["provisions"].get(text__startswith="You must be at least 18")
    before = Assignment.objects.select_related("clause_type").get(provision=provision)
    url = f"/api/v1/provisions/{provision.record_id}/clause-type/"
    body = {"clause_type": "account-credentials"}
    assert client.put(url, body, content_type="application/json").status_code == 401
    missing = client.put(
        url,
        {"clause_type": "no-such-type"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {staff_token}",
    )
    assert missing.status_code == 400 and "clause_type" in missing.json()["parameters"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.put(
            url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {staff_token}"
        )
    assert response.status_code == 200
    assert len(callbacks) == 1  # the worker then recomputes matches and coverage
    shown = response.json()["clause_type"]
    assert shown["clause_type"]["slug"] == "account-credentials" and shown["basis"] == "curated"
    assert shown["runner_up"]["slug"] == before.clause_type.slug
    assert "curator curator" in shown["severity_rule"]
    assign_provisions(encoder=fake_encoder)
    kept = Assignment.objects.get(provision=provision)
    assert kept.basis == "curated" and kept.clause_type.slug == "account-credentials"


def test_search_snippets_are_verbatim_around_tag_like_text(client, world, tmp_path):
    import html
    import re

    from provisions.ingest import import_sources

    clause = "Do not paste <script> tags or <b>malware</b> loaders into prompts."
    write_platforms(tmp_path, {"gamma": {"2025-05-01": f"# Rules\n\n- {clause}\n"}})
    report = import_sources([str(tmp_path)])
    assert not report.errors, report.errors
    [stored] = Provision.objects.filter(document__platform__slug="gamma", text=clause)
    data = get(client, "/api/v1/search/", q="malware loaders", platform="gamma")
    [result] = data["results"]
    snippet = result["snippet_html"]
    assert "<mark>malware</mark>" in snippet and "&lt;script&gt;" in snippet
    # What the snippet shows, marks taken off and entities read back, is the stored clause.
    assert html.unescape(re.sub("</?mark>", "", snippet)) == stored.text


@pytest.mark.slow  # imports torch to find the model missing
def test_without_a_loadable_model_semantic_search_and_classify_are_503(
    client, world, settings, tmp_path, monkeypatch
):
    from provisions import embeddings

    # The real loader (the fixture swapped in the fake encoder), pointed at no model.
    monkeypatch.setattr(embeddings, "get_encoder", load_model)
    settings.EMBEDDING_MODEL = str(tmp_path / "no-such-model")
    response = client.get("/api/v1/search/", {"q": "child abuse", "mode": "semantic"})
    assert response.status_code == 503
    assert "Semantic search is unavailable" in response.json()["detail"]
    assert "no-such-model" in response.json()["detail"]
    response = client.post(
        "/api/v1/classify/", {"text": "Do not harass people."}, content_type="application/json"
    )
    assert (
        response.status_code == 503 and "Classification is unavailable" in response.json()["detail"]
    )
    assert get(client, "/api/v1/search/", q="child abuse")["count"] >= 1  # full text works


@pytest.mark.parametrize("value", ["0897-12-01T23:05:53+16:37", "0001-01-01T00:00:00+01:00"])
def test_a_capture_date_with_any_iso_offset_is_answered_not_a_500(client, world, value):
    response = client.get("/api/v1/changes/", {"captured_before": value})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "captured_before" in response.json()["parameters"]
