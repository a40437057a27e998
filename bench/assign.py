"""Incremental assignment benchmark (issue 16): one document's provisions assigned and matched
alone, against re-assigning the whole corpus, on the real data.

    .venv/bin/python bench/assign.py [--documents platform/document,...]

In a scratch database: imports the corpus (ATLAS_CORPUS_DIR) and the Open Terms Archive bundle
(ATLAS_OTA_BUNDLE), embeds every wording with the configured encoder (minutes), runs the full
assignment (which trains and stores the classifier), then for each document (default: Civitai's
terms of service and the document with the most provisions in force) times
``assign_provisions(provision_ids=…)`` with the ids the pipeline's first assignment step passes
(the document's provisions in force). That is the work after a new document's import: the
provisions are assigned, the matches of the types they enter are recomputed, coverage too.
Before each timed run the document's assignments and matches are deleted, as for a new
document. Finally a full run again, and what differs from it (a discovered type's members'
scores may: a full run recomputes them from the moved centre). Every figure is printed with
the load average: final figures need a quiet machine.
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test.utils import get_runner  # noqa: E402

SHARED = ROOT.parent / "shared"


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def snapshot():
    """Each provision's (clause type, basis, confidence, score), the matches and the coverage."""
    from comparisons.models import Assignment, Coverage, SimilarProvision

    assignments = {
        row[0]: row[1:]
        for row in Assignment.objects.values_list(
            "provision_id", "clause_type_id", "basis", "confidence", "score"
        )
    }
    similar = set(SimilarProvision.objects.values_list("provision_id", "other_id", "rank"))
    coverage = set(Coverage.objects.values_list("clause_type_id", "platform_id", "provision_count"))
    return assignments, similar, coverage


def compare(incremental, full) -> str:
    """What differs between the two states, by kind."""
    (mine, similar, coverage), (theirs, similar_full, coverage_full) = incremental, full
    differ = [k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)]
    scores_only = [
        k
        for k in differ
        if k in mine and k in theirs and mine[k][:2] == theirs[k][:2] and mine[k][1] == "cluster"
    ]
    return (
        f"provisions whose assignment differs: {len(differ)} (of which only a discovered "
        f"type's member score or band: {len(scores_only)}); match rows differing: "
        f"{len(similar ^ similar_full)}; coverage rows differing: {len(coverage ^ coverage_full)}"
    )


def main() -> None:
    from atlas.pipeline import affected_provisions
    from comparisons.clustering import assign_provisions
    from comparisons.models import Assignment, SimilarProvision
    from provisions.embeddings import embed_pending, get_encoder
    from provisions.ingest import import_sources
    from provisions.models import Document, Provision

    corpus = os.environ.get("ATLAS_CORPUS_DIR", str(SHARED / "corpus"))
    bundle = os.environ.get("ATLAS_OTA_BUNDLE", str(SHARED / "ota/genai-contrib-versions.bundle"))
    started = time.perf_counter()
    import_sources([corpus, bundle])
    print(f"imported in {time.perf_counter() - started:.0f} s ({load()})")
    encoder = get_encoder()
    started = time.perf_counter()
    stored = embed_pending(encoder=encoder)
    print(f"embedded {stored} wordings in {time.perf_counter() - started:.0f} s ({load()})")
    live = Provision.objects.filter(removed_in__isnull=True).count()
    print(f"provisions: {Provision.objects.count()} ({live} in force)")

    started = time.perf_counter()
    full = assign_provisions(encoder=encoder)
    print(f"full assignment: {time.perf_counter() - started:.1f} s, {full} ({load()})")

    wanted = (
        sys.argv[sys.argv.index("--documents") + 1].split(",") if "--documents" in sys.argv else []
    )
    documents = [
        Document.objects.get(platform__slug=p, slug=d) for p, d in (w.split("/") for w in wanted)
    ]
    if not documents:
        documents = [Document.objects.get(platform__slug="civitai", slug="terms-of-service")]
        documents.append(
            Document.objects.annotate(
                live=Count("provisions", filter=Q(provisions__removed_in__isnull=True))
            ).order_by("-live")[0]
        )
    for document in documents:
        ids = affected_provisions([document.pk], in_force=True)
        timings = []
        for _ in range(3):
            # As if new: the document's provisions without assignments or matches.
            Assignment.objects.filter(provision_id__in=ids).exclude(basis="curated").delete()
            SimilarProvision.objects.filter(Q(provision_id__in=ids) | Q(other_id__in=ids)).delete()
            started = time.perf_counter()
            result = assign_provisions(encoder=encoder, provision_ids=ids)
            timings.append(time.perf_counter() - started)
        print(
            f"{document.platform.slug}/{document.slug}: {len(ids)} provisions in force assigned "
            f"and matched alone in {min(timings):.2f} s (best of 3; runs "
            f"{', '.join(f'{t:.2f}' for t in timings)}), {result} ({load()})"
        )
    incremental = snapshot()
    started = time.perf_counter()
    assign_provisions(encoder=encoder)
    print(f"full assignment again: {time.perf_counter() - started:.1f} s ({load()})")
    print(f"against the full run: {compare(incremental, snapshot())}")


if __name__ == "__main__":
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        main()
    finally:
        connection.close()
        runner.teardown_databases(old)
