"""The blind set through the real path: import its documents, wait for the worker, read what
was stored (``manage.py evaluate_clustering --stored``).

The documents are the Open Terms Archive versions the set was read from (path, commit and
sha256 in ``blind_set.json``). They are copied, commit by commit, from the bundle into a small
repository of their own (the same paths, texts, subjects and dates; fixed committer, so the
commits and therefore the capture keys are the same on every run) and imported with
``provisions.ingest.import_sources``, as an operator would import any OTA repository: the
aliases route services to platforms, and the import queues the pipeline (embed → assign →
link) for the real worker. Nothing here classifies anything: it only waits for the worker and
reads what it stored.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from comparisons.evaluation import GoldItem, StoredItem, best_span
from comparisons.models import Assignment, CategoryAssignment
from provisions import ingest
from provisions.models import Provision, Span, TextEmbedding, Version

REPOSITORY = "atlas-blind-set"  # the import's repository name, part of every capture key
GIT_IDENTITY = ["-c", "user.name=Atlas blind set", "-c", "user.email=blind-set@atlas.invalid"]
# Regulations sit above comparisons (pyproject's layers): their links are read through a
# dotted path resolved at run time, as atlas.pipeline names the tasks of upper layers.
LINKS = "regulations.blind.link_slugs"
WORKER_START = 120.0  # seconds a starting worker may take to answer a ping


class BlindSetError(Exception):
    """The blind documents could not be imported or the worker did not finish."""


def default_bundle() -> Path:
    default = Path(settings.BASE_DIR).parent / "shared" / "ota" / "genai-contrib-versions.bundle"
    return Path(os.environ.get("ATLAS_OTA_BUNDLE", default))


def _git(args: list[str], *, cwd: Path | None = None, env: dict | None = None) -> bytes:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, check=False, timeout=600
    )
    if result.returncode:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BlindSetError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return result.stdout


def build_repository(documents: list[dict], bundle: Path, workdir: Path) -> Path:
    """An OTA repository holding exactly these document versions, read from the bundle and
    checked against the sha256 the blind set recorded."""
    if not bundle.is_file():
        raise BlindSetError(f"{bundle}: no such bundle (set ATLAS_OTA_BUNDLE or --bundle)")
    clone = workdir / "bundle.git"
    _git(["clone", "--quiet", "--bare", "--", str(bundle), str(clone)])
    repo = workdir / REPOSITORY
    _git(["init", "--quiet", "--initial-branch=main", "--", str(repo)])
    for document in sorted(documents, key=lambda d: (d["author_date"], d["path"])):
        commit, path = document["commit"], document["path"]
        data = _git(["--git-dir", str(clone), "cat-file", "blob", f"{commit}:{path}"])
        if hashlib.sha256(data).hexdigest() != document["sha256"]:
            raise BlindSetError(
                f"{path} at {commit[:12]}: not the text the blind set was read from"
            )
        subject = _git(["--git-dir", str(clone), "log", "-1", "--format=%s", commit]).decode()
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        env = {
            **os.environ,
            "GIT_AUTHOR_DATE": document["author_date"],
            "GIT_COMMITTER_DATE": document["author_date"],
        }
        _git(["add", "--", path], cwd=repo)
        _git(
            [*GIT_IDENTITY, "commit", "--quiet", "--no-gpg-sign", "-m", subject.strip() or path],
            cwd=repo,
            env=env,
        )
    return repo


def import_documents(documents: list[dict], bundle: Path):
    """Import the documents through ``import_sources`` (which queues the worker's pipeline)."""
    with tempfile.TemporaryDirectory(prefix="atlas-blind-") as workdir:
        repo = build_repository(documents, bundle, Path(workdir))
        report = ingest.import_sources([str(repo)])
    if report.errors:
        raise BlindSetError("; ".join(report.errors))
    return report


def stored_versions(documents: list[dict]) -> dict[str, Version]:
    """Each blind document's version, found by its OTA path and sha256."""
    found = {}
    for document in documents:
        version = (
            Version.objects.filter(
                sha256=document["sha256"], captures__path=document["path"].removesuffix(".md")
            )
            .order_by("pk")
            .first()
        )
        if version is None:
            raise BlindSetError(f"{document['path']}: not stored (import it first)")
        found[document["path"]] = version
    return found


def _queue_length(app) -> int:
    with app.connection_for_read() as connection:
        try:
            declared = connection.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True
            )
        except connection.channel_errors:  # Redis drops an empty queue's key: nothing waits
            return 0
        return declared.message_count


def worker_busy(app) -> bool:
    """Tasks waiting in the broker or held by a worker (an unanswered inspect counts as busy)."""
    if _queue_length(app):
        return True
    inspect = app.control.inspect(timeout=2.0)
    for answer in (inspect.active(), inspect.reserved(), inspect.scheduled()):
        if answer is None or any(answer.values()):
            return True
    return False


def unembedded(versions: list[Version]) -> int:
    """Wordings of these versions' provisions with no embedding for the configured model."""
    hashes = set(
        Provision.objects.filter(spans__version__in=versions).values_list("text_hash", flat=True)
    )
    done = set(
        TextEmbedding.objects.filter(
            text_hash__in=hashes, model_name=settings.EMBEDDING_MODEL
        ).values_list("text_hash", flat=True)
    )
    return len(hashes - done)


def wait_for_worker(
    versions: list[Version], *, timeout: float, every: float = 5.0, progress=None
) -> float:
    """Wait until every wording is embedded and the worker is idle (twice in a row, so that a
    step the chain queues next is seen); returns the seconds waited."""
    from atlas.celery import app

    started = time.monotonic()
    # A worker that is still starting answers once it is ready: give it a while.
    while not app.control.ping(timeout=3.0):
        if time.monotonic() - started > min(timeout, WORKER_START):
            raise BlindSetError(
                "no Celery worker answers: start one (`make run` starts one, or "
                "`.venv/bin/celery -A atlas worker`) on this database and broker"
            )
    quiet = 0
    while True:
        pending = unembedded(versions)
        busy = worker_busy(app)
        quiet = quiet + 1 if not pending and not busy else 0
        if quiet >= 2:
            return time.monotonic() - started
        waited = time.monotonic() - started
        if waited > timeout:
            raise BlindSetError(
                f"the worker had not finished after {waited:.0f} s "
                f"({pending} wordings not embedded; busy: {busy})"
            )
        if progress:
            progress(f"waiting for the worker: {pending} wordings to embed, busy: {busy}")
        time.sleep(every)


def _category_only(ids: list[int]) -> dict[int, str]:
    """Provisions stored with a category but no type (an uncertain choice between sibling
    types)."""
    return dict(
        CategoryAssignment.objects.filter(provision_id__in=ids).values_list(
            "provision_id", "category"
        )
    )


def stored_items(
    blind: dict,
    items: list[GoldItem],
    versions: dict[str, Version],
    *,
    links: Callable | None = None,
) -> list[StoredItem]:
    """What is stored for each gold item: the provision whose span overlaps it most in the
    version it was read from, its clause type and category, and its regulation links."""
    by_id = {item["id"]: item for item in blind["items"]}
    spans: dict[int, dict[tuple[int, int], int]] = {}
    for version in versions.values():
        spans[version.pk] = {
            (start, end): provision
            for start, end, provision in Span.objects.filter(version=version).values_list(
                "start", "end", "provision_id"
            )
        }
    matches = []
    for item in items:
        row = by_id[item.id]
        version = versions[row["path"]]
        matches.append(best_span((row["start"], row["end"]), spans[version.pk]))
    ids = [provision for provision, _ in matches if provision is not None]
    assignments = {
        a.provision_id: a
        for a in Assignment.objects.filter(provision_id__in=ids).select_related("clause_type")
    }
    categories = _category_only(ids)
    if links is None:
        links = import_string(LINKS)
    linked = links(ids)
    result = []
    for provision, overlap in matches:
        assignment = assignments.get(provision)
        clause_type = assignment.clause_type if assignment else None
        applicable, suggested = linked.get(provision, (frozenset(), frozenset()))
        result.append(
            StoredItem(
                provision=provision,
                overlap=overlap,
                clause_type=clause_type.slug if clause_type else None,
                binds=clause_type.binds if clause_type else "",
                category=clause_type.category if clause_type else categories.get(provision),
                discovered=bool(clause_type and clause_type.discovered),
                links=frozenset(applicable),
                suggested=frozenset(suggested),
            )
        )
    return result
