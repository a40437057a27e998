"""Tracking benchmark: OTA's recorded snapshots fetched from 127.0.0.1 and extracted.

    .venv/bin/python bench/track.py [SNAPSHOTS_DIR]

Each capture's pages are served by a local HTTP server and fetched through the tracker's own
client (declared URLs rewritten to it), then extracted with the case's declaration. Prints
documents fetched and extracted per second, and the fidelity table: per recorded version, the
line match (difflib ratio over non-blank stripped lines) and word match with OTA's Markdown.
No database is used; nothing is stored.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("TRACKING_ALLOWED_ADDRESSES", "127.0.0.1")
os.environ.setdefault("TRACKING_HOST_INTERVAL", "0")

import django  # noqa: E402

django.setup()

from tracking.declarations import pages_of  # noqa: E402
from tracking.extract import ExtractError, Page, extract_document  # noqa: E402
from tracking.fetch import fetch, make_client  # noqa: E402
from tracking.snapshots import (  # noqa: E402
    RewriteTransport,
    line_match,
    read_cases,
    serve_captures,
    word_match,
)


def run_case(case):
    rows, documents, seconds = [], 0, 0.0
    with serve_captures(case.captures) as served:
        for capture in case.captures:
            mapping = {f.url: served[f"{f.url}#{capture.number}"] for f in capture.files}
            started = time.perf_counter()
            with make_client(RewriteTransport(mapping)) as client:
                pages = [
                    (rules, Page(r.url, r.content, r.content_type))
                    for rules in pages_of(case.declaration)
                    for r in [fetch(rules["fetch"], client=client)]
                ]
            try:
                text = extract_document(pages)
            except ExtractError as error:
                text = f"(error: {error})"
            seconds += time.perf_counter() - started
            documents += 1
            if capture.expected:
                expected = capture.expected.read_text(encoding="utf-8")
                rows.append(
                    (
                        f"{case.id} #{capture.number}",
                        line_match(text, expected),
                        word_match(text, expected),
                    )
                )
    return rows, documents, seconds


def main() -> None:
    folder = Path(
        sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "ota" / "snapshots"
    )
    # A benchmark is read against how busy the machine was (run it on a quiet one).
    print("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rows, documents, seconds = [], 0, 0.0
    for case in read_cases(folder):
        case_rows, case_documents, case_seconds = run_case(case)
        rows += case_rows
        documents += case_documents
        seconds += case_seconds
    print(f"{'capture':<56} {'lines':>6} {'words':>6}")
    for name, lines, words in rows:
        print(f"{name:<56} {lines:6.3f} {words:6.3f}")
    lines = [r[1] for r in rows]
    words = [r[2] for r in rows]
    print(
        f"\n{len(rows)} recorded versions; median line match {statistics.median(lines):.3f}"
        f" (min {min(lines):.3f}), median word match {statistics.median(words):.3f}"
        f" (min {min(words):.3f}); exact {sum(1 for x in lines if x == 1.0)}"
    )
    print(
        f"{documents} documents fetched and extracted in {seconds:.1f} s:"
        f" {documents / seconds:.2f} documents/s"
    )
    print("load average (1, 5, 15 min) after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
