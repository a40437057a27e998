"""Verify a document you hold: /verify/ (a pasted SHA-256 or an uploaded file) and
``GET /api/v1/versions/?sha256=``, with every normalisation said, never silent."""

import codecs
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from provisions import verification
from provisions.ingest import import_sources
from provisions.models import Version
from tests.factories import write_acme

pytestmark = pytest.mark.django_db

V1 = "# Policy\n\n- Do not generate malware.\n- Do not harass people.\n"
V2 = "# Policy\r\n\r\n- Do not generate malware.\r\n- Do not harass anyone.\r\n"  # stored CRLF
V3 = "# Politique\n\n- Ne générez pas de logiciels malveillants.\n"


@pytest.fixture
def versions(tmp_path):
    import_sources([str(write_acme(tmp_path, V1, V2, V3))])
    return {v.text: v for v in Version.objects.all()}


def upload(client, data: bytes, name="policy.md"):
    return client.post("/verify/", {"file": SimpleUploadedFile(name, data)})


def test_a_pasted_sha256_names_the_version_when_and_where(client, versions):
    version = versions[V1]
    response = client.get("/verify/", {"sha256": f"  {version.sha256.upper()} "})
    assert response.status_code == 200
    page = response.content.decode()
    assert version.public_id in page and version.get_absolute_url() in page
    assert "2025-01-01" in page and "https://acme.example/aup" in page
    assert "1 stored version match" in page
    assert "compared as given" in page


def test_an_unknown_sha256_says_no_stored_version_has_it(client, versions):
    response = client.get("/verify/", {"sha256": "ab" * 32})
    assert response.status_code == 200
    assert "No stored version has this SHA-256" in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "g" * 64, "a" * 65, ""])
def test_a_malformed_sha256_is_a_400_saying_what_a_sha256_is(client, versions, value):
    response = client.get("/verify/", {"sha256": value})
    assert response.status_code == 400
    assert "64 hexadecimal digits" in response.content.decode()


def test_the_exact_file_matches_without_normalisation(client, versions):
    page = upload(client, V1.encode()).content.decode()
    assert versions[V1].public_id in page
    assert "none: the exact bytes match" in page


@pytest.mark.parametrize(
    ("text", "data", "said"),
    [
        (V1, codecs.BOM_UTF8 + V1.encode(), "UTF-8 byte-order mark removed"),
        (V1, V1.replace("\n", "\r\n").encode(), "line endings CRLF/CR turned into LF"),
        (V1, V1.rstrip("\n").encode(), "final newline added"),
        (V2, V2.replace("\r\n", "\n").encode(), "line endings turned into CRLF"),
        (V3, codecs.BOM_UTF16_LE + V3.encode("utf-16-le"), "decoded from UTF-16"),
        (V3, V3.encode("cp1252"), "decoded from Windows-1252"),
    ],
)
def test_a_normalised_copy_matches_and_the_page_says_which_normalisation(
    client, versions, text, data, said
):
    assert hashlib.sha256(data).hexdigest() != versions[text].sha256
    response = upload(client, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert versions[text].public_id in page
    assert said in page
    assert "none: the exact bytes match" not in page


def test_a_file_one_character_away_matches_nothing(client, versions):
    page = upload(client, V1.replace("malware", "Malware").encode()).content.decode()
    assert "No stored version has this text" in page
    assert not any(v.public_id in page for v in versions.values())


def test_candidates_try_the_fewest_normalisations_first():
    found = verification.candidates(codecs.BOM_UTF8 + b"a\r\nb", max_bytes=100)
    assert (
        found[0].steps == ()
        and found[0].sha256 == hashlib.sha256(codecs.BOM_UTF8 + b"a\r\nb").hexdigest()
    )
    assert [len(c.steps) for c in found] == sorted(len(c.steps) for c in found)
    assert len({c.sha256 for c in found}) == len(found)


def test_the_page_documents_each_normalisation(client):
    page = client.get("/verify/").content.decode()
    for words in ("Byte-order mark", "Encoding", "Line endings", "Final newline", "Windows-1252"):
        assert words in page
    assert 'enctype="multipart/form-data"' in page and 'method="get"' in page


# -- hostile uploads ----------------------------------------------------------------------


def test_an_upload_over_the_limit_is_a_413_naming_the_limit(client, versions, settings):
    settings.ATLAS_MAX_DOCUMENT_BYTES = 1000
    response = upload(client, b"a" * 1001)
    assert response.status_code == 413
    assert "1,000 bytes" in response.content.decode()
    response = upload(client, b"a" * 200_000)  # refused before the body is read
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01binary\x00", "not text"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "not utf-16-le"),
    ],
)
def test_an_empty_binary_or_broken_file_is_a_400_saying_why(client, versions, data, said):
    response = upload(client, data)
    assert response.status_code == 400
    assert said in response.content.decode()


def test_a_post_without_a_file_is_a_400(client, versions):
    response = client.post("/verify/", {"sha256": "x"})
    assert response.status_code == 400
    assert "Choose a file" in response.content.decode()


def test_a_hostile_file_name_is_escaped(client, versions):
    page = upload(client, V1.encode(), name="<img src=x onerror=alert(1)>.md").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.md" in page


# -- the API ----------------------------------------------------------------------------------


def test_the_api_finds_versions_by_sha256(client, versions):
    version = versions[V2]
    data = client.get("/api/v1/versions/", {"sha256": version.sha256.upper()}).json()
    assert data["count"] == 1
    (found,) = data["results"]
    assert found["id"] == version.public_id and found["captured_at"].startswith("2025-01-02")
    assert found["source_url"] == "https://acme.example/aup"
    none = client.get("/api/v1/versions/", {"sha256": "0" * 64}).json()
    assert none["count"] == 0 and none["results"] == []


@pytest.mark.parametrize("value", ["xyz", "a" * 63, "a" * 64 + "g", "é" * 64])
def test_the_api_refuses_a_malformed_sha256_naming_the_parameter(client, versions, value):
    response = client.get("/api/v1/versions/", {"sha256": value})
    assert response.status_code == 400
    assert "sha256" in response.json()["parameters"]
