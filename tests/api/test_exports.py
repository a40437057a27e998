"""Lists as data a researcher can load: ``format=csv`` / ``format=jsonl`` (streamed, unpaginated,
the same filters), citations inline (``include=citation``), and the compare CSV, one row per
provision."""

import csv
import io
import json
import re

import bibtexparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasets.rows import CITATION_FIELDS, PROVISION_FIELDS, VERSION_FIELDS
from provisions.models import Provision, Version, sha256_text

pytestmark = pytest.mark.django_db
VERSION_ID = re.compile(r"D-\d{6}@[0-9a-f]{12}")


def read_csv(response) -> list[dict]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def read_jsonl(response) -> list[dict]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def test_provisions_as_csv_carry_every_field_of_each_provision(client, world):
    response = client.get("/api/v1/provisions/", {"format": "csv", "page_size": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="atlas-provisions.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert list(rows[0]) == [field.name for field in PROVISION_FIELDS]
    assert len(rows) == Provision.objects.count()  # every row: page_size does not apply
    csam = world["csam"]
    (row,) = [r for r in rows if r["record_id"] == csam.record_id]
    version = csam.last_version
    assert row["text"] == csam.text == version.text[slice(*_span(csam, version))]
    assert row["platform_name"] == "Alpha AI" and row["document_name"] == "Usage Policy"
    assert row["version_id"] == version.public_id
    assert row["source_url"] == "https://alpha.example/policy" == version.source_url
    assert row["version_sha256"] == version.sha256 and row["text_sha256"] == sha256_text(csam.text)
    assert row["captured_at"] == "2025-03-01T00:00:00Z"
    assert row["clause_type"] == csam.assignment.clause_type.slug
    assert row["permalink"].endswith(f"/provisions/{csam.record_id}/?version={version.public_id}")
    assert row["live"] == "True"


def _span(provision, version):
    span = provision.spans.get(version=version)
    return span.start, span.end


def test_jsonl_has_the_same_rows_as_csv_and_honours_the_filters(client, world):
    params = {"platform": "beta", "live": "true"}
    rows = read_csv(client.get("/api/v1/provisions/", {**params, "format": "csv"}))
    lines = read_jsonl(client.get("/api/v1/provisions/", {**params, "format": "jsonl"}))
    expected = Provision.objects.filter(document__platform__slug="beta", removed_in=None)
    assert [r["record_id"] for r in rows] == [p.record_id for p in expected.order_by("pk")]
    assert [line["record_id"] for line in lines] == [r["record_id"] for r in rows]
    assert all(line["live"] is True and line["platform"] == "beta" for line in lines)
    assert all(VERSION_ID.fullmatch(line["version_id"]) for line in lines)


def test_an_accept_header_picks_the_export_too(client, world):
    response = client.get("/api/v1/provisions/", HTTP_ACCEPT="application/jsonl")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/jsonl")
    assert len(read_jsonl(response)) == Provision.objects.count()


def test_citations_inline_in_the_export_parse_back(client, world):
    response = client.get(
        "/api/v1/provisions/", {"format": "csv", "include": "citation", "clause_type": "csam"}
    )
    rows = read_csv(response)
    assert rows and list(rows[0]) == [f.name for f in [*PROVISION_FIELDS, *CITATION_FIELDS]]
    for row in rows:
        (entry,) = bibtexparser.parse_string(row["citation_bibtex"]).entries
        assert entry["url"] == row["permalink"]
        assert row["source_url"] in entry["note"] and row["version_id"] in entry["note"]
        assert f"L2  - {row['source_url']}" in row["citation_ris"]
        (item,) = json.loads(row["citation_csl_json"])
        assert item["version"] == row["version_id"] and item["source"] == row["source_url"]
        assert row["record_id"] in row["citation_text"]


def queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_json_lists_can_include_each_citation_with_its_quote(client, world):
    url, params = "/api/v1/provisions/", {"include": "citation"}
    # Citations cost no query per row: as many queries for 1 row as for all of them.
    assert queries(client, url, {**params, "page_size": 1}) == queries(
        client, url, {**params, "page_size": 100}
    )
    data = client.get("/api/v1/provisions/", {"include": "citation", "page_size": 100}).json()
    assert data["results"]
    for item in data["results"]:
        citation = item["citation"]
        provision = Provision.objects.get(pk=int(item["record_id"][2:]))
        assert citation["record_id"] == item["record_id"]
        assert citation["quote"] == provision.text
        assert citation["version_id"] == item["last_version"]
        assert citation["source_url"].startswith("https://")
    same = client.get(f"/api/v1/provisions/{world['csam'].record_id}/citation/").json()
    (listed,) = [i["citation"] for i in data["results"] if i["record_id"] == same["record_id"]]
    assert listed == same  # the list's citation is the citation endpoint's record


def test_versions_export_with_their_text_and_citations(client, world):
    rows = read_jsonl(
        client.get(
            "/api/v1/versions/",
            {"format": "jsonl", "document": world["alpha"].record_id, "include": "citation"},
        )
    )
    versions = Version.objects.filter(document=world["alpha"]).order_by("ordinal")
    assert [r["version_id"] for r in rows] == [v.public_id for v in versions]
    assert set(rows[0]) == {f.name for f in [*VERSION_FIELDS, *CITATION_FIELDS]}
    for row, version in zip(rows, versions, strict=True):
        assert row["text"] == version.text and row["sha256"] == sha256_text(version.text)
        assert version.public_id in row["citation_text"]


def test_export_queries_do_not_grow_with_rows(client, world):
    params = {"format": "csv", "include": "citation"}
    one = {**params, "document": world["beta"].record_id}
    fewer = len(read_csv(client.get("/api/v1/provisions/", one)))
    assert 0 < fewer < Provision.objects.count()
    assert queries(client, "/api/v1/provisions/", one) == queries(
        client, "/api/v1/provisions/", params
    )
    assert len(read_csv(client.get("/api/v1/provisions/", params))) == Provision.objects.count()


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"format": "csv", "include": "everything"}, "include"),
        ({"format": "csv", "severity": "apocalyptic"}, "severity"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_a_bad_export_parameter_is_a_json_400(client, world, params, name):
    response = client.get("/api/v1/provisions/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert name in response.json()["parameters"]


def test_the_compare_csv_has_one_row_per_provision_never_cut(client, world):
    response = client.get("/compare/csv/", {"platforms": "alpha,beta"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    body = response.content.decode()
    assert "more)" not in body
    listed = [r["record_id"] for r in rows if r["record_id"]]
    assert len(listed) == len(set(listed))  # one row each
    live = Provision.objects.filter(removed_in=None, assignment__isnull=False)
    assert set(listed) == {p.record_id for p in live}
    for row in rows:
        if not row["record_id"]:
            assert row["text"] == "no provision found"
            continue
        provision = live.get(pk=int(row["record_id"][2:]))
        assert row["text"] == provision.text
        assert row["version_id"] == provision.last_version.public_id
        assert row["platform"] == provision.document.platform.slug
        assert row["clause_type"] == provision.assignment.clause_type.slug


def test_the_api_docs_say_the_rate_limits_and_their_headers(client, world):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    description = schema["info"]["description"]
    assert "120/min" in description or "/min" in description
    assert "429" in description and "Retry-After" in description
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/provisions/"]["get"]["parameters"]}
    assert {"csv", "jsonl"} <= set(parameters["format"]["schema"]["enum"])
    assert parameters["include"]["schema"]["enum"] == ["citation"]


def test_changes_export_names_each_version_and_the_one_before(client, world):
    lines = read_jsonl(client.get("/api/v1/changes/", {"format": "jsonl", "include": "citation"}))
    listed = client.get("/api/v1/changes/", {"page_size": 100}).json()["results"]
    assert [line["version_id"] for line in lines] == [item["id"] for item in listed]
    assert [line["previous_version"] for line in lines] == [
        item["previous_version"] for item in listed
    ]
    assert all("text" not in line and line["citation_bibtex"] for line in lines)
    data = client.get("/api/v1/changes/", {"include": "citation"}).json()
    assert all(item["citation"]["version_id"] == item["id"] for item in data["results"])


@pytest.mark.parametrize("mode", ["text", "semantic"])
def test_search_results_export_as_rows_of_every_match(client, world, mode):
    params = {"q": "child abuse", "mode": mode}
    listed = client.get("/api/v1/search/", {**params, "page_size": 100}).json()["results"]
    rows = read_csv(client.get("/api/v1/search/", {**params, "format": "csv"}))
    assert [row["record_id"] for row in rows] == [item["record_id"] for item in listed]
    assert rows and all(VERSION_ID.fullmatch(row["version_id"]) for row in rows)
    cited = client.get("/api/v1/search/", {**params, "include": "citation"}).json()["results"]
    assert all(item["citation"]["quote"] for item in cited)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/platforms/", "slug"),
        ("/api/v1/documents/", "record_id"),
        ("/api/v1/clause-types/", "slug"),
        ("/api/v1/regulations/", "slug"),
    ],
)
def test_the_short_lists_export_every_row_their_json_lists(client, world, path, key):
    page = client.get(path, {"page_size": 100}).json()
    count, results = page["count"], page["results"]
    while page["next"]:  # the clause types outnumber one page
        page = client.get(page["next"]).json()
        results += page["results"]
    csv_rows = read_csv(client.get(path, {"format": "csv"}))
    jsonl_rows = read_jsonl(client.get(path, {"format": "jsonl"}))
    assert count == len(results) == len(csv_rows) == len(jsonl_rows) > 0
    assert [r[key] for r in jsonl_rows] == [r[key] for r in results]
    assert jsonl_rows == results  # the same records, field for field
    assert list(csv_rows[0]) == list(results[0])
    # Links in an export point at the records, not at another export.
    assert all("format=" not in (row.get("url") or "") for row in csv_rows)


def test_a_short_list_export_honours_its_filters_and_refuses_inline_citations(client, world):
    rows = read_jsonl(client.get("/api/v1/platforms/", {"format": "jsonl", "slug": "alpha"}))
    assert [row["slug"] for row in rows] == ["alpha"]
    refused = client.get("/api/v1/documents/", {"format": "csv", "include": "citation"})
    assert refused.status_code == 400 and "include" in refused.json()["parameters"]
