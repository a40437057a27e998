"""Corpus folders: a ``manifest.json`` listing each file (path, sha256, source URL, licence)
and the platform and document it is a version of. Every entry and every listed file is
validated before anything is stored; nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from datetime import UTC, datetime, time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from provisions.reading import Capture, SourceError, check_size, decode_document, parse_variant

# Corpus manifests name their platform and document with URL slugs (ASCII, lowercase).
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_SLUG = {"platform": 80, "document": 120}  # the model fields' lengths
MAX_NAME = {"platform_name": 200, "document_name": 300}
MAX_PATH = 300  # keeps the capture key, path and origin_ref within their columns
MAX_MANIFEST_BYTES = 50_000_000
URL_VALIDATOR = URLValidator(schemes=["http", "https"])

MANIFEST_FIELDS = ("platform", "platform_name", "document", "document_name", "path", "sha256")
# ``text_variant``: the text's region and language ("EU:en"), as ``--variant`` declares them
# (the shared corpus uses ``variant`` for another thing: which Llama licence a text is).
OPTIONAL_TEXT = {"source_url": 1000, "license": 100, "retrieved_from": 400, "text_variant": 40}


def corpus_key(entry: dict) -> str:
    """What identifies a corpus capture: its target document as well as its file, so the same
    bytes listed for another platform or document are another capture."""
    return f"corpus:{entry['platform']}/{entry['document']}/{entry['path']}@{entry['sha256']}"


def read_corpus(folder: Path, *, known_keys: set[str], max_bytes: int) -> list[Capture]:
    manifest_path = folder / "manifest.json"
    root = folder.resolve()
    entries = read_manifest(root, manifest_path)
    captures = []
    numbers: dict[str, int] = {}  # key -> first entry number
    for number, entry in enumerate(entries, start=1):
        where = f"{manifest_path}: entry {number}"
        check_entry(entry, where=where)
        key = corpus_key(entry)
        if key in numbers:
            raise SourceError(f"{where} repeats entry {numbers[key]} (same target, file, sha256)")
        numbers[key] = number
        if key in known_keys:
            continue
        file_path, data = read_listed_file(root, entry["path"], where=where, max_bytes=max_bytes)
        text = decode_document(data, name=str(file_path), max_bytes=max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise SourceError(
                f"{file_path}: sha256 is {digest[:16]}…, the manifest says {entry['sha256'][:16]}…"
            )
        # The text's region and language: "EU:en" makes it that variant of the document.
        declared = entry.get("text_variant")
        region, language = parse_variant(declared, where=where) if declared else ("", "")
        captures.append(
            Capture(
                key=key,
                kind="corpus",
                region=region,
                language=language,
                captured_at=_corpus_date(entry, where),
                text=text,
                sha256=digest,
                path=entry["path"],
                origin="corpus",
                origin_ref=entry["path"],
                subject=f"retrieved from {entry['retrieved_from']}"
                if entry.get("retrieved_from")
                else "",
                source_url=entry.get("source_url", ""),
                licence=entry.get("license", ""),
                platform_slug=entry["platform"],
                platform_name=entry["platform_name"],
                document_slug=entry["document"],
                document_name=entry["document_name"],
            )
        )
    return captures


def read_manifest(root: Path, manifest_path: Path) -> list:
    try:
        _, data = read_listed_file(
            root, "manifest.json", where=str(manifest_path), max_bytes=MAX_MANIFEST_BYTES
        )
        entries = json.loads(data)
    except (SourceError, ValueError, RecursionError) as error:
        raise SourceError(f"{manifest_path}: unreadable manifest ({error})") from None
    if not isinstance(entries, list):
        raise SourceError(f"{manifest_path}: expected a JSON list of entries")
    return entries


def check_entry(entry, *, where: str) -> None:
    """Every field that will be stored or shown is checked before anything is read."""
    if not isinstance(entry, dict):
        raise SourceError(f"{where}: expected a JSON object")
    missing = [f for f in MANIFEST_FIELDS if not entry.get(f)]
    if missing:
        raise SourceError(f"{where} lacks {', '.join(missing)}")
    fields = (*MANIFEST_FIELDS, *OPTIONAL_TEXT)
    not_text = [f for f in fields if f in entry and not isinstance(entry[f], str)]
    if not_text:
        raise SourceError(f"{where}: {', '.join(not_text)} must be text")
    for field, limit in MAX_SLUG.items():
        if len(entry[field]) > limit or not SLUG.match(entry[field]):
            raise SourceError(
                f"{where}: {field} {entry[field][:100]!r} is not a slug (lowercase ASCII "
                f"letters and digits, joined by single - or _, at most {limit} characters)"
            )
    for field, limit in {**MAX_NAME, **OPTIONAL_TEXT}.items():
        value = entry.get(field, "")
        if len(value) > limit or not value.isprintable():
            raise SourceError(f"{where}: {field} is over {limit} characters or not printable")
    if not SHA256.match(entry["sha256"]):
        raise SourceError(f"{where}: sha256 must be 64 lowercase hexadecimal digits")
    if entry.get("source_url"):
        try:
            URL_VALIDATOR(entry["source_url"])
        except ValidationError:
            raise SourceError(
                f"{where}: source_url {entry['source_url'][:100]!r} is not an http(s) URL"
            ) from None
    check_relative_path(entry["path"], where=where)
    if entry.get("text_variant"):
        parse_variant(entry["text_variant"], where=where)


def check_relative_path(path: str, *, where: str) -> None:
    parts = path.split("/")
    if (
        len(path) > MAX_PATH
        or not path.isprintable()
        or "\\" in path
        or path.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise SourceError(
            f"{where}: path {path[:100]!r} must be a relative path inside the corpus folder "
            f"(no '..', at most {MAX_PATH} characters)"
        )


def read_listed_file(
    root: Path, relative: str, *, where: str, max_bytes: int
) -> tuple[Path, bytes]:
    """The bytes of a regular file inside ``root`` (symlinks only to files inside it too).

    Opened without blocking and checked with fstat, so a FIFO or device listed in a manifest is
    refused instead of hanging the import or reading forever.
    """
    file_path = (root / relative).resolve()
    if root not in file_path.parents:
        raise SourceError(f"{where} points outside the corpus")
    try:
        descriptor = os.open(file_path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        raise SourceError(f"{file_path}: listed in the manifest but missing") from None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise SourceError(f"{file_path}: not a regular file")
        check_size(status.st_size, name=str(file_path), max_bytes=max_bytes)
        return file_path, handle.read(max_bytes + 1)


def _corpus_date(entry: dict, where: str) -> datetime:
    try:
        if entry.get("recorded_at"):
            return datetime.fromisoformat(entry["recorded_at"]).astimezone(UTC)
        day = datetime.strptime(entry["version_date"], "%Y-%m-%d").date()
        return datetime.combine(day, time(), tzinfo=UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise SourceError(f"{where} has no valid date") from None
