"""Platforms, documents, immutable versions, and provisions with their life across versions.

Public record IDs (``D-000123``, ``P-000123``) are the primary keys formatted: PostgreSQL
sequences never hand out a value twice, so an ID is never reused, and a re-import matches
existing rows instead of creating new ones, so IDs stay identical.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchHeadline, SearchRank, SearchVectorField
from django.db import connection, models, transaction
from django.db.models.functions import Cast, Left
from django.urls import reverse
from pgvector.django import CosineDistance, HnswIndex, VectorField

from provisions.parse import clause_context
from provisions.search import (
    MARK_START,
    MARK_STOP,
    SEARCH_CONFIG,
    provision_search_vector,
    search_query,
    searchable,
)

EMBEDDING_DIMENSIONS = 384  # all-MiniLM-L6-v2
RECORD_ID = re.compile(r"^(?P<prefix>[DP])-(?P<number>\d{6,})$")
# A version's public ID: its document's record ID and the first 12 hex digits of the sha256 of
# its text, ``D-000015@3f2a9c1e0b7d`` (see ``Version.public_id``).
VERSION_TAG_LENGTH = 12
# A version of a document's other variants names its variant: ``D-000015~eu-en@3f2a9c1e0b7d``
# (the same text can be held by two variants of one document, each with its own history).
VARIANT_KEY = r"[a-z0-9]+(?:-[a-z0-9]+)*"
VERSION_ID = re.compile(
    rf"^D-(?P<document>\d{{6,}})(?:~(?P<variant>{VARIANT_KEY}))?@(?P<tag>[0-9a-f]{{12}})$"
)


def parse_record_id(value: str, prefix: str) -> int | None:
    """``"P-000123"`` -> 123; None for anything else (so views can 404 cleanly)."""
    match = RECORD_ID.match(value or "")
    if not match or match.group("prefix") != prefix:
        return None
    return int(match.group("number"))


def parse_version_id(value: str) -> tuple[int, str] | None:
    """``"D-000015@3f2a9c1e0b7d"`` -> (15, "3f2a9c1e0b7d"); None for anything else.
    (``version_id_parts`` also gives the variant key of ``D-000015~eu-en@…``.)"""
    parts = version_id_parts(value)
    return None if parts is None else (parts[0], parts[2])


def version_id_parts(value: str) -> tuple[int, str, str] | None:
    """``"D-000015~eu-en@3f2a9c1e0b7d"`` -> (15, "eu-en", "3f2a9c1e0b7d"); the variant key
    is "" for the document's original variant; None for anything malformed."""
    match = VERSION_ID.match(value or "")
    if not match:
        return None
    return int(match.group("document")), match.group("variant") or "", match.group("tag")


def format_version_id(document_id: int, variant_key: str, tag: str) -> str:
    variant = f"~{variant_key}" if variant_key else ""
    return f"{format_record_id('D', document_id)}{variant}@{tag}"


def format_record_id(prefix: str, pk: int) -> str:
    return f"{prefix}-{pk:06d}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PlatformQuerySet(models.QuerySet):
    def tracked(self):
        """Platforms with at least one stored version: the denominator of every coverage count."""
        return self.filter(
            models.Exists(Version.objects.filter(document__platform=models.OuterRef("pk")))
        )


class Platform(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlatformQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("provisions:platform", args=[self.slug])


class PlatformAlias(models.Model):
    """Open Terms Archive names services (ChatGPT, Claude.ai); this maps them to companies."""

    name = models.CharField(max_length=200, unique=True, help_text="Service name as in OTA")
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "platform aliases"

    def __str__(self) -> str:
        return f"{self.name} → {self.platform}"


class DocumentQuerySet(models.QuerySet):
    def with_counts(self):
        return self.annotate(
            version_count=models.Count("versions", distinct=True),
            live_provision_count=models.Count(
                "provisions", filter=models.Q(provisions__removed_in__isnull=True), distinct=True
            ),
        )


class Document(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="documents")
    slug = models.SlugField(max_length=120)
    name = models.CharField(max_length=300)
    latest_version = models.ForeignKey(
        "Version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The latest version of its primary (first) variant",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["platform__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="document_unique_slug")
        ]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("provisions:document", args=[self.platform.slug, self.slug])

    @property
    def record_id(self) -> str:
        return format_record_id("D", self.pk)


class DocumentSource(models.Model):
    """Routes an Open Terms Archive file (``<service>/<terms type>``) to a document.

    The same page can be tracked under several services (ChatGPT, DALL·E and OpenAI all tracked
    OpenAI's usage policies) or reach us from a corpus file copied from OTA: routing both to one
    document gives it one history. ``valid_until`` ends a route where the service started
    tracking something else under the same name.
    """

    path = models.CharField(max_length=400, help_text="<service>/<terms type>, no .md")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sources")
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["path", "document"], name="document_source_unique_route"
            )
        ]

    def __str__(self) -> str:
        return f"{self.path} → {self.document}"

    def covers(self, day) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day <= self.valid_until
        )


class VariantQuerySet(models.QuerySet):
    def with_last_capture(self):
        return self.annotate(
            last_capture=models.Max("versions__captures__captured_at"),
            version_count=models.Count("versions", distinct=True),
        )


class Variant(models.Model):
    """One text of a document: its region or jurisdiction, its language, the collection it
    comes from. Versions, captures and provisions belong to one variant, and each variant has
    its own history: the EU and the global texts of a policy are never one timeline.

    ``key`` is "" for the variant of sources that declare none (every document's original
    one); otherwise a slug of region and language (``eu-en``), which version public IDs name
    (``D-000015~eu-en@…``). The document's *primary* variant is its first one.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="variants")
    key = models.CharField(max_length=40, blank=True)
    region = models.CharField(
        max_length=40, default="unspecified", help_text="Jurisdiction or region: EU, US, global…"
    )
    language = models.CharField(max_length=20, blank=True, help_text="e.g. en; blank: unknown")
    collection = models.CharField(
        max_length=200, blank=True, help_text="The source collection it was first read from"
    )
    latest_version = models.ForeignKey(
        "Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VariantQuerySet.as_manager()

    class Meta:
        ordering = ["document", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "key"], name="variant_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.label})"

    @property
    def label(self) -> str:
        """ "EU, en", "unspecified region, en", "unspecified region"."""
        region = self.region if self.region != "unspecified" else "unspecified region"
        return f"{region}, {self.language}" if self.language else region

    @property
    def slug(self) -> str:
        """The variant in URLs: its key, or ``default`` for the undeclared one."""
        return self.key or "default"


class ChangeKind(models.TextChoices):
    FIRST = "first", "First version"
    SUBSTANTIVE = "substantive", "Substantive change"
    WORDING = "wording", "Wording change"
    MARKUP = "markup", "Link or markup change only"
    BOILERPLATE = "boilerplate", "Page furniture change only"
    TECHNICAL = "technical", "Technical re-extraction"


class Origin(models.TextChoices):
    OTA = "ota", "Open Terms Archive"
    CORPUS = "corpus", "Corpus file"
    LIVE = "live", "Live fetch"


class VersionQuerySet(models.QuerySet):
    def substantive(self):
        return self.filter(change_kind__in=[ChangeKind.FIRST, ChangeKind.SUBSTANTIVE])

    def public(self, public_id: str):
        """The version (at most one) with this public ID; none for a malformed one."""
        parsed = version_id_parts(public_id)
        if parsed is None:
            return self.none()
        document_id, variant_key, tag = parsed
        return self.filter(document_id=document_id, variant_key=variant_key, public_tag=tag)


class Version(models.Model):
    """The exact text of one document as captured; immutable once stored (a trigger enforces it)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="versions")
    # The variant's key, copied (keys never change) so a public ID is built without a join.
    variant_key = models.CharField(max_length=40, blank=True, default="")
    text = models.TextField()
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the UTF-8 bytes of text")
    byte_size = models.PositiveIntegerField()
    captured_at = models.DateTimeField(help_text="Earliest capture of this exact text")
    source_url = models.URLField(max_length=1000, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    origin_ref = models.CharField(
        max_length=600, help_text="OTA repository@commit:path, or the corpus file path"
    )
    ordinal = models.PositiveIntegerField(default=0, help_text="1 = oldest version of its variant")
    # The public ID's second half, derived from the text: an ordinal shifts when an older
    # capture is imported later (linking re-orders the timeline), a database key differs
    # between installs; a hash prefix never changes once the text is stored.
    public_tag = models.GeneratedField(
        expression=Left("sha256", VERSION_TAG_LENGTH),
        output_field=models.CharField(max_length=VERSION_TAG_LENGTH),
        db_persist=True,
    )
    change_kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    added_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    revised_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "captured_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "sha256"], name="version_unique_text"),
            # Two texts of one variant sharing 12 hex digits (odds ~2^-48 a pair) would share
            # a public ID: the import fails rather than publish an ambiguous one.
            models.UniqueConstraint(
                fields=["document", "variant_key", "public_tag"],
                name="version_unique_public_tag",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "captured_at"]),
            models.Index(fields=["variant", "captured_at"], name="version_variant_captured"),
        ]

    def __str__(self) -> str:
        return f"{self.document} @ {self.captured_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("provisions:version", args=[self.public_id])

    @property
    def public_id(self) -> str:
        """``D-000015@3f2a9c1e0b7d``: the document's record ID and the first 12 hex digits of
        the sha256 of this exact text. The same on every install holding the document under
        that record ID, never reused, and checkable by anyone holding the text."""
        return format_version_id(
            self.document_id, self.variant_key, self.sha256[:VERSION_TAG_LENGTH]
        )

    def verify(self) -> bool:
        """Re-hash the stored text and compare with the recorded sha256."""
        return sha256_text(self.text) == self.sha256


class CaptureKind(models.TextChoices):
    FIRST_RECORD = "first_record", "First record"
    CHANGE = "change", "Recorded change"
    TECHNICAL = "technical", "Technical or declaration upgrade"
    MAINTENANCE = "maintenance", "Archive maintenance"
    CORPUS = "corpus", "Corpus file"
    LIVE_FETCH = "live_fetch", "Live fetch"


class Capture(models.Model):
    """One observation of a version: an OTA commit, or a corpus manifest entry.

    Several captures can point to one version (the same text seen twice, or arriving from both
    sources); ``key`` makes every import idempotent.
    """

    key = models.CharField(max_length=700, unique=True)
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="captures")
    kind = models.CharField(max_length=12, choices=CaptureKind.choices)
    captured_at = models.DateTimeField()
    repository = models.CharField(max_length=200, blank=True)
    commit = models.CharField(max_length=40, blank=True)
    path = models.CharField(max_length=500)
    subject = models.CharField(max_length=500, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    licence = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["captured_at", "id"]

    def __str__(self) -> str:
        return self.key


class ProvisionQuerySet(models.QuerySet):
    def live(self):
        return self.filter(removed_in__isnull=True)

    def contexts(self) -> dict[int, str]:
        """Provision id -> what it is read under in its last version (``parse.clause_context``:
        its clause's words before it for an enumerated part, its list's lead-in, or its
        nearest heading); the classifier reads short clauses with it."""
        spans = list(
            Span.objects.filter(
                provision__in=self, version_id=models.F("provision__last_version_id")
            ).values_list(
                "provision_id", "version_id", "start", "lead_in", "heading_path", "parent_position"
            )
        )
        parts = [(version, parent) for _, version, _, _, _, parent in spans if parent is not None]
        parents, texts = {}, {}
        if parts:
            # A superset (every such position in every such version), then the pairs wanted.
            candidates = Span.objects.filter(
                version_id__in={v for v, _ in parts}, position__in={p for _, p in parts}
            ).values_list("version_id", "position", "start", "end")
            wanted = set(parts)
            parents = {
                (version, position): (start, end)
                for version, position, start, end in candidates
                if (version, position) in wanted
            }
            texts = dict(
                Version.objects.filter(pk__in={v for v, _ in parts}).values_list("pk", "text")
            )
        contexts = {}
        for provision, version, start, lead_in, heading_path, parent in spans:
            span = parents.get((version, parent)) if parent is not None else None
            contexts[provision] = clause_context(
                texts.get(version, ""),
                start=start,
                lead_in=lead_in,
                heading_path=heading_path,
                parent=span,
            )
        return contexts

    def search(self, q: str):
        """Full-text matches for ``q`` (websearch syntax), in force first, then best first, with
        ``rank`` and a ``snippet`` marking the matched words (``provisions.search.excerpt``
        turns it into the verbatim excerpt shown)."""
        query = search_query(q)
        return (
            self.filter(search_vector=query)
            .annotate(
                rank=SearchRank(models.F("search_vector"), query),
                snippet=SearchHeadline(
                    searchable(models.F("text")),
                    query,
                    config=SEARCH_CONFIG,
                    start_sel=MARK_START,
                    stop_sel=MARK_STOP,
                    max_words=35,
                    min_words=15,
                ),
            )
            # Clauses in force first: a removed one stays findable (marked on the page) but
            # does not outrank what the platform says today.
            .order_by(
                models.ExpressionWrapper(
                    models.Q(removed_in__isnull=True), output_field=models.BooleanField()
                ).desc(),
                "-rank",
                "id",
            )
        )

    def nearest(self, vector, *, model_name: str, limit: int = 50) -> list[Provision]:
        """These provisions whose wording is closest in meaning to ``vector``, closest first,
        each with ``similarity`` (cosine, 1 = same meaning).

        The nearest wordings come from the HNSW index first and are then joined to these
        provisions, so a narrow queryset can return fewer than ``limit``.
        """
        nearest = TextEmbedding.objects.nearest(vector, model_name=model_name, count=limit * 4)
        similarity = {text_hash: 1 - distance for text_hash, distance in nearest}
        found = list(
            self.filter(text_hash__in=similarity).select_related("document__platform")[: limit * 4]
        )
        for provision in found:
            provision.similarity = similarity[provision.text_hash]
        found.sort(key=lambda p: (-p.similarity, p.pk))
        return found[:limit]


class Provision(models.Model):
    """One clause, followed across the versions of its document."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="provisions")
    # Lineage follows one variant's timeline: a clause of the EU text is never the same record
    # as one of the global text, even word for word.
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="provisions")
    text = models.TextField(help_text="Verbatim text of its latest revision")
    text_hash = models.CharField(max_length=64, db_index=True)
    heading_path = models.JSONField(default=list)
    kind = models.CharField(max_length=10)
    first_version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="+")
    last_version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="+")
    removed_in = models.ForeignKey(
        Version,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="First version where it no longer appears",
    )
    revision_count = models.PositiveIntegerField(default=1)
    search_vector = models.GeneratedField(
        expression=provision_search_vector(), output_field=SearchVectorField(), db_persist=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProvisionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "id"]
        indexes = [GinIndex(fields=["search_vector"], name="provision_search_vector_gin")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("provisions:detail", args=[self.record_id])

    @property
    def record_id(self) -> str:
        return format_record_id("P", self.pk)


class Revision(models.Model):
    """One wording of a provision; a new one starts when the clause is lightly reworded."""

    provision = models.ForeignKey(Provision, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    first_version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="+")
    similarity = models.FloatField(
        null=True, blank=True, help_text="Word-sequence similarity to the previous wording"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["provision", "number"], name="revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.provision.record_id} r{self.number}"


class Span(models.Model):
    """Where a provision sits in one version: the exact character range of its text."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="spans")
    provision = models.ForeignKey(Provision, on_delete=models.PROTECT, related_name="spans")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="spans")
    position = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    heading_path = models.JSONField(default=list)
    lead_in = models.TextField(blank=True)
    parent_position = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For an enumerated part of a clause: the position of that clause in this "
        "version (its span contains this one)",
    )

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "provision"], name="span_unique_provision"),
            models.UniqueConstraint(fields=["version", "position"], name="span_unique_position"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="span_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["provision", "version"])]

    def __str__(self) -> str:
        return f"{self.provision_id}@{self.version_id}[{self.start}:{self.end}]"

    @property
    def text(self) -> str:
        return self.version.text[self.start : self.end]

    @property
    def is_part(self) -> bool:
        return self.parent_position is not None

    def parent_span(self) -> Span | None:
        """The span of the clause this one is an enumerated part of, in the same version."""
        if self.parent_position is None:
            return None
        return (
            Span.objects.filter(version_id=self.version_id, position=self.parent_position)
            .select_related("provision")
            .first()
        )

    def part_spans(self):
        """The spans of this clause's enumerated parts, in the same version, in order."""
        return Span.objects.filter(
            version_id=self.version_id, parent_position=self.position
        ).select_related("provision")


class TextEmbeddingQuerySet(models.QuerySet):
    def vectors(self, text_hashes, *, model_name: str) -> dict:
        """Text hash -> stored vector (float32), for those of ``text_hashes`` embedded with
        this model.

        Read as text and parsed by numpy: pgvector's adapter parses each value in a Python
        loop, a third of a second per 10,000 vectors, which incremental assignment pays on
        every import."""
        rows = (
            self.filter(model_name=model_name, text_hash__in=set(text_hashes))
            .annotate(literal=Cast("vector", models.TextField()))
            .values_list("text_hash", "literal")
        )
        return {
            text_hash: np.fromstring(literal[1:-1], dtype=np.float32, sep=",")
            for text_hash, literal in rows
        }

    def nearest(self, vector, *, model_name: str, count: int) -> list[tuple[str, float]]:
        """(text hash, cosine distance) of the ``count`` vectors of this model closest to
        ``vector``, closest first; exactly, if the index cannot serve them in full.

        The HNSW index hands over at most ``hnsw.ef_search`` candidates before the model-name
        filter applies, so vectors of another model (kept after a model change) can crowd out
        this model's: with fewer rows than asked, the query runs again without the index.
        """
        query = (
            self.filter(model_name=model_name)
            .annotate(distance=CosineDistance("vector", vector))
            .order_by("distance")
            .values_list("text_hash", "distance")[:count]
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL hnsw.ef_search = {min(1000, max(40, int(count)))}")
            nearest = list(query.all())
        if len(nearest) < count:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off")
                # .all(): a new query; the first one's rows stay cached on its queryset.
                nearest = list(query.all())
        return nearest


class TextEmbedding(models.Model):
    """A sentence embedding of one normalized clause text, computed once per (text, model).

    Provisions point here through their ``text_hash``: a clause seen in 50 versions, or on two
    platforms word for word, is embedded once, and a re-import of unchanged sources embeds
    nothing.
    """

    text_hash = models.CharField(max_length=64)
    model_name = models.CharField(max_length=200)
    vector = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TextEmbeddingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["text_hash", "model_name"], name="text_embedding_unique_text_model"
            )
        ]
        indexes = [
            HnswIndex(
                name="text_embedding_vector_hnsw",
                fields=["vector"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_name}:{self.text_hash[:12]}"
