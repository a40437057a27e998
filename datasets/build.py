"""The dataset download: every provision, version and capture in one zip, with a data
dictionary and the licence notes, rebuilt by the worker after each pipeline run.

The zip is reproducible: the same stored data gives the same bytes (fixed member dates, rows
in record order), except the citations' access date, which is the day of the build. It is
written beside the previous one under a name carrying its sha256, then the manifest
(``atlas-dataset.json``: file name, sha256, size, counts, build time) is replaced atomically,
so a reader always finds a complete zip whose hash the manifest gives. The previous zip is
kept until the next build, for downloads already under way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from datasets.rows import (
    CAPTURE_FIELDS,
    CITATION_FIELDS,
    PROVISION_FIELDS,
    VERSION_FIELDS,
    Field,
    capture_rows,
    captures_for_export,
    provision_rows,
    provisions_for_export,
    version_rows,
    versions_for_export,
)
from provisions.models import Capture, Origin, Provision, Version

MANIFEST = "atlas-dataset.json"
MEMBER_DATE = (2020, 1, 1, 0, 0, 0)  # fixed, so identical data gives identical bytes
CHUNK_SIZE = 2000
ODC_BY = "https://opendatacommons.org/licenses/by/1-0/"


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    fields: list[Field]


TABLES = [
    Table(
        "provisions",
        "One row per provision (clause), as it reads in the last version containing it, with "
        "its clause type and its citation record in every format.",
        [*PROVISION_FIELDS, *CITATION_FIELDS],
    ),
    Table(
        "versions",
        "One row per stored version of a document, with its verbatim text.",
        VERSION_FIELDS,
    ),
    Table("captures", "One row per capture (observation) of a version.", CAPTURE_FIELDS),
]


def dataset_dir() -> Path:
    return Path(settings.ATLAS_DATA_DIR) / "dataset"


def read_manifest(directory: Path | None = None) -> dict | None:
    """The current build's manifest, or None before the first build."""
    try:
        return json.loads(((directory or dataset_dir()) / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        return None


def build_dataset(*, directory: Path | None = None, base_url: str | None = None) -> dict:
    """Write the zip and its manifest; return the manifest."""
    directory = directory or dataset_dir()
    directory.mkdir(parents=True, exist_ok=True)
    base = settings.ATLAS_SITE_URL if base_url is None else base_url
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".building-", suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            counts = _write_tables(zf, base_url=base)
            _write(zf, "DATA_DICTIONARY.md", data_dictionary(base_url=base))
            _write(zf, "datapackage.json", json.dumps(datapackage(counts), indent=2) + "\n")
            _write(zf, "LICENCE.md", licence_notes())
        digest, size = _sha256(temporary)
        name = f"atlas-dataset-{digest[:16]}.zip"
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    manifest = {
        "file": name,
        "sha256": digest,
        "bytes": size,
        "built_at": timezone.now().isoformat(),
        "counts": counts,
    }
    previous = read_manifest(directory)
    _replace_text(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    _prune(directory, keep={name, previous["file"] if previous else name})
    return manifest


def _write_tables(zf: zipfile.ZipFile, *, base_url: str) -> dict[str, int]:
    provisions = provisions_for_export(Provision.objects.order_by("pk"))
    versions = versions_for_export(Version.objects.order_by("document_id", "ordinal", "pk"))
    sources = {
        "provisions": provision_rows(
            provisions.iterator(chunk_size=CHUNK_SIZE), base_url=base_url, include_citation=True
        ),
        "versions": version_rows(versions.iterator(chunk_size=100), base_url=base_url),
        "captures": capture_rows(captures_for_export().iterator(chunk_size=CHUNK_SIZE)),
    }
    counts = {}
    for table in TABLES:
        counts[table.name] = _write_table(zf, table, sources[table.name])
    return counts


def _write_table(zf: zipfile.ZipFile, table: Table, rows) -> int:
    """``<name>.csv`` and ``<name>.jsonl`` from one pass over the rows (a zip takes one member
    at a time: the JSON Lines wait in a temporary file)."""
    names = [field.name for field in table.fields]
    count = 0
    with tempfile.TemporaryFile() as jsonl:
        with zf.open(_info(f"{table.name}.csv"), "w") as member:
            text = io.TextIOWrapper(member, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(names)
            for row in rows:
                writer.writerow(["" if row.get(name) is None else row[name] for name in names])
                jsonl.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
                count += 1
            text.flush()
            text.detach()
        jsonl.seek(0)
        with zf.open(_info(f"{table.name}.jsonl"), "w") as member:
            shutil.copyfileobj(jsonl, member, 1 << 20)
    return count


def data_dictionary(*, base_url: str) -> str:
    lines = [
        "# Atlas dataset: data dictionary",
        "",
        "Each table comes twice, with the same rows and columns: as CSV (`<table>.csv`, UTF-8,",
        "RFC 4180 quoting, a header row) and as JSON Lines (`<table>.jsonl`, one object a line;",
        'empty CSV cells are `null` or `""` there). `datapackage.json` describes the CSV files',
        "as a Frictionless Data Package.",
        "",
        "A version's public ID (`D-000015@3f2a9c1e0b7d`) is its document's record ID and the",
        "first 12 hex digits of the SHA-256 of its text: anyone holding the text can check it.",
        "Permalinks are "
        + (f"absolute, on {base_url}." if base_url else "paths on the Atlas site that built it."),
        "",
    ]
    for table in TABLES:
        lines += [f"## {table.name}", "", table.description, "", "| column | type | meaning |"]
        lines.append("| --- | --- | --- |")
        lines += [f"| `{f.name}` | {f.type} | {f.description} |" for f in table.fields]
        lines.append("")
    return "\n".join(lines)


def datapackage(counts: dict[str, int]) -> dict:
    return {
        "name": "atlas-ai-platform-policies",
        "title": "Atlas: AI platform policies, clause by clause",
        "licenses": [
            {
                "name": "ODC-BY-1.0",
                "path": ODC_BY,
                "title": "Open Data Commons Attribution License 1.0 (Open Terms Archive data)",
            }
        ],
        "resources": [
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": table.description,
                "rows": counts.get(table.name, 0),
                "schema": {
                    "fields": [
                        {"name": f.name, "type": f.type, "description": f.description}
                        for f in table.fields
                    ]
                },
            }
            for table in TABLES
        ],
    }


def licence_notes() -> str:
    licences = Counter(
        licence or "not stated"
        for licence in Capture.objects.filter(version__origin=Origin.CORPUS).values_list(
            "licence", flat=True
        )
    )
    listed = "\n".join(f"- {name}: {count} captures" for name, count in sorted(licences.items()))
    return f"""# Licences and attribution

## Open Terms Archive data (ODC-BY 1.0)

Versions whose `origin` is `ota` (and their captures) come from Open Terms Archive versions
repositories, published under the Open Data Commons Attribution License 1.0
({ODC_BY}). Any use must keep this attribution:

> Contains data from Open Terms Archive (https://opentermsarchive.org), licensed under
> ODC-BY 1.0. Attribution: Open Terms Archive contributors.

## Corpus files

Versions whose `origin` is `corpus` come from corpus folders whose manifest names each file's
source and licence (the `licence` column of `captures`). Licences stated by corpus captures:

{listed or "- (no corpus captures)"}

## Live fetches

Versions whose `origin` is `live` were fetched by Atlas from the publisher's page
(`source_url`).

## The policy texts

The policy texts remain the copyright of the platforms that published them; they are
reproduced verbatim, with their source, as evidence.

## Atlas's annotations

Clause types, scores, confidence, severity and record IDs are Atlas's annotations. Cite Atlas
and the record IDs (each row carries its citation) when you use them.
"""


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=MEMBER_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write(zf: zipfile.ZipFile, name: str, text: str) -> None:
    zf.writestr(_info(name), text.encode("utf-8"))


def _sha256(path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _replace_text(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".manifest-")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def _prune(directory: Path, *, keep: set[str]) -> None:
    for path in directory.glob("atlas-dataset-*.zip"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
