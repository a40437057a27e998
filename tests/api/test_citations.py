"""Citation records: each format read back by a real parser, and served for real records."""

import datetime as dt
import re
from pathlib import Path

import bibtexparser
import pytest
from citeproc import Citation as CiteprocCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.utils import timezone

from provisions import citations
from provisions.models import Span, sha256_text

STYLES = [
    "harvard-cite-them-right",
    str(Path(__file__).parent.parent / "data" / "atlas-test-minimal.csl"),
]
RIS_LINE = re.compile(r"^(?P<tag>[A-Z][A-Z0-9])  - (?P<value>.*)$")

SAMPLE = citations.Citation(
    kind="provision",
    record_id="P-000123",
    title="Acme {AI} & Co, Usage Policy (Safety › 100% of bots_), provision P-000123",
    platform="Acme {AI} & Co",
    document="Usage Policy",
    document_record_id="D-000004",
    version_id="D-000004@0123456789ab",
    captured_at=dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.UTC),
    origin="ota",
    origin_ref="genai-contrib-versions@abcdef0123456789:Acme/Usage Policy.md",
    commit="abcdef0123456789abcdef0123456789abcdef01",
    source_url="https://acme.example/policy",
    version_sha256="0123456789abcdef" + "a" * 48,
    text_sha256="fedcba9876543210" + "b" * 48,
    permalink="https://atlas.example/provisions/P-000123/?version=D-000004@0123456789ab",
    accessed=dt.date(2026, 12, 1),
)


def read_ris(text: str) -> list[tuple[str, str]]:
    lines = text.split("\r\n")
    assert lines[-1] == ""  # every line ends with CRLF, the last one too
    fields = []
    for line in lines[:-1]:
        match = RIS_LINE.match(line) or re.match(r"^(?P<tag>ER)  -(?P<value>)$", line)
        assert match, f"not a RIS line: {line!r}"
        fields.append((match["tag"], match["value"]))
    return fields


def render_csl(items: list[dict], style: str) -> str:
    bibliography = CitationStylesBibliography(
        CitationStylesStyle(style, validate=False), CiteProcJSON(items), formatter.plain
    )
    bibliography.register(CiteprocCitation([CitationItem(items[0]["id"].lower())]))
    return str(bibliography.bibliography()[0])


def test_bibtex_parses_back_with_every_field():
    library = bibtexparser.parse_string(citations.as_bibtex(SAMPLE))
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "misc" and entry.key == "atlasP000123v0123456789ab"
    assert entry["url"] == SAMPLE.permalink
    assert entry["urldate"] == "2026-12-01"
    assert entry["year"] == "2025" and entry["month"] == "3"
    # LaTeX specials are escaped, so the braces of the value stay balanced.
    assert entry["title"] == (
        r"Acme \textbraceleft{}AI\textbraceright{} \& Co, Usage Policy "
        r"(Safety › 100\% of bots\_), provision P-000123"
    )
    assert entry["author"] == r"{Acme \textbraceleft{}AI\textbraceright{} \& Co}"
    assert "P-000123" in entry["howpublished"]
    for needle in (
        "2025-03-01T12:30:00Z",
        SAMPLE.commit,
        SAMPLE.version_sha256,
        SAMPLE.text_sha256,
        SAMPLE.version_id,
        SAMPLE.source_url,
    ):
        assert needle in entry["note"]


def test_ris_reads_back_field_by_field():
    fields = read_ris(citations.as_ris(SAMPLE))
    assert fields[0] == ("TY", "ELEC") and fields[-1] == ("ER", "")
    values = dict(fields)
    assert values["TI"] == SAMPLE.title
    assert values["AU"] == SAMPLE.platform
    assert values["T2"] == "Usage Policy"
    assert values["DA"] == "2025/03/01" and values["PY"] == "2025"
    assert values["Y2"] == "2026/12/01"
    assert values["UR"] == SAMPLE.permalink
    assert values["M1"] == "P-000123"
    assert values["ET"] == SAMPLE.version_id  # the version, by its public ID
    assert values["L2"] == SAMPLE.source_url  # the publisher's page
    assert SAMPLE.version_sha256 in values["N1"] and SAMPLE.text_sha256 in values["N1"]
    assert "Open Terms Archive commit " + SAMPLE.commit in values["N1"]


@pytest.mark.parametrize("style", STYLES)
def test_csl_json_renders_in_two_styles(style):
    items = citations.as_csl_json(SAMPLE)
    text = render_csl(items, style)
    assert SAMPLE.platform in text
    assert SAMPLE.permalink in text
    assert items[0]["source"] == SAMPLE.source_url and SAMPLE.source_url in items[0]["note"]
    assert items[0]["version"] == SAMPLE.version_id
    assert "2025" in text
    assert "2026" in text  # the access date


def test_plain_text_carries_record_capture_time_and_hash_prefixes():
    text = citations.as_text(SAMPLE)
    assert "P-000123" in text
    assert "2025-03-01T12:30:00Z" in text
    assert "0123456789abcdef" in text and "fedcba9876543210" in text
    assert SAMPLE.version_sha256 not in text  # the prefix, not the whole hash
    assert "Open Terms Archive commit " + SAMPLE.commit in text
    assert f"version {SAMPLE.version_id} captured" in text
    assert f"Source: {SAMPLE.source_url}" in text


def test_json_is_complete_and_serializable():
    data = citations.as_json(SAMPLE)
    assert data["captured_at"] == "2025-03-01T12:30:00Z"
    assert data["accessed"] == "2026-12-01"
    assert data["origin_name"] == "Open Terms Archive"
    assert data["text_sha256"] == SAMPLE.text_sha256
    assert data["source_url"] == SAMPLE.source_url and data["version_id"] == SAMPLE.version_id


# -- served by the API ---------------------------------------------------------------------


@pytest.mark.django_db
def test_provision_citation_in_every_format(client, world):
    provision = world["csam"]
    span = Span.objects.select_related("version").get(
        provision=provision, version=provision.last_version
    )
    url = f"/api/v1/provisions/{provision.record_id}/citation/"
    data = client.get(url).json()
    assert data["record_id"] == provision.record_id
    assert data["version_id"] == span.version.public_id
    assert data["quote"] == span.version.text[span.start : span.end]
    assert data["version_sha256"] == span.version.sha256 == sha256_text(span.version.text)
    assert data["text_sha256"] == sha256_text(span.version.text[span.start : span.end])
    assert data["permalink"].endswith(
        f"/provisions/{provision.record_id}/?version={span.version.public_id}"
    )
    assert data["accessed"] == timezone.localdate().isoformat()
    assert data["platform"] == "Alpha AI" and data["document"] == "Usage Policy"

    bibtex = client.get(url, {"format": "bibtex"})
    assert bibtex["Content-Type"] == "application/x-bibtex; charset=utf-8"
    (entry,) = bibtexparser.parse_string(bibtex.content.decode()).entries
    assert entry["url"] == data["permalink"]

    ris = dict(read_ris(client.get(url, {"format": "ris"}).content.decode()))
    assert ris["M1"] == provision.record_id and ris["UR"] == data["permalink"]
    assert ris["L2"] == span.version.source_url == data["source_url"] != ""

    csl = client.get(url, {"format": "csl-json"})
    assert csl["Content-Type"] == "application/vnd.citationstyles.csl+json"
    for style in STYLES:
        assert data["permalink"] in render_csl(csl.json(), style)

    text = client.get(url, {"format": "text"}).content.decode()
    assert provision.record_id in text
    assert data["captured_at"] in text
    assert data["version_sha256"][:16] in text and data["text_sha256"][:16] in text


@pytest.mark.django_db
def test_provision_citation_pins_an_earlier_version(client, world):
    provision = world["csam"]
    first = provision.first_version
    assert first.pk != provision.last_version_id
    data = client.get(
        f"/api/v1/provisions/{provision.record_id}/citation/", {"version": first.public_id}
    ).json()
    assert data["version_id"] == first.public_id and data["version_sha256"] == first.sha256
    assert data["permalink"].endswith(f"?version={first.public_id}")
    other = world["beta"].latest_version.public_id
    response = client.get(f"/api/v1/provisions/{provision.record_id}/citation/", {"version": other})
    assert response.status_code == 400 and "version" in response.json()["parameters"]


@pytest.mark.django_db
def test_document_and_version_citations(client, world):
    document = world["alpha"]
    data = client.get(f"/api/v1/documents/{document.record_id}/citation/").json()
    assert data["kind"] == "document" and data["record_id"] == document.record_id
    latest = document.latest_version
    assert data["version_id"] == latest.public_id
    assert data["text_sha256"] is None
    assert data["permalink"].endswith(f"/versions/{latest.public_id}/")
    first = document.versions.get(ordinal=1)
    url = f"/api/v1/versions/{first.public_id}/citation/"
    text = client.get(url, {"format": "text"}).content.decode()
    assert document.record_id in text and first.sha256[:16] in text
    (entry,) = bibtexparser.parse_string(
        client.get(url, {"format": "bibtex"}).content.decode()
    ).entries
    assert entry.key == f"atlas{document.record_id.replace('-', '')}v{first.sha256[:12]}"
    assert entry["url"].endswith(f"/versions/{first.public_id}/")


@pytest.mark.django_db
def test_citation_errors_are_json_whatever_the_format(client, world):
    response = client.get("/api/v1/provisions/P-999999/citation/", {"format": "bibtex"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == 404
    response = client.get(
        f"/api/v1/provisions/{world['csam'].record_id}/citation/", {"format": "docx"}
    )
    assert response.status_code == 400 and "format" in response.json()["parameters"]


@pytest.mark.django_db
def test_former_numeric_version_links_redirect_to_the_public_id(client, world):
    provision = world["csam"]
    first = provision.first_version
    url = f"/api/v1/provisions/{provision.record_id}/citation/"
    moved = client.get(url, {"version": first.pk, "format": "ris"})
    assert moved.status_code == 301
    assert moved["Location"] == f"{url}?version={first.public_id}&format=ris"
    assert client.get(moved["Location"]).status_code == 200
    moved = client.get(f"/api/v1/versions/{first.pk}/citation/?format=text")
    assert moved.status_code == 301
    assert moved["Location"] == f"/api/v1/versions/{first.public_id}/citation/?format=text"
    page = client.get(f"/provisions/{provision.record_id}/", {"version": first.pk})
    assert page.status_code == 301
    assert page["Location"] == f"/provisions/{provision.record_id}/?version={first.public_id}"
    version_page = client.get(f"/versions/{first.pk}/verify/")
    assert version_page.status_code == 301
    assert version_page["Location"] == f"/versions/{first.public_id}/verify/"
    assert client.get(f"/versions/{first.pk + 100000}/").status_code == 404
    assert client.get(url, {"version": first.pk + 100000}).status_code == 404


@pytest.mark.django_db
def test_pages_and_api_never_show_a_version_database_key(client, world):
    """Every link to a version, on the pages and in the API, names it by its public ID."""
    provision = world["csam"]
    keys = {str(pk) for pk in provision.spans.values_list("version_id", flat=True)}
    pages = [
        f"/provisions/{provision.record_id}/",
        f"/versions/{provision.last_version.public_id}/",
        provision.document.get_absolute_url(),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        for key in keys:
            assert f'version={key}"' not in html and f"/versions/{key}/" not in html, url
            assert f'value="{key}"' not in html, url
    data = client.get(f"/api/v1/provisions/{provision.record_id}/").json()
    versions = [data["first_version"], data["last_version"]]
    versions += [span["version"] for span in data["history"]]
    versions += [revision["first_version"] for revision in data["revisions"]]
    assert all(re.fullmatch(r"D-\d{6}@[0-9a-f]{12}", v) for v in versions), versions
