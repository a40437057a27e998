"""API benchmark: p50/p95 of every detail endpoint, citation and compare at design scale.

    .venv/bin/python bench/api.py [--provisions 100000] [--platforms 300] [--requests 200]
                                  [--keep]

Creates a scratch database on the same server (dropped afterwards; with ``--keep`` kept, and
reused by the next run at the same sizes, of this benchmark or ``bench/pages.py``), fills it
with ``bench/scale_data.py`` (clearly marked synthetic platforms) and the regulation catalog, then
times each endpoint through the whole Django stack (middleware, DRF, serializers; Django's test
client, no network) beside a trivial endpoint, the API root, all requests interleaved in one
shuffled queue in the same run. Prints p50/p95 in milliseconds and each endpoint's ratio to the
trivial one (regulation detail gets a quarter as many requests: it lists every provision that
addresses the law). Target (issue 16), at 500,000 provisions on 1,000 platforms: p95 at most
50 ms for the details.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.scale_data import scale_database  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(client: Client, urls: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Milliseconds per request, by endpoint name."""
    samples: dict[str, list[float]] = {}
    for name, url in urls:
        started = time.perf_counter()
        response = client.get(url)
        samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return samples


def endpoints(requests: int) -> dict[str, list[str]]:
    from comparisons.models import ClauseType
    from provisions.models import Document, Platform, Provision, Span, Version
    from regulations.models import ClauseTypeLink

    rng = random.Random(20261201)
    ids = list(Provision.objects.values_list("pk", flat=True))
    chosen = [ids[rng.randrange(len(ids))] for _ in range(requests)]
    # Cite each provision in its latest version (the default) or in a version it appears in.
    spans = dict(
        Span.objects.filter(provision_id__in=chosen).values_list("provision_id", "version_id")
    )
    pinned = {v.pk: v.public_id for v in Version.objects.filter(pk__in=set(spans.values()))}
    slugs = list(Platform.objects.tracked().values_list("slug", flat=True))
    documents = list(
        Document.objects.filter(latest_version__isnull=False).values_list("pk", flat=True)
    )
    versions = list(Version.objects.select_related("document").order_by("pk")[:2000])
    types = list(
        ClauseType.objects.filter(assignments__isnull=False)
        .distinct()
        .values_list("slug", flat=True)
    )
    linked = sorted(set(ClauseTypeLink.objects.values_list("regulation__slug", flat=True)))
    record = "P-{:06d}".format
    return {
        "trivial (API root)": ["/api/v1/"] * requests,
        "provision detail": [f"/api/v1/provisions/{record(pk)}/" for pk in chosen],
        "citation (json)": [f"/api/v1/provisions/{record(pk)}/citation/" for pk in chosen],
        "citation (bibtex, pinned)": [
            f"/api/v1/provisions/{record(pk)}/citation/?format=bibtex&version={pinned[spans[pk]]}"
            for pk in chosen
        ],
        "platform detail": [f"/api/v1/platforms/{rng.choice(slugs)}/" for _ in range(requests)],
        "document detail": [
            f"/api/v1/documents/D-{rng.choice(documents):06d}/" for _ in range(requests)
        ],
        "version detail": [
            f"/api/v1/versions/{rng.choice(versions).public_id}/" for _ in range(requests)
        ],
        "clause type detail": [
            f"/api/v1/clause-types/{rng.choice(types)}/" for _ in range(requests)
        ],
        "compare (4 platforms)": [
            "/api/v1/compare/?platforms=" + ",".join(rng.sample(slugs, 4)) for _ in range(requests)
        ],
        "regulation detail": [
            f"/api/v1/regulations/{rng.choice(linked)}/" for _ in range(requests // 4)
        ],
        "provision list (50)": [
            f"/api/v1/provisions/?page={rng.randrange(1, len(ids) // 50 + 1)}"
            for _ in range(requests)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provisions", type=int, default=100_000)
    parser.add_argument("--platforms", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the filled database for the next run at these sizes (and reuse a kept one)",
    )
    args = parser.parse_args()

    setup_test_environment()  # the test client's host is allowed
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_USER = "100000000/min"
    with scale_database(
        platforms=args.platforms,
        provisions=args.provisions,
        keep=args.keep,
        name="bench_atlas_api",  # its own, so it never meets a test run's
    ) as made:
        print(made)
        client = Client()
        # All endpoints in one shuffled queue: on a shared machine, load weighs on each alike.
        batches = endpoints(args.requests)
        queue = [(name, url) for name, batch in batches.items() for url in batch]
        random.Random(1).shuffle(queue)
        timed(client, queue[: len(queue) // 10])  # warm-up, not counted
        results = timed(client, queue)
    base_p50 = statistics.median(results["trivial (API root)"])
    base_p95 = percentile(results["trivial (API root)"], 0.95)
    print(
        f"{args.requests} requests each; {args.provisions} provisions, "
        f"{args.platforms} platforms; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(f"{'endpoint':28} {'p50 ms':>8} {'p95 ms':>8} {'p50 ×':>7} {'p95 ×':>7}")
    for name in batches:
        samples = results[name]
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        print(f"{name:28} {p50:8.1f} {p95:8.1f} {p50 / base_p50:7.1f} {p95 / base_p95:7.1f}")


if __name__ == "__main__":
    main()
