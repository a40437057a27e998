"""A synthetic dataset at design scale, for benchmarks only (never for a site's real data).

Everything it writes is marked: platforms are named "Synthetic platform NNN" with slugs
``synthetic-NNN``, documents "Synthetic ...", source URLs on the reserved ``.invalid`` domain,
captures with licence "synthetic", assignments with model "synthetic". Each platform has two
documents of two versions; clause texts are the taxonomy's own example phrasings numbered
apart, so joins (spans, revisions, clause types, similar provisions, coverage) look like an
imported corpus. Rows are written with COPY in a single transaction.

Used in-process by the benchmarks (``bench/api.py``, ``bench/pages.py``), after
``django.setup()``: ``write_scale_data(platforms=..., provisions=...)``, or inside
``scale_database(...)``, which makes the scratch database and fills it (once, with ``keep``).
It sits here, not in an app, because it writes every app's rows (provisions, clause types,
matches, coverage).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import get_runner
from django.utils import timezone

from comparisons.classifier import confidence_band
from comparisons.clustering import store_coverage
from comparisons.models import Assignment, SimilarProvision
from comparisons.taxonomy import load_clause_types
from provisions.bulk import analyze_tables, copy_rows, reserve_ids, update_rows
from provisions.ingest import COLUMNS as INGEST_COLUMNS
from provisions.models import (
    Capture,
    Document,
    Platform,
    Provision,
    Revision,
    Span,
    Variant,
    Version,
    sha256_text,
)
from provisions.parse import hash_text, normalize_text

# The slugs of the platforms written here (synthetic-NNN), not of others a benchmark adds (the
# pages benchmark's large document).
SYNTHETIC_SLUGS = r"^synthetic-[0-9]+$"
DOCUMENTS = (("usage-policy", "Synthetic usage policy"), ("terms", "Synthetic terms of use"))
FIRST_CAPTURE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SECOND_CAPTURE = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
SIMILAR_OFFSETS = (11, 23, 37)  # neighbours within a type's list, usually other platforms


class ScaleDataError(ValueError):
    """The sizes asked for cannot be written, or synthetic data is there already."""


def write_scale_data(*, platforms: int = 300, provisions: int = 100_000) -> dict[str, int]:
    """Check the sizes, write the synthetic dataset in one transaction, return row counts and
    the seconds it took."""
    if platforms < 2 or provisions < platforms * len(DOCUMENTS) * 2:
        raise ScaleDataError("Need at least 2 platforms and 4 provisions per platform.")
    if Platform.objects.filter(slug__startswith="synthetic-").exists():
        raise ScaleDataError("Synthetic platforms already exist in this database.")
    started = time.perf_counter()
    with transaction.atomic():
        counts = generate_scale_data(platforms=platforms, provisions=provisions)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


@contextlib.contextmanager
def scale_database(*, platforms: int, provisions: int, keep: bool, name: str):
    """A scratch database on the configured server holding the synthetic dataset and the
    regulation catalog; yields a line saying how it was made.

    Without ``keep`` it is ``name``, filled now and dropped afterwards. With ``keep`` it is named
    by its sizes and kept: the first run fills it, later runs of any benchmark at the same sizes
    reuse it (at 500,000 provisions filling takes many minutes; measuring does not need it
    again). Drop a kept one with ``DROP DATABASE bench_atlas_scale_<provisions>_<platforms>``.
    """
    from regulations.catalog import load_catalog

    database = f"bench_atlas_scale_{provisions}_{platforms}" if keep else name
    connection.settings_dict.setdefault("TEST", {})["NAME"] = database
    runner = get_runner(settings)(verbosity=0, interactive=False, keepdb=keep)
    old = runner.setup_databases()
    try:
        synthetic = Platform.objects.filter(slug__regex=SYNTHETIC_SLUGS)
        if synthetic.exists():
            held = (
                synthetic.count(),
                Provision.objects.filter(document__platform__in=synthetic).count(),
            )
            if held != (platforms, provisions):
                raise ScaleDataError(
                    f"The kept database holds {held[0]} platforms and {held[1]} provisions, "
                    f"not {platforms} and {provisions}."
                )
            made = f"kept database {database} reused"
        else:
            counts = write_scale_data(platforms=platforms, provisions=provisions)
            load_catalog()
            made = f"synthetic data generated in {counts['seconds']:.0f} s"
        yield made
    finally:
        connection.close()
        runner.teardown_databases(old)


def clause_texts(taxonomy_types) -> list[tuple[object, str]]:
    """(clause type, example phrasing) pairs, cycled through to make clause texts."""
    return [(t, phrase) for t in taxonomy_types for phrase in t.prototypes]


def generate_scale_data(*, platforms: int, provisions: int) -> dict[str, int]:
    now = timezone.now()
    types = list(load_clause_types().values())
    phrases = clause_texts(types)
    platform_rows = Platform.objects.bulk_create(
        Platform(slug=f"synthetic-{n:03d}", name=f"Synthetic platform {n:03d}")
        for n in range(1, platforms + 1)
    )
    documents = Document.objects.bulk_create(
        Document(platform=p, slug=slug, name=name)
        for p in platform_rows
        for slug, name in DOCUMENTS
    )
    variants = Variant.objects.bulk_create(Variant(document=d) for d in documents)
    for document, variant in zip(documents, variants, strict=True):
        document.variant_id = variant.pk  # each synthetic document has its original variant
    per_document, extra = divmod(provisions, len(documents))
    rows = {name: [] for name in ("version", "capture", "provision", "revision", "span")}
    assigned: list[tuple[int, object, str]] = []  # provision id, clause type, text hash
    platform_of: dict[int, int] = {}
    latest = []
    latest_of = []
    for index, document in enumerate(documents):
        count = per_document + (index < extra)
        ids = _write_document(document, index, count, phrases, rows, now)
        latest.append((document.pk, ids["latest"]))
        latest_of.append((document, ids["latest"]))
        for provision_id, clause_type, text_hash in ids["provisions"]:
            assigned.append((provision_id, clause_type, text_hash))
            platform_of[provision_id] = document.platform_id
    for name, model in (
        ("version", Version),
        ("capture", Capture),
        ("provision", Provision),
        ("revision", Revision),
        ("span", Span),
    ):
        copy_rows(model, COLUMNS[name], rows[name])
    update_rows(Document, ["latest_version_id"], latest)
    update_rows(Variant, ["latest_version_id"], [(d.variant_id, v) for d, v in latest_of])
    assignments = _write_assignments(assigned, types, now)
    similar = _write_similar(assigned, platform_of, now)
    analyze_tables([Version, Capture, Provision, Revision, Span, Assignment, SimilarProvision])
    coverage = store_coverage()
    return {
        "platforms": len(platform_rows),
        "documents": len(documents),
        "versions": len(rows["version"]),
        "provisions": len(rows["provision"]),
        "spans": len(rows["span"]),
        "assignments": assignments,
        "similar": similar,
        "coverage": coverage,
    }


def _write_document(document, index, count, phrases, rows, now) -> dict:
    """Two versions: the first lacks the last tenth of clauses; a twentieth are then removed."""
    first_id, second_id = reserve_ids(Version, 2)
    provision_ids = reserve_ids(Provision, count)
    revision_ids = reserve_ids(Revision, count)
    clauses = []
    for n in range(count):
        clause_type, phrase = phrases[(index * 7 + n) % len(phrases)]
        text = f"{phrase} (Synthetic clause {index + 1}.{n + 1}.)"
        clauses.append((clause_type, text, hash_text(normalize_text(text))))
    added_later = set(range(count - max(1, count // 10), count))
    removed = set(range(0, count, 20)) - added_later
    in_first = [n for n in range(count) if n not in added_later]
    in_second = [n for n in range(count) if n not in removed]
    for version_id, captured_at, ordinal, members in (
        (first_id, FIRST_CAPTURE, 1, in_first),
        (second_id, SECOND_CAPTURE, 2, in_second),
    ):
        heading = f"# {document.name}\n\n"
        parts, spans, offset = [heading], [], len(heading)
        for position, n in enumerate(members):
            start = offset + 2
            parts.append(f"- {clauses[n][1]}\n")
            offset += len(parts[-1])
            spans.append(
                (
                    version_id,
                    provision_ids[n],
                    revision_ids[n],
                    position,
                    start,
                    start + len(clauses[n][1]),
                    [document.name],
                    "",
                    None,  # parent_position: no synthetic clause is an enumerated part
                )
            )
        text = "".join(parts)
        path = f"synthetic/{document.platform.slug}/{document.slug}/{captured_at:%Y-%m-%d}.md"
        rows["version"].append(
            (
                version_id,
                document.pk,
                document.variant_id,
                "",  # the synthetic documents' undeclared variant
                text,
                sha256_text(text),
                len(text.encode("utf-8")),
                captured_at,
                f"https://{document.platform.slug}.invalid/{document.slug}",
                "corpus",
                path,
                ordinal,
                "first" if ordinal == 1 else "substantive",
                len(members) if ordinal == 1 else len(added_later),
                0 if ordinal == 1 else len(removed),
                0,
                now,
                now,
            )
        )
        rows["capture"].append(
            (
                f"synthetic:{path}",
                version_id,
                "corpus",
                captured_at,
                "",
                "",
                path,
                "",
                f"https://{document.platform.slug}.invalid/{document.slug}",
                "synthetic",
                now,
                now,
            )
        )
        rows["span"].extend(spans)
    provisions = []
    for n, (clause_type, text, text_hash) in enumerate(clauses):
        first = second_id if n in added_later else first_id
        last = first_id if n in removed else second_id
        rows["provision"].append(
            (
                provision_ids[n],
                document.pk,
                document.variant_id,
                text,
                text_hash,
                [document.name],
                "item",
                first,
                last,
                second_id if n in removed else None,
                1,
                now,
                now,
            )
        )
        rows["revision"].append(
            (revision_ids[n], provision_ids[n], 1, text, text_hash, first, None, now, now)
        )
        provisions.append((provision_ids[n], clause_type, text_hash))
    return {"latest": second_id, "provisions": provisions}


def _score(provision_id: int) -> float:
    """A deterministic pseudo-score in [0.30, 0.99] (the classifier's bands all occur)."""
    digest = hashlib.blake2b(str(provision_id).encode(), digest_size=2).digest()
    return round(0.30 + 0.69 * int.from_bytes(digest, "big") / 65535, 4)


def _write_assignments(assigned, types, now) -> int:
    by_slug = {t.pk: i for i, t in enumerate(types)}
    rows = []
    for provision_id, clause_type, text_hash in assigned:
        score = _score(provision_id)
        runner_up = types[(by_slug[clause_type.pk] + 1) % len(types)]
        rows.append(
            (
                provision_id,
                clause_type.pk,
                score,
                confidence_band(score) or "low",
                "classifier",
                runner_up.pk,
                round(min(score, 1 - score) / 2, 4),
                clause_type.default_severity,
                f"{clause_type.default_severity_rule} (synthetic data)",
                "synthetic",
                text_hash,
                now,
                now,
            )
        )
    return copy_rows(Assignment, COLUMNS["assignment"], rows)


def _write_similar(assigned, platform_of, now) -> int:
    by_type: dict[int, list[int]] = {}
    for provision_id, clause_type, _hash in assigned:
        by_type.setdefault(clause_type.pk, []).append(provision_id)
    rows = []
    for members in by_type.values():
        for i, provision_id in enumerate(members):
            rank, seen = 0, {provision_id}
            for offset in SIMILAR_OFFSETS:
                other = members[(i + offset) % len(members)]
                if other in seen or platform_of[other] == platform_of[provision_id]:
                    continue
                seen.add(other)
                rank += 1
                similarity = round(0.9 - 0.1 * rank, 4)
                rows.append((provision_id, other, similarity, rank, now, now))
    return copy_rows(SimilarProvision, COLUMNS["similar"], rows)


COLUMNS = {
    "version": (
        "id",
        "document_id",
        "variant_id",
        "variant_key",
        "text",
        "sha256",
        "byte_size",
        "captured_at",
        "source_url",
        "origin",
        "origin_ref",
        "ordinal",
        "change_kind",
        "added_count",
        "removed_count",
        "revised_count",
        "created_at",
        "updated_at",
    ),
    "capture": INGEST_COLUMNS["capture"][1],  # the same rows as an import writes
    "provision": (
        "id",
        "document_id",
        "variant_id",
        "text",
        "text_hash",
        "heading_path",
        "kind",
        "first_version_id",
        "last_version_id",
        "removed_in_id",
        "revision_count",
        "created_at",
        "updated_at",
    ),
    "revision": INGEST_COLUMNS["revision"][1],  # the same rows as an import writes
    "span": INGEST_COLUMNS["span"][1],  # the same rows as an import writes
    "assignment": (
        "provision_id",
        "clause_type_id",
        "score",
        "confidence",
        "basis",
        "runner_up_id",
        "runner_up_score",
        "severity",
        "severity_rule",
        "model_name",
        "text_hash",
        "created_at",
        "updated_at",
    ),
    "similar": ("provision_id", "other_id", "similarity", "rank", "created_at", "updated_at"),
}
