"""Embedding benchmark: raw model.encode throughput vs the pipeline through a real worker.

    .venv/bin/python bench/embed.py [--all]

In a scratch database: imports the corpus (ATLAS_CORPUS_DIR), then on the same texts (the
clause wordings of eight usage policies, or of the whole corpus with --all) measures
  1. raw ``model.encode`` throughput in this process (model already loaded),
  2. the pipeline: queue ``embed_documents`` to a real ``celery worker`` (already warm), until
     every wording is stored in pgvector and clause types are assigned,
and prints both and their ratio; then the seconds of a full re-assignment (``cluster``) and of
assigning one newly imported document. The broker is CELERY_BROKER_URL if set, else the
embedded Redis broker.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["ATLAS_EMBED_AFTER_IMPORT"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import get_runner  # noqa: E402

SUBSET = [
    ("stability-ai", "acceptable-use-policy"),
    ("openai", "usage-policies"),
    ("anthropic", "usage-policy"),
    ("google", "generative-ai-prohibited-use-policy"),
    ("meta", "llama-acceptable-use-policy"),
    ("mistral-ai", "usage-policy"),
    ("amazon", "aws-acceptable-use-policy"),
    ("berget-ai", "acceptable-use-policy"),
]


def wait_for(condition, timeout=1800, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    raise TimeoutError("the worker did not finish in time")


def main() -> None:
    from atlas import pipeline
    from atlas.embedded_db import connection_url
    from comparisons.clustering import assign_provisions
    from comparisons.models import Assignment
    from comparisons.taxonomy import read_labels, read_taxonomy
    from provisions.embeddings import embed_pending, get_encoder, pending_texts
    from provisions.ingest import import_sources
    from provisions.models import Document, TextEmbedding

    corpus = os.environ.get("ATLAS_CORPUS_DIR", str(ROOT.parent / "shared" / "corpus"))
    import_sources([corpus])
    documents = Document.objects.filter(versions__isnull=False).distinct()
    if "--all" not in sys.argv:
        documents = [Document.objects.get(platform__slug=p, slug=s) for p, s in SUBSET]
    held_out = Document.objects.get(platform__slug="civitai", slug="terms-of-service")
    documents = [d for d in documents if d.pk != held_out.pk]
    encoder = get_encoder()
    document_ids = [d.pk for d in documents]

    env = {**os.environ, "DATABASE_URL": connection_url(connection.settings_dict)}
    # Messages left by an interrupted run name rows of another database: a worker busy with
    # them would share the CPU with the measurements.
    from atlas.celery import app

    print(f"broker: {app.control.purge()} stale messages purged")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "atlas",
            "worker",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        # Warm-up: the worker loads the model and caches prototype and label embeddings (the
        # labels are corpus clauses, so some wordings are embedded here and not measured).
        pipeline.after_new_versions([]).delay()
        warm = len(read_labels()) // 2 + len(read_taxonomy())
        wait_for(lambda: TextEmbedding.objects.count() >= warm)
        wait_for(lambda: Assignment.objects.exists(), step=0.5)
        time.sleep(2)
        # The same texts for both measurements: exactly what the pipeline still has to embed.
        pending = pending_texts(encoder.name, document_ids=document_ids)
        texts, hashes = list(pending.values()), list(pending)
        print(f"texts: {len(texts)} distinct clause wordings from {len(documents)} documents")
        encoder.encode(texts[:32])  # warm-up
        started = time.perf_counter()
        encoder.encode(texts)
        raw = len(texts) / (time.perf_counter() - started)
        print(f"raw model.encode: {raw:.1f} texts/s (load average {os.getloadavg()[0]:.2f})")

        before = Assignment.objects.count()
        # Polled: the number of this model's embeddings, a count of a few thousand rows (under
        # a millisecond). Polling on these texts' hashes (a 5,000-value IN list, ~27 ms of CPU
        # per poll) took a tenth of a core from the worker it measures. Nothing else embeds
        # meanwhile; that these are exactly the texts stored is checked once, at the end.
        embedded = TextEmbedding.objects.filter(model_name=encoder.name)
        target = embedded.count() + len(hashes)
        started = time.perf_counter()
        pipeline.after_new_versions(document_ids).delay()
        wait_for(lambda: embedded.count() >= target, step=0.25)
        embedded_s = time.perf_counter() - started
        missing = len(hashes) - embedded.filter(text_hash__in=hashes).count()
        if missing:
            raise RuntimeError(f"{missing} of the measured texts were not stored")
        wait_for(lambda: Assignment.objects.count() > before)
        assigned_s = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a task still running: the numbers are taken
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    pipeline = len(texts) / embedded_s
    print(
        f"pipeline (queue -> stored in pgvector, via the worker): {pipeline:.1f} texts/s "
        f"(load average {os.getloadavg()[0]:.2f})"
    )
    # Raw again, now that the worker is idle: on a shared machine the load can change between
    # the two measurements, so the ratio is also given against the mean of both raw runs.
    started = time.perf_counter()
    encoder.encode(texts)
    raw_after = len(texts) / (time.perf_counter() - started)
    print(
        f"raw model.encode, again: {raw_after:.1f} texts/s (load average {os.getloadavg()[0]:.2f})"
    )
    print(
        f"pipeline / raw: {pipeline / raw:.2f} (against the mean of both raw runs: "
        f"{2 * pipeline / (raw + raw_after):.2f})"
    )
    print(f"queue -> stored and clause types assigned: {assigned_s:.1f} s")

    started = time.perf_counter()
    result = assign_provisions(encoder=encoder)
    print(
        f"full re-assignment of {result['assigned'] + result['unassigned']} embedded "
        f"provisions: {time.perf_counter() - started:.1f} s"
    )
    embed_pending(encoder=encoder, document_ids=[held_out.pk])
    started = time.perf_counter()
    assign_provisions(encoder=encoder)
    print(
        f"assigning after one newly imported document ({held_out}): "
        f"{time.perf_counter() - started:.1f} s (a full re-assignment)"
    )


if __name__ == "__main__":
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        main()
    finally:
        connection.close()
        runner.teardown_databases(old)
