"""Read policy versions from their sources, validating everything before anything is stored.

Two kinds of source:

* an Open Terms Archive *versions* repository (a local clone, a git bundle, or a git URL):
  every commit touching ``<service>/<terms type>.md`` is one capture dated by its author date;
* a corpus folder with a ``manifest.json`` (path, sha256, source URL, licence for each file).

``read_source`` returns the captures not yet imported (``known_keys`` lists those that are),
or raises ``SourceError`` with a one-line message naming the offending file. Nothing here
touches the database.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

OTA_FILE = re.compile(r"^(?P<service>[^/]+)/(?P<terms>[^/]+)\.md$")
GIT_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")

FIRST_RECORD = ("First record of", "Start tracking")
CHANGE = ("Record new changes of", "Update ")
TECHNICAL = ("Apply technical or declaration upgrade on", "Refilter")


class SourceError(Exception):
    """A source cannot be imported; the message is one line and names the file."""


@dataclass(frozen=True)
class Capture:
    """One version of one document, as read from a source (not yet stored)."""

    key: str
    kind: str  # a CaptureKind value
    captured_at: datetime
    text: str
    sha256: str
    path: str  # OTA: "<service>/<terms type>"; corpus: path inside the corpus folder
    origin: str  # an Origin value
    origin_ref: str
    repository: str = ""
    commit: str = ""
    subject: str = ""
    source_url: str = ""
    licence: str = ""
    # Corpus files name their document directly:
    platform_slug: str = ""
    platform_name: str = ""
    document_slug: str = ""
    document_name: str = ""


def decode_document(data: bytes, *, name: str, max_bytes: int) -> str:
    """Bytes of a policy file -> text, or a SourceError saying exactly what is wrong."""
    if len(data) > max_bytes:
        raise SourceError(
            f"{name}: too large ({len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{name}: not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    if not text.strip():
        raise SourceError(f"{name}: empty document")
    if "\x00" in text:
        raise SourceError(f"{name}: contains NUL bytes (binary, not a policy text)")
    return text


def capture_kind(subject: str) -> str:
    if subject.startswith(FIRST_RECORD):
        return "first_record"
    if subject.startswith(TECHNICAL):
        return "technical"
    if subject.startswith(CHANGE):
        return "change"
    return "maintenance"


def is_git_url(source: str) -> bool:
    return bool(GIT_URL.match(source))


def read_source(
    source: str, *, known_keys: set[str], cache_dir: Path, max_bytes: int
) -> list[Capture]:
    path = Path(source)
    if is_git_url(source):
        return read_ota(source, known_keys=known_keys, cache_dir=cache_dir, max_bytes=max_bytes)
    if not path.exists():
        raise SourceError(f"{source}: no such file or folder")
    if path.is_dir() and (path / "manifest.json").exists():
        return read_corpus(path, known_keys=known_keys, max_bytes=max_bytes)
    return read_ota(source, known_keys=known_keys, cache_dir=cache_dir, max_bytes=max_bytes)


# -- Corpus folders ---------------------------------------------------------------------------

MANIFEST_FIELDS = ("platform", "platform_name", "document", "document_name", "path", "sha256")


def read_corpus(folder: Path, *, known_keys: set[str], max_bytes: int) -> list[Capture]:
    manifest_path = folder / "manifest.json"
    try:
        entries = json.loads(manifest_path.read_bytes())
    except (OSError, ValueError) as error:
        raise SourceError(f"{manifest_path}: unreadable manifest ({error})") from None
    if not isinstance(entries, list):
        raise SourceError(f"{manifest_path}: expected a JSON list of entries")
    captures = []
    for number, entry in enumerate(entries, start=1):
        missing = [f for f in MANIFEST_FIELDS if not isinstance(entry, dict) or not entry.get(f)]
        if missing:
            raise SourceError(f"{manifest_path}: entry {number} lacks {', '.join(missing)}")
        key = f"corpus:{entry['path']}@{entry['sha256']}"
        if key in known_keys:
            continue
        file_path = (folder / entry["path"]).resolve()
        if folder.resolve() not in file_path.parents:
            raise SourceError(f"{manifest_path}: entry {number} points outside the corpus")
        try:
            data = file_path.read_bytes()
        except OSError:
            raise SourceError(f"{file_path}: listed in the manifest but missing") from None
        text = decode_document(data, name=str(file_path), max_bytes=max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise SourceError(
                f"{file_path}: sha256 is {digest[:16]}…, the manifest says {entry['sha256'][:16]}…"
            )
        captures.append(
            Capture(
                key=key,
                kind="corpus",
                captured_at=_corpus_date(entry, manifest_path, number),
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


def _corpus_date(entry: dict, manifest_path: Path, number: int) -> datetime:
    try:
        if entry.get("recorded_at"):
            return datetime.fromisoformat(entry["recorded_at"]).astimezone(UTC)
        day = datetime.strptime(entry["version_date"], "%Y-%m-%d").date()
        return datetime.combine(day, time(), tzinfo=UTC)
    except (KeyError, TypeError, ValueError):
        raise SourceError(f"{manifest_path}: entry {number} has no valid date") from None


# -- Open Terms Archive versions repositories -------------------------------------------------


def _git(args: list[str], *, cwd: Path | None = None, what: str) -> bytes:
    try:
        result = subprocess.run(
            # A stalled network transfer fails after a minute instead of hanging `make run`.
            [
                "git",
                "-c",
                "core.quotePath=false",
                "-c",
                "http.lowSpeedLimit=1000",
                "-c",
                "http.lowSpeedTime=60",
                *args,
            ],
            cwd=cwd,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"{what}: git failed ({error})") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"{what}: {message[-1] if message else 'git failed'}")
    return result.stdout


def repository_name(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".bundle", ".git"):
        name = name.removesuffix(suffix)
    return name or "repository"


def open_repository(source: str, *, cache_dir: Path) -> Path:
    """A local git directory holding the source's history (bundles and URLs are cloned)."""
    path = Path(source)
    if path.is_dir() and not is_git_url(source):
        inside = subprocess.run(
            ["git", "rev-parse", "--git-dir"], cwd=path, capture_output=True, text=True
        )
        if inside.returncode != 0:
            raise SourceError(f"{source}: not a git repository")
        return path
    # A bundle that fails to verify or to clone is corrupt (verify alone only reads its header).
    failure = f"{source}: corrupt git bundle" if path.is_file() else f"{source}: cannot clone"
    if path.is_file():
        _git(["bundle", "verify", str(path.resolve())], what=failure)
    digest = hashlib.sha256(str(path.resolve() if path.exists() else source).encode()).hexdigest()
    clone = cache_dir / f"{repository_name(source)}-{digest[:10]}.git"
    remote = str(path.resolve()) if path.exists() else source
    if (clone / "HEAD").exists():
        _git(
            ["fetch", "--quiet", remote, "+refs/heads/*:refs/heads/*"],
            cwd=clone,
            what=failure,
        )
    else:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = clone.with_suffix(".tmp")
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
        _git(["clone", "--quiet", "--bare", remote, str(tmp)], what=failure)
        tmp.rename(clone)
    return clone


def read_ota(
    source: str, *, known_keys: set[str], cache_dir: Path, max_bytes: int
) -> list[Capture]:
    repo = open_repository(source, cache_dir=cache_dir)
    name = repository_name(source)
    log = _git(
        [
            "log",
            "--no-merges",
            "--reverse",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "-z",
            "--format=%x1e%H%x1f%aI%x1f%s",
            "HEAD",
        ],
        cwd=repo,
        what=f"{source}: git log",
    ).decode("utf-8", "replace")
    pending = []  # (commit, date, subject, path, blob)
    for commit, date, subject, path, blob in _parse_log(log):
        key = f"ota:{name}@{commit}:{path}"
        if key not in known_keys:
            pending.append((key, commit, date, subject, path, blob))
    blobs = _read_blobs(repo, [p[5] for p in pending], source=source)
    captures = []
    for key, commit, date, subject, path, blob in pending:
        where = f"{source}: {path} at commit {commit[:12]}"
        text = decode_document(blobs[blob], name=where, max_bytes=max_bytes)
        captures.append(
            Capture(
                key=key,
                kind=capture_kind(subject),
                captured_at=datetime.fromisoformat(date).astimezone(UTC),
                text=text,
                sha256=hashlib.sha256(blobs[blob]).hexdigest(),
                path=path.removesuffix(".md"),
                origin="ota",
                origin_ref=f"{name}@{commit}:{path}",
                repository=name,
                commit=commit,
                subject=subject[:500],
                licence="ODC-BY-1.0",
            )
        )
    return captures


def _parse_log(log: str) -> Iterable[tuple[str, str, str, str, str]]:
    for chunk in log.split("\x1e"):
        if not chunk.strip():
            continue
        header, _, raw = chunk.partition("\x00")
        commit, date, subject = header.split("\x1f", 2)
        fields = raw.lstrip("\n").split("\x00")
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.split()
            if len(parts) < 5 or parts[4].startswith("D") or not OTA_FILE.match(path):
                continue
            yield commit, date, subject, path, parts[3]


def _read_blobs(repo: Path, blob_ids: list[str], *, source: str) -> dict[str, bytes]:
    wanted = list(dict.fromkeys(blob_ids))
    if not wanted:
        return {}
    try:
        result = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=repo,
            input="\n".join(wanted).encode() + b"\n",
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError as error:
        raise SourceError(
            f"{source}: cannot read objects ({error.stderr.decode()[:200]})"
        ) from None
    out = result.stdout
    blobs: dict[str, bytes] = {}
    offset = 0
    for blob_id in wanted:
        header_end = out.index(b"\n", offset)
        header = out[offset:header_end].split()
        if len(header) < 3 or header[1] != b"blob":
            raise SourceError(f"{source}: object {blob_id} is missing (corrupt repository)")
        size = int(header[2])
        blobs[blob_id] = out[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
    return blobs
