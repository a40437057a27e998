"""Store captures as versions and follow their provisions: the write side of imports.

``import_sources(sources)`` reads every source first (``sources.read_source`` validates all of
it), then stores everything new in one transaction, oldest capture first, so an import either
lands whole or not at all, and a second run finds nothing new. A source that cannot be read is
reported and skipped; the others still import. Storing holds an advisory lock, so concurrent
imports take turns; a version older than ones already stored re-links those after it.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from atlas import pipeline
from provisions import reading
from provisions import sources as readers
from provisions.bulk import analyze_tables, copy_rows, update_rows
from provisions.history import refresh_history
from provisions.linking import Linking
from provisions.models import (
    Capture,
    Document,
    DocumentSource,
    Platform,
    PlatformAlias,
    Provision,
    Revision,
    Span,
    Variant,
    Version,
)
from provisions.parse import hash_text

logger = logging.getLogger(__name__)
SEEDS = Path(__file__).resolve().parent / "seeds" / "sources.json"
IMPORT_LOCK = 0x41746C6173  # "Atlas": the advisory lock key that serializes imports


@dataclass
class ImportReport:
    read: dict[str, int] = field(default_factory=dict)  # source -> new captures found
    errors: dict[str, str] = field(default_factory=dict)  # source -> one-line error
    captures: int = 0
    versions: int = 0
    provisions: int = 0
    documents: set[int] = field(default_factory=set)

    @property
    def nothing_new(self) -> bool:
        return self.captures == 0


def load_seeds(path: Path = SEEDS) -> None:
    """Platforms, aliases and document routes; existing rows (maybe edited) are left alone."""
    seed = json.loads(path.read_text(encoding="utf-8"))
    platforms = {}
    for row in seed["platforms"]:
        platforms[row["slug"]], _ = Platform.objects.get_or_create(
            slug=row["slug"], defaults={"name": row["name"], "website": row["website"]}
        )
    for name, slug in seed["aliases"].items():
        platform = platforms.get(slug) or Platform.objects.get(slug=slug)
        PlatformAlias.objects.get_or_create(name=name, defaults={"platform": platform})
    documents = {}
    for row in seed["documents"]:
        documents[(row["platform"], row["slug"])], _ = Document.objects.get_or_create(
            platform=platforms[row["platform"]], slug=row["slug"], defaults={"name": row["name"]}
        )
    for row in seed["document_sources"]:
        DocumentSource.objects.get_or_create(
            path=row["path"],
            document=documents[(row["platform"], row["document"])],
            defaults={"valid_until": row["valid_until"]},
        )


def import_sources(
    source_names: list[str],
    *,
    progress=None,
    remote: readers.RemotePolicy | None = None,
    variant: readers.VariantDeclaration | None = None,
) -> ImportReport:
    """Import these sources; ``remote`` applies the rules for sources sent over the API;
    ``variant`` declares the region, language or collection of all of them."""
    report = ImportReport()
    load_seeds()
    collections = seeded_collections()
    known = set(Capture.objects.values_list("key", flat=True))
    captures: list[reading.Capture] = []
    for name in source_names:
        try:
            found = readers.read_source(
                name,
                known_keys=known,
                cache_dir=Path(settings.ATLAS_SOURCES_CACHE),
                max_bytes=settings.ATLAS_MAX_DOCUMENT_BYTES,
                remote=remote,
                variant=variant,
            )
        except reading.SourceError as error:
            report.errors[name] = str(error)
            continue
        found = [readers.declared(c, collections.get(c.collection)) for c in found]
        report.read[name] = len(found)
        known.update(c.key for c in found)
        captures.extend(found)
    if captures:
        captures.sort(key=lambda c: (c.captured_at, c.key))
        store_captures(captures, report, progress=progress)
    return report


def seeded_collections(path: Path = SEEDS) -> dict[str, readers.VariantDeclaration]:
    """Collections whose repository does not say its region: the seeds declare it."""
    seed = json.loads(path.read_text(encoding="utf-8")).get("collections", {})
    return {
        name: readers.VariantDeclaration(region=row["region"], language=row.get("language", ""))
        for name, row in seed.items()
        if not name.startswith("_")
    }


def store_captures(captures: list[reading.Capture], report: ImportReport, *, progress=None):
    """Store captures under the importer's lock (one writer of versions at a time), skipping
    any that another import stored meanwhile; the pipeline (embed → assign → link) starts once
    the transaction commits. The importer and the tracker both store through here."""
    with transaction.atomic():
        lock_imports()
        stored = set(
            Capture.objects.filter(key__in=[c.key for c in captures]).values_list("key", flat=True)
        )
        Store(report).store_all([c for c in captures if c.key not in stored], progress=progress)
        if settings.ATLAS_EMBED_AFTER_IMPORT and report.documents:
            pipeline.enqueue_after_new_versions(sorted(report.documents))


def remote_policy() -> readers.RemotePolicy:
    """The rules for sources sent over the API, as this server's settings set them."""
    return readers.RemotePolicy(
        allow_ssh=settings.ATLAS_ALLOW_SSH_SOURCES,
        allow_private=settings.ATLAS_ALLOW_PRIVATE_SOURCES,
    )


def lock_imports() -> None:
    """One import stores at a time (until its transaction ends): two imports of the same source
    would otherwise both insert its captures and one would fail on the unique key."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def variant_key(region: str, language: str) -> str:
    """ "" for a source that declares no region; else ``eu-en``, ``us``, ``global-fr``."""
    if not region:
        return ""
    return slugify(f"{region}-{language}" if language else region)[:40].strip("-")


def derived_slug(name: str, *, limit: int, empty: str = "document") -> str:
    """A URL slug for a name Open Terms Archive chose: ASCII, within the column, never empty
    (a name in another script, or one cut short, gets a digest of the whole name)."""
    slug = slugify(name)
    if slug and len(slug) <= limit:
        return slug
    digest = hash_text(name)[:8]
    return f"{slug[: limit - 9].strip('-')}-{digest}" if slug else f"{empty}-{digest}"


COLUMNS = {
    "provision": (
        Provision,
        (
            "id",
            "document_id",
            "variant_id",
            "text",
            "text_hash",
            "heading_path",
            "kind",
            "first_version_id",
            "last_version_id",
            "revision_count",
            "created_at",
            "updated_at",
        ),
    ),
    "revision": (
        Revision,
        (
            "id",
            "provision_id",
            "number",
            "text",
            "text_hash",
            "first_version_id",
            "similarity",
            "created_at",
            "updated_at",
        ),
    ),
    "span": (
        Span,
        (
            "version_id",
            "provision_id",
            "revision_id",
            "position",
            "start",
            "end",
            "heading_path",
            "lead_in",
            "parent_position",
        ),
    ),
    "capture": (
        Capture,
        (
            "key",
            "version_id",
            "kind",
            "captured_at",
            "repository",
            "commit",
            "path",
            "subject",
            "source_url",
            "licence",
            "created_at",
            "updated_at",
        ),
    ),
}


class Store(Linking):
    """Holds per-document state for the duration of one import transaction."""

    def __init__(self, report: ImportReport):
        super().__init__()
        self.report = report
        self.routes: dict[str, list[DocumentSource]] = defaultdict(list)
        for route in DocumentSource.objects.select_related("document"):
            self.routes[route.path].append(route)
        self.aliases = {
            a.name: a.platform for a in PlatformAlias.objects.select_related("platform")
        }
        self.documents: dict[tuple[int, str], Document] = {}
        self.variants: dict[tuple[int, str], Variant] = {}  # (document id, key) -> variant
        self.variants_by_id: dict[int, Variant] = {}
        self.timelines: dict[int, list[Version]] = {}  # variant id -> versions by captured_at
        self.by_sha: dict[int, dict[str, Version]] = {}
        # Rows waiting for COPY, in the column order of COLUMNS.
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.now = timezone.now()

    def store_all(self, captures: list[reading.Capture], *, progress=None) -> None:
        iterator = progress(captures) if progress else captures
        for capture in iterator:
            self.store(capture)
            if len(self.rows["span"]) > 50000:
                self.flush()
        self.flush()
        for variant_id, start in self.relink_from.items():
            self.relink(self.variants_by_id[variant_id], start)
        for document_id in self.report.documents:
            refresh_history(Document.objects.get(pk=document_id))

    def flush(self) -> None:
        for name, (model, columns) in COLUMNS.items():
            copy_rows(model, columns, self.rows[name])
            self.rows[name] = []
        update_rows(Provision, ["kind"], self.kinds)
        self.kinds = []
        # Fresh statistics (ANALYZE sees this transaction's own rows): without them the
        # planner takes tables that just grew by 100,000 rows for empty ones.
        analyze_tables([model for model, _ in COLUMNS.values()])

    # -- routing --------------------------------------------------------------------------

    def document_for(self, capture: reading.Capture) -> Document:
        if capture.origin == "corpus":
            platform = self.platform(capture.platform_slug, capture.platform_name)
            return self.document(platform, capture.document_slug, capture.document_name)
        day = capture.captured_at.date()
        for route in self.routes.get(capture.path, ()):
            if route.covers(day):
                return route.document
        service, _, terms = capture.path.partition("/")
        platform = self.aliases.get(service)
        if platform is None:
            platform = self.platform(derived_slug(service, limit=80, empty="service"), service)
            PlatformAlias.objects.get_or_create(name=service, defaults={"platform": platform})
            self.aliases[service] = platform
        if service.casefold() == platform.name.casefold():
            return self.document(platform, derived_slug(terms, limit=120), terms)
        name = f"{service} {terms}"
        return self.document(platform, derived_slug(name, limit=120), name)

    def platform(self, slug: str, name: str) -> Platform:
        platform, _ = Platform.objects.get_or_create(slug=slug, defaults={"name": name[:200]})
        return platform

    def document(self, platform: Platform, slug: str, name: str) -> Document:
        key = (platform.pk, slug)
        if key not in self.documents:
            self.documents[key], _ = Document.objects.get_or_create(
                platform=platform, slug=slug, defaults={"name": name[:300]}
            )
        return self.documents[key]

    # -- versions -------------------------------------------------------------------------

    def variant(self, document: Document, capture: reading.Capture) -> Variant:
        """The variant the capture's source declared (its region and language), created on
        first sight; a source declaring none feeds the document's undeclared variant."""
        key = variant_key(capture.region, capture.language)
        if (document.pk, key) not in self.variants:
            variant, _ = Variant.objects.get_or_create(
                document=document,
                key=key,
                defaults={
                    "region": capture.region or "unspecified",
                    "language": capture.language,
                    "collection": capture.collection,
                },
            )
            self.variants[(document.pk, key)] = variant
        return self.variants[(document.pk, key)]

    def timeline(self, variant: Variant) -> list[Version]:
        self.variants_by_id[variant.pk] = variant
        if variant.pk not in self.timelines:
            versions = list(variant.versions.order_by("captured_at", "id"))
            self.timelines[variant.pk] = versions
            if not versions:
                self.earlier[variant.pk] = {}  # a new variant: no older wording to look up
            self.by_sha[variant.pk] = {v.sha256: v for v in versions}
        return self.timelines[variant.pk]

    def store(self, capture: reading.Capture) -> None:
        document = self.document_for(capture)
        variant = self.variant(document, capture)
        timeline = self.timeline(variant)
        version = self.by_sha[variant.pk].get(capture.sha256)
        if version is None:
            version = self.new_version(variant, capture, timeline)
        elif capture.captured_at < version.captured_at:
            # An earlier sighting of a stored text: its date moves back, its text never changes.
            Version.objects.filter(pk=version.pk).update(captured_at=capture.captured_at)
            version.captured_at = capture.captured_at
            timeline.sort(key=lambda v: (v.captured_at, v.pk))
            self.relink_later(variant, version)  # it may now come before other versions
        self.rows["capture"].append(
            (
                capture.key,
                version.pk,
                capture.kind,
                capture.captured_at,
                capture.repository,
                capture.commit,
                capture.path,
                capture.subject,
                capture.source_url or version.source_url,
                capture.licence,
                self.now,
                self.now,
            )
        )
        self.report.captures += 1
        self.report.documents.add(document.pk)

    def new_version(self, variant: Variant, capture: reading.Capture, timeline) -> Version:
        previous = [v for v in timeline if v.captured_at <= capture.captured_at]
        version = Version.objects.create(
            document_id=variant.document_id,
            variant=variant,
            variant_key=variant.key,
            text=capture.text,
            sha256=capture.sha256,
            byte_size=len(capture.text.encode("utf-8")),
            captured_at=capture.captured_at,
            source_url=capture.source_url or (previous[-1].source_url if previous else ""),
            origin=capture.origin,
            origin_ref=capture.origin_ref,
            change_kind="first" if not previous else "substantive",
        )
        timeline.append(version)
        timeline.sort(key=lambda v: (v.captured_at, v.pk))
        self.by_sha[variant.pk][version.sha256] = version
        if timeline[-1] is not version or variant.pk in self.relink_from:
            self.relink_later(variant, version)
        else:
            self.follow_provisions(variant, version, previous[-1] if previous else None)
        self.report.versions += 1
        return version
