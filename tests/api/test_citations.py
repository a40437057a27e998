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
    version_id=45,
    captured_at=dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.UTC),
    origin="ota",
    origin_ref="genai-contrib-versions@abcdef0123456789:Acme/Usage Policy.md",
    commit="abcdef0123456789abcdef0123456789abcdef01",
    source_url="https://acme.example/policy",
    version_sha256="0123456789abcdef" + "a" * 48,
    text_sha256="fedcba9876543210" + "b" * 48,
    permalink="https://atlas.example/provisions/P-000123/?version=45",
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
    assert entry.entry_type == "misc" and entry.key == "atlasP000123v45"
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
    assert SAMPLE.version_sha256 in values["N1"] and SAMPLE.text_sha256 in values["N1"]
    assert "Open Terms Archive commit " + SAMPLE.commit in values["N1"]


@pytest.mark.parametrize("style", STYLES)
def test_csl_json_renders_in_two_styles(style):
    items = citations.as_csl_json(SAMPLE)
    text = render_csl(items, style)
    assert SAMPLE.platform in text
    assert SAMPLE.permalink in text
    assert "2025" in text
    assert "2026" in text  # the access date


def test_plain_text_carries_record_capture_time_and_hash_prefixes():
    text = citations.as_text(SAMPLE)
    assert "P-000123" in text
    assert "2025-03-01T12:30:00Z" in text
    assert "0123456789abcdef" in text and "fedcba9876543210" in text
    assert SAMPLE.version_sha256 not in text  # the prefix, not the whole hash
    assert "Open Terms Archive commit " + SAMPLE.commit in text


def test_json_is_complete_and_serializable():
    data = citations.as_json(SAMPLE)
    assert data["captured_at"] == "2025-03-01T12:30:00Z"
    assert data["accessed"] == "2026-12-01"
    assert data["origin_name"] == "Open Terms Archive"
    assert data["text_sha256"] == SAMPLE.text_sha256


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
    assert data["version_id"] == span.version_id
    assert data["version_sha256"] == span.version.sha256 == sha256_text(span.version.text)
    assert data["text_sha256"] == sha256_text(span.version.text[span.start : span.end])
    assert data["permalink"].endswith(
        f"/provisions/{provision.record_id}/?version={span.version_id}"
    )
    assert data["accessed"] == timezone.localdate().isoformat()
    assert data["platform"] == "Alpha AI" and data["document"] == "Usage Policy"

    bibtex = client.get(url, {"format": "bibtex"})
    assert bibtex["Content-Type"] == "application/x-bibtex; charset=utf-8"
    (entry,) = bibtexparser.parse_string(bibtex.content.decode()).entries
    assert entry["url"] == data["permalink"]

    ris = dict(read_ris(client.get(url, {"format": "ris"}).content.decode()))
    assert ris["M1"] == provision.record_id and ris["UR"] == data["permalink"]

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
        f"/api/v1/provisions/{provision.record_id}/citation/", {"version": first.pk}
    ).json()
    assert data["version_id"] == first.pk and data["version_sha256"] == first.sha256
    assert data["permalink"].endswith(f"?version={first.pk}")
    other = world["beta"].latest_version_id
    response = client.get(f"/api/v1/provisions/{provision.record_id}/citation/", {"version": other})
    assert response.status_code == 400 and "version" in response.json()["parameters"]


@pytest.mark.django_db
def test_document_and_version_citations(client, world):
    document = world["alpha"]
    data = client.get(f"/api/v1/documents/{document.record_id}/citation/").json()
    assert data["kind"] == "document" and data["record_id"] == document.record_id
    assert data["version_id"] == document.latest_version_id
    assert data["text_sha256"] is None
    assert data["permalink"].endswith(f"/versions/{document.latest_version_id}/")
    first = document.versions.get(ordinal=1)
    text = client.get(f"/api/v1/versions/{first.pk}/citation/", {"format": "text"}).content.decode()
    assert document.record_id in text and first.sha256[:16] in text
    (entry,) = bibtexparser.parse_string(
        client.get(f"/api/v1/versions/{first.pk}/citation/", {"format": "bibtex"}).content.decode()
    ).entries
    assert entry.key == f"atlas{document.record_id.replace('-', '')}v{first.pk}"


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
