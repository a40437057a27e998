"""Read policy versions from their sources, validating everything before anything is stored.

Two kinds of source:

* an Open Terms Archive *versions* repository (a local clone, a git bundle, or a git URL):
  every commit touching ``<service>/<terms type>.md`` is one capture dated by its author date;
* a corpus folder with a ``manifest.json`` (path, sha256, source URL, licence for each file).

``read_source`` returns the captures not yet imported (``known_keys`` lists those that are),
or raises ``SourceError`` with a one-line message naming the offending file. Nothing here
touches the database.

Corpus folders are read by ``provisions.manifest``; the captures and the checks every
document passes are in ``provisions.reading``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from atlas import ssrf
from provisions.manifest import read_corpus
from provisions.reading import Capture, SourceError, decode_document

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
MAX_REPOSITORY_NAME = 100
MAX_OTA_PART = 200  # a service or terms name (platform aliases hold 200 characters)
# An OTA versions repository's README starts "# Versions of terms from the *genai-eu* collection".
README_COLLECTION = re.compile(
    r"^# Versions of terms from the \*(?P<name>[^*\n]{1,100})\* collection"
)


@dataclass(frozen=True)
class VariantDeclaration:
    """What a source says it holds: a region (jurisdiction) and language, a collection name."""

    region: str = ""
    language: str = ""
    collection: str = ""


def check_collection(value: str, *, where: str) -> str:
    if not value or len(value) > MAX_REPOSITORY_NAME or not value.isprintable():
        raise SourceError(
            f"{where}: a collection name is 1 to {MAX_REPOSITORY_NAME} printable characters"
        )
    return value


FIRST_RECORD = ("First record of", "Start tracking")
CHANGE = ("Record new changes of", "Update ")
TECHNICAL = ("Apply technical or declaration upgrade on", "Refilter")


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
    variant: VariantDeclaration | None = None,
) -> list[Capture]:
    """``remote`` set: the source came from outside (the API) and must be a public git URL that
    policy allows; otherwise an operator named it and local paths and bundles are fine too.
    ``variant``: what the operator declared the source holds (overrides the repository's)."""
    ota = {"known_keys": known_keys, "cache_dir": cache_dir, "max_bytes": max_bytes}
    if remote is not None:
        remote.check(source)
        return read_ota(source, **ota, remote=remote, variant=variant)
    path = Path(source)
    if is_git_url(source):
        return read_ota(source, **ota, variant=variant)
    if not path.exists():
        raise SourceError(f"{source}: no such file or folder")
    if path.is_dir() and (path / "manifest.json").exists():
        captures = read_corpus(path, known_keys=known_keys, max_bytes=max_bytes)
        return [declared(c, variant) for c in captures]
    return read_ota(source, **ota, variant=variant)


def declared(capture: Capture, variant: VariantDeclaration | None) -> Capture:
    if variant is None:
        return capture
    return replace(
        capture,
        region=variant.region or capture.region,
        language=variant.language or capture.language,
        collection=variant.collection or capture.collection,
    )


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
    variant: VariantDeclaration | None = None,
) -> list[Capture]:
    repo = open_repository(source, cache_dir=cache_dir, remote=remote)
    name = repository_name(source)  # part of every capture key: never changes
    collection = collection_name(repo) or name
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
                collection=collection,
            )
        )
    return [declared(c, variant) for c in captures]


def collection_name(repo: Path) -> str:
    """The collection a versions repository holds, as its README names it ("genai-eu"), or
    "" when it does not say (then the source's own name is used, never a folder's)."""
    try:
        readme = _git(["show", "HEAD:README.md"], cwd=repo, what=f"{repo}: README")
    except SourceError:
        return ""
    match = README_COLLECTION.match(readme.decode("utf-8", "replace"))
    return match["name"].strip() if match and match["name"].strip().isprintable() else ""


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
