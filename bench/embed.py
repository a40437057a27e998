"""Embedding benchmark: raw sentence-transformers ``model.encode`` (torch) against the
pipeline's embedding step (ONNX Runtime, int8), on the same texts, in one run.

    .venv/bin/python bench/embed.py [--all] [--max-texts N] [--no-f1]

In a scratch database: imports the corpus (ATLAS_CORPUS_DIR), takes the clause wordings still
to embed (those of eight usage policies, or of the whole corpus with --all; --max-texts stops
adding documents once N wordings are reached, for a busy machine), then measures
  1. raw torch: ``SentenceTransformer.encode`` on those texts (model loaded, warmed up);
  2. the pipeline: ``embed_pending`` with the configured encoder (ATLAS_ENCODER, default
     onnx), the function the worker's embed step runs: reading the wordings from PostgreSQL,
     deduplicating, batching by length, encoding and storing every vector in pgvector;
  3. raw torch again (the load of a shared machine moves between measurements);
and prints the throughputs, the ratio, the cosine between the stored vectors and torch's, and
the clause-type F1 (``comparisons.evaluation``, the figure of ``manage.py
evaluate_clustering``, leave-one-platform-out on the labelled set) with each runtime. Every
figure is printed with the load average: final figures need a quiet machine.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ATLAS_EMBED_AFTER_IMPORT"] = "false"

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
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


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def option(name: str, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


class Renamed:
    """An encoder under another name: each runtime's evaluation caches its own prototypes."""

    def __init__(self, encoder, name):
        self.encoder, self.name = encoder, name

    def encode(self, texts):
        return self.encoder.encode(texts)


def main() -> None:
    from comparisons.evaluation import evaluate
    from provisions.embeddings import _load_encoder, embed_pending, pending_texts
    from provisions.ingest import import_sources
    from provisions.models import Document, TextEmbedding

    corpus = os.environ.get("ATLAS_CORPUS_DIR", str(ROOT.parent / "shared" / "corpus"))
    import_sources([corpus])
    name = settings.EMBEDDING_MODEL
    torch = _load_encoder(name, "torch")
    pipeline_encoder = _load_encoder(name, settings.ATLAS_ENCODER)
    if "--all" in sys.argv:
        documents = list(Document.objects.filter(versions__isnull=False).distinct().order_by("pk"))
    else:
        documents = [Document.objects.get(platform__slug=p, slug=s) for p, s in SUBSET]
    limit = int(option("--max-texts", 0))
    chosen, count = [], 0
    for document in documents:
        if limit and count >= limit:
            break
        chosen.append(document.pk)
        count += len(pending_texts(name, document_ids=[document.pk]))
    pending = pending_texts(name, document_ids=chosen)
    texts, hashes = list(pending.values()), list(pending)
    print(f"texts: {len(texts)} distinct clause wordings from {len(chosen)} documents")
    print(
        f"machine: {os.cpu_count()} cores; encoder threads "
        f"{settings.ATLAS_ENCODER_THREADS or 'all'}"
    )

    torch.encode(texts[:32])  # warm-up
    started = time.perf_counter()
    reference = np.asarray(torch.encode(texts))
    raw = len(texts) / (time.perf_counter() - started)
    print(f"raw torch model.encode: {raw:.1f} texts/s ({load()})")

    pipeline_encoder.encode(texts[:32])  # warm-up (and the export, when it is missing)
    started = time.perf_counter()
    stored = embed_pending(encoder=pipeline_encoder, document_ids=chosen)
    elapsed = time.perf_counter() - started
    pipeline = len(texts) / elapsed
    print(
        f"pipeline ({settings.ATLAS_ENCODER}: read from PostgreSQL, encode, store in pgvector): "
        f"{pipeline:.1f} texts/s, {stored} stored ({load()})"
    )
    started = time.perf_counter()
    torch.encode(texts)
    raw_after = len(texts) / (time.perf_counter() - started)
    print(f"raw torch model.encode, again: {raw_after:.1f} texts/s ({load()})")
    print(
        f"pipeline / raw torch: {pipeline / raw:.2f} (against the mean of both raw runs: "
        f"{2 * pipeline / (raw + raw_after):.2f})"
    )
    vectors = TextEmbedding.objects.vectors(hashes, model_name=name)
    ours = np.asarray([vectors[h] for h in hashes], dtype=np.float32)
    cosines = (ours * reference).sum(axis=1)
    print(
        f"cosine of stored vectors to torch's: mean {cosines.mean():.4f}, 1st percentile "
        f"{np.percentile(cosines, 1):.4f}, min {cosines.min():.4f}"
    )
    if "--no-f1" in sys.argv:
        return
    for runtime, encoder in (("torch", torch), (settings.ATLAS_ENCODER, pipeline_encoder)):
        started = time.perf_counter()
        result = evaluate(Renamed(encoder, f"{name}@{runtime}"))
        print(
            f"clause-type evaluation with {runtime}: pairwise F1 {result.f1:.3f} (precision "
            f"{result.precision:.3f}, recall {result.recall:.3f}), accuracy "
            f"{result.accuracy:.3f}, {result.labels} labelled provisions "
            f"({time.perf_counter() - started:.0f} s, {load()})"
        )


if __name__ == "__main__":
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        main()
    finally:
        connection.close()
        runner.teardown_databases(old)
