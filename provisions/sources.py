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
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from atlas import ssrf
from provisions.parse import split_provisions

OTA_FILE = re.compile(r"^(?P<service>[^/]+)/(?P<terms>[^/]+)\.md$")
# Never a leading "-": git would read the source as an option (``-u <command>`` runs a command).
GIT_URL = re.compile(r"^(https?|ssh|git|file)://|^\w[\w.-]*@\w[\w.-]*:")
# git@host:path, as sources given over the API may use where ATLAS_ALLOW_SSH_SOURCES allows.
SSH_SOURCE = re.compile(
    r"^git@(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(?P<path>\w[\w./~-]{0,500})$"
)
# What git may speak: operators' sources may be local; the API's only reach public hosts.
TRUSTED_PROTOCOLS = "file:git:http:https:ssh"
REMOTE_PROTOCOLS = "https"
# Corpus manifests name their platform and document with URL slugs (ASCII, lowercase).
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_SLUG = {"platform": 80, "document": 120}  # the model fields' lengths
MAX_NAME = {"platform_name": 200, "document_name": 300}
MAX_PATH = 300  # keeps the capture key, path and origin_ref within their columns
MAX_REPOSITORY_NAME = 100
MAX_OTA_PART = 200  # a service or terms name (platform aliases hold 200 characters)
# A clause's search vector must stay under PostgreSQL's 1 MB tsvector limit; its size is at most
# about 5 bytes per byte of text (a 4-byte entry and a 2-byte position per one-letter word),
# and no real clause comes near this (the longest in the shared corpus is under 4 kB).
MAX_CLAUSE_BYTES = 150_000
MAX_MANIFEST_BYTES = 50_000_000
URL_VALIDATOR = URLValidator(schemes=["http", "https"])

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
    check_size(len(data), name=name, max_bytes=max_bytes)
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
    check_clauses(text, name=name, size=len(data))
    return text


def check_size(size: int, *, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise SourceError(
            f"{name}: too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
        )


def check_clauses(text: str, *, name: str, size: int) -> None:
    """Refuse a document with a clause too long to index, so that storing it cannot fail."""
    if size <= MAX_CLAUSE_BYTES:
        return  # no clause of it can be longer than the whole text
    for segment in split_provisions(text):
        indexed = segment.text + "".join(segment.heading_path)
        if len(indexed.encode("utf-8")) > MAX_CLAUSE_BYTES:
            raise SourceError(
                f"{name}: the clause at character {segment.start} is too long to index "
                f"({len(indexed.encode('utf-8')) / 1e3:.0f} kB with its headings; "
                f"the limit is {MAX_CLAUSE_BYTES / 1e3:.0f} kB)"
            )


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
    source: str,
    *,
    known_keys: set[str],
    cache_dir: Path,
    max_bytes: int,
    remote: RemotePolicy | None = None,
) -> list[Capture]:
    """``remote`` set: the source came from outside (the API) and must be a public git URL that
    policy allows; otherwise an operator named it and local paths and bundles are fine too."""
    if remote is not None:
        remote.check(source)
        return read_ota(
            source, known_keys=known_keys, cache_dir=cache_dir, max_bytes=max_bytes, remote=remote
        )
    path = Path(source)
    if is_git_url(source):
        return read_ota(source, known_keys=known_keys, cache_dir=cache_dir, max_bytes=max_bytes)
    if not path.exists():
        raise SourceError(f"{source}: no such file or folder")
    if path.is_dir() and (path / "manifest.json").exists():
        return read_corpus(path, known_keys=known_keys, max_bytes=max_bytes)
    return read_ota(source, known_keys=known_keys, cache_dir=cache_dir, max_bytes=max_bytes)


@dataclass(frozen=True)
class RemotePolicy:
    """What a source given over the API may be: an https git URL to a public host, or
    ``git@host:path`` where ``allow_ssh``; never a local path, file://, or a private address
    (``allow_private`` lifts only the address check, for tests and intranets)."""

    allow_ssh: bool = False
    allow_private: bool = False

    @property
    def protocols(self) -> str:
        return f"{REMOTE_PROTOCOLS}:ssh" if self.allow_ssh else REMOTE_PROTOCOLS

    def check(self, source: str) -> None:
        ssh = SSH_SOURCE.match(source)
        try:
            if any(c.isspace() or not c.isprintable() for c in source):
                raise ssrf.UnsafeURL(f"{source!r}: spaces or control characters in a source")
            if ssh and self.allow_ssh:
                self.check_host(ssh["host"])
            elif ssh:
                raise ssrf.UnsafeURL(f"{source}: git@ sources are not enabled on this server")
            else:
                ssrf.check_public_url(source, allow_private=self.allow_private, schemes={"https"})
                if not source.split("://", 1)[1].partition("/")[2].strip("/"):
                    raise ssrf.UnsafeURL(f"{source}: no repository path")
        except ssrf.UnsafeURL as error:
            raise SourceError(f"{error} (API sources must be https:// git URLs)") from None

    def check_host(self, host: str) -> None:
        if self.allow_private:
            return
        for address in ssrf.resolve(host):
            if not ssrf.is_public_address(address):
                raise ssrf.UnsafeURL(f"{host} resolves to {address}, which is not public")


# -- Corpus folders ---------------------------------------------------------------------------

MANIFEST_FIELDS = ("platform", "platform_name", "document", "document_name", "path", "sha256")
OPTIONAL_TEXT = {"source_url": 1000, "license": 100, "retrieved_from": 400}


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
        captures.append(
            Capture(
                key=key,
                kind="corpus",
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


# -- Open Terms Archive versions repositories -------------------------------------------------


def _git(
    args: list[str],
    *,
    cwd: Path | None = None,
    what: str,
    protocols: str = TRUSTED_PROTOCOLS,
    options: tuple[str, ...] = (),
    stdin: bytes | None = None,
) -> bytes:
    """Run git with fixed options; callers put ``--`` before anything a source supplied."""
    environment = {
        **os.environ,
        # Only these transports (no ext::, no fd::); this also bounds what a redirect may reach.
        "GIT_ALLOW_PROTOCOL": protocols,
        "GIT_TERMINAL_PROMPT": "0",  # a private URL fails instead of waiting for a password
    }
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
                *options,
                *args,
            ],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=900,
            env=environment,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"{what}: git failed ({error})") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"{what}: {message[-1] if message else 'git failed'}")
    return result.stdout


def repository_name(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    for suffix in (".bundle", ".git"):
        name = name.removesuffix(suffix)
    # Part of every capture key and stored with each capture: bounded, one line.
    name = "".join(c for c in name if c.isprintable())[:MAX_REPOSITORY_NAME]
    return name or "repository"


def open_repository(source: str, *, cache_dir: Path, remote: RemotePolicy | None = None) -> Path:
    """A local git directory holding the source's history (bundles and URLs are cloned)."""
    path = Path(source)
    if remote is None and path.is_dir() and not is_git_url(source):
        try:
            _git(["rev-parse", "--git-dir"], cwd=path, what=source)
        except SourceError:
            raise SourceError(f"{source}: not a git repository") from None
        return path
    is_bundle = remote is None and path.is_file()
    # A bundle that fails to verify or to clone is corrupt (verify alone only reads its header).
    failure = f"{source}: corrupt git bundle" if is_bundle else f"{source}: cannot clone"
    local = remote is None and path.exists()
    remote_ref = str(path.resolve()) if local else source
    if is_bundle:
        _git(["bundle", "verify", remote_ref], what=failure)
    git = {
        "what": failure,
        "protocols": remote.protocols if remote else TRUSTED_PROTOCOLS,
        # A public server must not redirect git to an address we refused.
        "options": ("-c", "http.followRedirects=false") if remote else (),
    }
    digest = hashlib.sha256(remote_ref.encode()).hexdigest()
    clone = cache_dir / f"{repository_name(source)}-{digest[:10]}.git"
    if (clone / "HEAD").exists():
        _git(["fetch", "--quiet", "--", remote_ref, "+refs/heads/*:refs/heads/*"], cwd=clone, **git)
        return clone
    cache_dir.mkdir(parents=True, exist_ok=True)
    # A folder of its own, so two imports cloning the same source never share a half clone.
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".clone-"))
    try:
        _git(["clone", "--quiet", "--bare", "--", remote_ref, str(tmp / "repo.git")], **git)
        if not (clone / "HEAD").exists():
            (tmp / "repo.git").rename(clone)
    except OSError:
        pass  # another import finished the same clone first: use theirs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return clone


def read_ota(
    source: str,
    *,
    known_keys: set[str],
    cache_dir: Path,
    max_bytes: int,
    remote: RemotePolicy | None = None,
) -> list[Capture]:
    repo = open_repository(source, cache_dir=cache_dir, remote=remote)
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
        check_ota_path(path, where=f"{source}: commit {commit[:12]}")
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


def check_ota_path(path: str, *, where: str) -> None:
    """Service and terms names become platform aliases and document names: bounded, printable."""
    if any(len(part) > MAX_OTA_PART or not part.isprintable() for part in path.split("/")):
        raise SourceError(
            f"{where}: {path[:100]!r} has a service or terms name over {MAX_OTA_PART} "
            "characters or with control characters"
        )


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
    out = _git(
        ["cat-file", "--batch"],
        cwd=repo,
        stdin="\n".join(wanted).encode() + b"\n",
        what=f"{source}: cannot read objects",
    )
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
