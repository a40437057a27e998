"""Import benchmark: the whole OTA bundle plus the corpus into an empty database, then again.

    .venv/bin/python bench/import.py [CORPUS_DIR] [BUNDLE]

Creates a scratch database on the same server (dropped afterwards), so it never touches the
site's data. Prints versions, provisions, spans, seconds of the first run and of an immediate
second run (targets: < 120 s and < 5 s on the 2-core reference machine).
"""

import os
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
from django.db import connection  # noqa: E402
from django.test.utils import get_runner  # noqa: E402


def main() -> None:
    shared = ROOT.parent / "shared"
    corpus = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get("ATLAS_CORPUS_DIR", str(shared / "corpus"))
    )
    bundle = (
        sys.argv[2]
        if len(sys.argv) > 2
        else os.environ.get(
            "ATLAS_OTA_BUNDLE", str(shared / "ota" / "genai-contrib-versions.bundle")
        )
    )
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()  # a fresh "test_" database, migrated
    try:
        from provisions.ingest import import_sources
        from provisions.models import Provision, Span, Version

        settings.ATLAS_SOURCES_CACHE = Path(settings.ATLAS_DATA_DIR) / "bench-sources"
        started = time.perf_counter()
        first = import_sources([corpus, bundle])
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = import_sources([corpus, bundle])
        second_s = time.perf_counter() - started
        assert not first.errors and not second.errors, (first.errors, second.errors)
        print(f"sources: {corpus} + {bundle}")
        print(
            f"captures: {first.captures}  versions: {Version.objects.count()}  "
            f"provisions: {Provision.objects.count()}  spans: {Span.objects.count()}"
        )
        print(f"first import:  {first_s:.1f} s")
        print(f"second import: {second_s:.2f} s (new captures: {second.captures})")
    finally:
        connection.close()
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
