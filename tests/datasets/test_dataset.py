"""The dataset download: every provision, version and capture with a data dictionary and
licence notes, built by a named function (the worker's pipeline step and a management
command), reproducible, served with its sha256."""

import csv
import hashlib
import io
import json
import zipfile

import bibtexparser
import pytest
from django.core.management import call_command

from atlas import pipeline
from datasets import tasks
from datasets.build import MANIFEST, build_dataset, read_manifest
from provisions.models import Capture, Provision, Version

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.ATLAS_DATA_DIR = tmp_path
    settings.ATLAS_SITE_URL = "https://atlas.example"
    return tmp_path / "dataset"


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_dataset_holds_every_record_with_dictionary_and_licence(world, data_dir):
    manifest = build_dataset()
    path = data_dir / manifest["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["sha256"]
    assert manifest["bytes"] == path.stat().st_size
    files = members(path)
    assert set(files) == {
        "provisions.csv",
        "provisions.jsonl",
        "versions.csv",
        "versions.jsonl",
        "captures.csv",
        "captures.jsonl",
        "DATA_DICTIONARY.md",
        "datapackage.json",
        "LICENCE.md",
    }
    provisions = list(csv.DictReader(io.StringIO(files["provisions.csv"].decode())))
    assert [r["record_id"] for r in provisions] == [
        p.record_id for p in Provision.objects.order_by("pk")
    ]
    assert manifest["counts"] == {
        "provisions": Provision.objects.count(),
        "versions": Version.objects.count(),
        "captures": Capture.objects.count(),
    }
    row = next(r for r in provisions if r["record_id"] == world["csam"].record_id)
    assert row["permalink"].startswith("https://atlas.example/provisions/")
    (entry,) = bibtexparser.parse_string(row["citation_bibtex"]).entries
    assert entry["url"] == row["permalink"]
    versions = [json.loads(line) for line in files["versions.jsonl"].decode().splitlines()]
    assert {v["version_id"]: v["text"] for v in versions} == {
        v.public_id: v.text for v in Version.objects.all()
    }
    dictionary = files["DATA_DICTIONARY.md"].decode()
    for column in ("record_id", "version_id", "text_sha256", "citation_bibtex", "licence"):
        assert f"`{column}`" in dictionary
    package = json.loads(files["datapackage.json"])
    assert [r["rows"] for r in package["resources"]] == list(manifest["counts"].values())
    licence = files["LICENCE.md"].decode()
    assert "ODC-BY 1.0" in licence and "Open Terms Archive contributors" in licence


def test_the_same_data_builds_the_same_bytes_and_the_previous_build_is_kept(world, data_dir):
    first = build_dataset()
    second = build_dataset()
    assert first["sha256"] == second["sha256"] and first["file"] == second["file"]
    assert read_manifest()["sha256"] == second["sha256"]
    assert len(list(data_dir.glob("atlas-dataset-*.zip"))) == 1
    assert not list(data_dir.glob(".building-*"))


def test_the_page_and_the_download_give_the_same_sha256(client, world, data_dir):
    page = client.get("/data/")
    assert page.status_code == 200 and "has not been built yet" in page.content.decode()
    assert client.get("/data/atlas-dataset.zip").status_code == 404
    manifest = build_dataset()
    page = client.get("/data/").content.decode()
    assert manifest["sha256"] in page and "ODC-BY 1.0" in page
    response = client.get("/data/atlas-dataset.zip")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == manifest["sha256"] == response["X-Checksum-SHA256"]
    assert manifest["file"] in response["Content-Disposition"]


def test_the_worker_step_and_the_command_build_it(world, data_dir, capsys):
    result = tasks.build_dataset()
    assert result["sha256"] == json.loads((data_dir / MANIFEST).read_text())["sha256"]
    assert tasks.build_dataset()["sha256"] == result["sha256"]  # twice: the same
    call_command("build_dataset", "--base-url", "")
    out = capsys.readouterr().out
    assert "sha256" in out and f"{Provision.objects.count()} provisions" in out
    assert pipeline.DATASET in [s.task for s in pipeline.after_new_versions([1]).tasks]
    assert pipeline.DATASET in [s.task for s in pipeline.after_curation().tasks]
